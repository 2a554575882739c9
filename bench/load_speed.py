"""Read + validate + link + split time and peak memory, for the largest shared pair (Elec->Cloth),
generated 1,000,000- and 10,000,000-row files, and a 2 MB gzip bomb (2 GB of "1,1" lines) that
must be refused. Each case runs in a fresh process (clean peak RSS).

    python bench/load_speed.py            # prints one JSON line per case
"""

from __future__ import annotations

import gzip
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
    from crossrec.errors import DataError
    started = time.perf_counter()
    try:
        pair = load_from_files(source, target)
    except DataError as err:
        print(json.dumps({"source": source, "target": target, "refused": str(err),
                          "seconds": round(time.perf_counter() - started, 3),
                          "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}),
              flush=True)
        return
    seconds = time.perf_counter() - started
    stats = pair.stats()
    print(json.dumps({"source": source, "target": target, "seconds": round(seconds, 3),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "rows": stats["source"]["interactions"] + stats["target"]["interactions"],
                      "overlap_users": stats["overlap_users"]}), flush=True)


def write_two_columns(path: Path, n: int) -> str:
    rng = np.random.default_rng(1)
    np.savetxt(path, np.stack([rng.integers(0, 500_000, n), rng.integers(0, 200_000, n)], axis=1),
               fmt="%d", delimiter=",")
    return str(path)


def write_bomb(path: Path) -> str:
    member = gzip.compress(b"1,1\n" * (1 << 20), compresslevel=9)  # 4 MB of lines
    path.write_bytes(member * 512)                                 # 2 GB in about 2 MB
    return str(path)


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
        cases.append((str(small), write_two_columns(Path(tmp) / "ten_million.csv", 10_000_000)))
        cases.append((str(small), write_bomb(Path(tmp) / "bomb.csv.gz")))
        for source, target in cases:
            subprocess.run([sys.executable, __file__, "--case", source, target], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
