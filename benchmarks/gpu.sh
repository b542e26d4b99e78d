#!/usr/bin/env bash
# GPU smoke test and throughput of every model, in bf16 on CUDA. Each stage contributes one
# benchmarks/gpu_<stage>.py script; this runs them all and prints their tables.
# Usage (on a machine with a CUDA build of torch): bash benchmarks/gpu.sh
# GPU_SCRIPT_TIMEOUT bounds each script (seconds, default 110: five scripts stay under 10 minutes),
# so one slow model cannot eat a short GPU lease; GPU_SCRIPT_TIMEOUT=0 lets every script finish.
set -uo pipefail
PY=${PYTHON:-python3}
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name(0))" || exit 1
status=0
for script in benchmarks/gpu_*.py; do
  echo "== $script"
  if [ "${GPU_SCRIPT_TIMEOUT:-110}" != 0 ]; then
    timeout "${GPU_SCRIPT_TIMEOUT:-110}" "$PY" "$script" || { echo "FAILED (or timed out): $script"; status=1; }
  else
    "$PY" "$script" || { echo "FAILED: $script"; status=1; }
  fi
done
exit $status
