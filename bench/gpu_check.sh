#!/usr/bin/env bash
# One short script for a lent GPU machine: the GPU-marked tests, then the speed benchmark on
# CUDA beside the CPU. Prints figures; run with a timeout that leaves room for a rerun.
set -uo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -r requirements-test.txt
python3 -c "import torch; print('cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
python3 -m pytest -q -m gpu tests/test_methods.py
D=../shared/data/amazon_disencdr
for device in cuda cpu; do
  python3 bench/train_speed.py --source $D/sport_cloth --target $D/cloth_sport --method target_only \
    --epochs 5 --set dim=64 --set batch_size=4096 --device $device --json
done
python3 -m crossrec train synthetic --method cmf --device cuda --json | tail -n 1
