#!/usr/bin/env bash
# One short script for a lent GPU machine (under 10 minutes): every method for two epochs on
# CUDA, one run through the worker on CUDA, then speed on CUDA beside the CPU. Prints figures;
# run it with a timeout that leaves room for a rerun.
#   bash bench/gpu_check.sh              # on the GPU machine
#   DEVICE=cpu bash bench/gpu_check.sh   # the same steps on the CPU: checks the script itself
# The device machine gets a copy of the repository only, so the speed step uses the Amazon pair
# where ../shared/data has it and the built-in `synthetic` pair otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
DEVICE=${DEVICE:-cuda}
fail=0
step() { echo "== $*"; "$@" || { echo "FAILED: $*"; fail=1; }; }
python3 -m pip install -q -r requirements-test.txt
homes=()
fresh_home() { CROSSREC_HOME=$(mktemp -d); export CROSSREC_HOME; homes+=("$CROSSREC_HOME"); }
fresh_home  # the check's runs go to temporary homes, removed at the end
python3 -c "import torch; print('cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
[ "$DEVICE" = cuda ] && step python3 -m pytest -q -m gpu tests/test_methods.py
for m in $(python3 -m crossrec methods --json | python3 -c "import json,sys; print(' '.join(c['name'] for c in json.load(sys.stdin)['methods']))"); do
  step python3 -m crossrec train synthetic --method "$m" --device "$DEVICE" --set epochs=2 --json
done
fresh_home  # the worker only sees its own run (it would also project the runs above)
id=$(python3 -m crossrec submit synthetic --method cmf --device "$DEVICE" --set epochs=3 --json | python3 -c "import json,sys; print(json.load(sys.stdin)['run_id'])")
step python3 -m crossrec worker --once
step python3 -m crossrec show "$id" --json
D=../shared/data/amazon_disencdr
if [ -d "$D/sport_cloth" ]; then pair=(--source "$D/sport_cloth" --target "$D/cloth_sport"); else pair=(--pair synthetic); fi
devices="$DEVICE cpu"; [ "$DEVICE" = cpu ] && devices=cpu  # the dry run times the CPU once
for device in $devices; do
  step python3 bench/train_speed.py "${pair[@]}" --method target_only --epochs 5 --set dim=64 --set batch_size=4096 \
    --device "$device" --json
  step python3 bench/methods_speed.py synthetic --device "$device" --json
done
rm -rf "${homes[@]}"
exit $fail
