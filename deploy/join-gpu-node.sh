#!/usr/bin/env bash
# Join a GPU node to the head: bash deploy/join-gpu-node.sh HEAD_HOST [NUM_GPUS]
set -euo pipefail
cd "$(dirname "$0")/.."
HEAD=${1:?usage: join-gpu-node.sh HEAD_HOST [NUM_GPUS]}
GPUS=${2:-$(nvidia-smi -L 2>/dev/null | wc -l)}
set -a; . deploy/crossrec.env; set +a
ray start --address="$HEAD:6379" --num-gpus="$GPUS" --disable-usage-stats
