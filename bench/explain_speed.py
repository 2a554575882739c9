"""How long the Explain page and the print-ready report take for finished runs on `synthetic`.

    python bench/explain_speed.py [--repeat 3] [--json]

Trains popularity and cmf on `synthetic` in a temporary home, then times (a) the Explain page in
Streamlit's AppTest, first render in a fresh app (the pair loads) and a rerun for a random other user, and (b) building
the report HTML the Compare page's download button returns.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def train(method: str, *settings: str) -> str:
    out = subprocess.run([sys.executable, "-m", "crossrec", "train", "synthetic", "--method", method,
                          *settings, "--json"], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["run_id"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CROSSREC_HOME"] = str(Path(tmp) / "home")
        os.environ["CROSSREC_DATA_DIR"] = str(Path(tmp) / "data")
        train("popularity")
        train("cmf", "--set", "epochs=20")
        from streamlit.testing.v1 import AppTest
        from crossrec.analysis.compare import compare
        from crossrec.methods.catalog import all_cards, setting_defaults
        from crossrec.runs.artifacts import ArtifactStore
        from crossrec.runs.report import report_html
        from crossrec.runs.open_store import open_store
        store = open_store()
        store.worker_beat(os.getpid(), {})  # the pages start no worker for this benchmark
        first, rerun, report = [], [], []
        for _ in range(args.repeat):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.run()
            at.switch_page("pages/explain.py")
            started = time.perf_counter()
            at.run()
            first.append(time.perf_counter() - started)
            assert not at.exception, [e.value for e in at.exception]
            started = time.perf_counter()
            next(b for b in at.button if b.label.startswith("A random")).click().run()
            rerun.append(time.perf_counter() - started)
            runs = store.list_runs(statuses=("done",))
            started = time.perf_counter()
            result = compare(runs, setting_defaults(all_cards()), ArtifactStore(store.home / "artifacts").per_user)
            html = report_html(store, ArtifactStore(store.home / "artifacts"), runs, result)
            report.append(time.perf_counter() - started)
        store.worker_gone(os.getpid())
    figures = {"explain_first_render_s": [round(t, 3) for t in first],
               "explain_rerun_other_user_s": [round(t, 3) for t in rerun],
               "report_build_s": [round(t, 3) for t in report], "report_bytes": len(html.encode())}
    print(json.dumps(figures) if args.json else "\n".join(f"{k:28} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
