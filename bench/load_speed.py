"""Read + validate + link + split time and peak memory, for the largest shared pair (Elec->Cloth)
and for a generated 1,000,000-row file. Each case runs in a fresh process (clean peak RSS).

    python bench/load_speed.py            # prints one JSON line per case
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def case(source: str, target: str) -> None:
    sys.path.insert(0, str(ROOT))
    from crossrec.data.catalog import load_from_files
    started = time.perf_counter()
    pair = load_from_files(source, target)
    seconds = time.perf_counter() - started
    stats = pair.stats()
    print(json.dumps({"source": source, "target": target, "seconds": round(seconds, 3),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "rows": stats["source"]["interactions"] + stats["target"]["interactions"],
                      "overlap_users": stats["overlap_users"]}), flush=True)


def write_million(folder: Path) -> tuple[str, str]:
    rng = np.random.default_rng(0)
    n = 1_000_000
    for name, items in (("source", 50_000), ("target", 40_000)):
        users = rng.integers(0, 100_000, n)
        cols = np.stack([users, rng.integers(0, items, n), rng.integers(1, 6, n),
                         rng.integers(1_500_000_000, 1_700_000_000, n)], axis=1)
        np.savetxt(folder / f"{name}.tsv", cols, fmt="%d", delimiter="\t")
    return str(folder / "source.tsv"), str(folder / "target.tsv")


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--case":
        case(sys.argv[2], sys.argv[3])
        return 0
    cases = []
    elec, cloth = SHARED / "amazon_disencdr" / "electronic_cloth", SHARED / "amazon_disencdr" / "cloth_electronic"
    if elec.exists():
        cases.append((str(elec), str(cloth)))
    with tempfile.TemporaryDirectory() as tmp:
        source, target = write_million(Path(tmp))
        small = Path(tmp) / "small_source.tsv"
        small.write_text("".join(f"{u}\t{u % 50}\n" for u in range(1000)))
        cases += [(str(small), target), (source, target)]  # one 1M-row file; then two of them
        for source, target in cases:
            subprocess.run([sys.executable, __file__, "--case", source, target], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
