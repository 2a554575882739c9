#!/usr/bin/env bash
# One short script for a lent GPU machine (under 10 minutes): every method for two epochs on
# CUDA, one run through the worker on CUDA, then speed on CUDA beside the CPU. Prints figures;
# run it with a timeout that leaves room for a rerun.
set -uo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -r requirements-test.txt
python3 -c "import torch; print('cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
python3 -m pytest -q -m gpu tests/test_methods.py
for m in $(python3 -m crossrec methods --json | python3 -c "import json,sys; print(' '.join(c['name'] for c in json.load(sys.stdin)['methods']))"); do
  python3 -m crossrec train synthetic --method "$m" --device cuda --set epochs=2 --json | tail -n 1
done
export CROSSREC_HOME=$(mktemp -d)
id=$(python3 -m crossrec submit synthetic --method cmf --device cuda --set epochs=3 --json | python3 -c "import json,sys; print(json.load(sys.stdin)['run_id'])")
python3 -m crossrec worker --once && python3 -m crossrec show "$id" --json
D=../shared/data/amazon_disencdr
for device in cuda cpu; do
  python3 bench/train_speed.py --source $D/sport_cloth --target $D/cloth_sport --method target_only \
    --epochs 5 --set dim=64 --set batch_size=4096 --device $device --json
  python3 bench/methods_speed.py synthetic --device $device --json
done
