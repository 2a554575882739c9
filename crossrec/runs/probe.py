"""`python -m crossrec.runs.probe`: run by the worker in a short-lived process (so the worker
never imports torch). Prints the devices this machine offers as JSON."""

from __future__ import annotations

import json
import sys

from crossrec.train.device import available_devices


def main() -> int:
    print(json.dumps(available_devices()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
