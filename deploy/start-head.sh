#!/usr/bin/env bash
# Start the Ray head node with the CrossRec variables (deploy/crossrec.env); the app runs here too.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; . deploy/crossrec.env; set +a
ray start --head --port=6379 --num-cpus="${CROSSREC_HEAD_CPUS:-$(nproc)}" --disable-usage-stats
