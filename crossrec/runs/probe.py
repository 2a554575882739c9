"""`python -m crossrec.runs.probe HOME`: run by the worker in a short-lived process (so the
worker never imports torch). Writes the method catalog into HOME and prints the devices as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from crossrec.methods.catalog import FILE_NAME, all_cards, write_catalog
from crossrec.train.device import available_devices


def main(home: str) -> int:
    write_catalog(Path(home) / FILE_NAME, all_cards())
    print(json.dumps(available_devices()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
