"""GPU jobs started side by side without a scheduler each get their own device (select_device).

Starts ``--jobs`` worker processes at once, as local Snakemake does with ``--resources gpu=N``
(it sets no CUDA_VISIBLE_DEVICES). Each calls ``synecg.runtime.select_device("auto")``, then runs
bf16 matrix products on the device it got for ``--seconds`` and reports it. With more workers than
GPUs the extra ones must wait for a free GPU instead of sharing one. Prints one table: worker,
device, seconds waited for it, TFLOP/s. On CPU (``--device cpu --tiny``) the workers claim fake
GPU tokens through the same lock files, so the allocation is exercised without CUDA.

    PYTHONPATH=src python benchmarks/gpu_runtime.py [--jobs 2] [--seconds 5]
    PYTHONPATH=src python benchmarks/gpu_runtime.py --device cpu --tiny
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

WORKER = r"""
import json, sys, time
from pathlib import Path
import torch
from synecg import runtime

cuda, seconds, size, fake = sys.argv[1] == "cuda", float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t0 = time.monotonic()
if cuda:
    device = runtime.select_device("auto")
    name = f"{device} {torch.cuda.get_device_name(device)}"
else:  # no CUDA: claim one of `fake` GPU tokens through the same lock files
    index = runtime.claim_gpu_slot([str(i) for i in range(fake)], runtime.gpu_lock_dir(), poll_seconds=0.1)
    device, name = torch.device("cpu"), f"fake gpu {index} (cpu)"
waited = time.monotonic() - t0
a = torch.randn(size, size, device=device, dtype=torch.bfloat16)
b = torch.randn(size, size, device=device, dtype=torch.bfloat16)
flops, start = 0, time.monotonic()
while time.monotonic() - start < seconds:
    c = a @ b
    flops += 2 * size**3
    if cuda:
        torch.cuda.synchronize()
elapsed = time.monotonic() - start
print(json.dumps({"device": name, "waited_s": waited, "tflops": flops / elapsed / 1e12, "start": t0}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--tiny", action="store_true", help="small matrices, 1 s per worker")
    parser.add_argument("--jobs", type=int, default=0, help="workers (default: GPUs + 1, so one must wait)")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device (use --device cpu --tiny)")
    gpus = torch.cuda.device_count() if args.device == "cuda" else 2
    jobs = args.jobs or gpus + 1
    seconds, size = (1.0, 256) if args.tiny else (args.seconds, 8192)
    env = {**os.environ, "SYNECG_GPU_LOCK_DIR": tempfile.mkdtemp(prefix="synecg-gpu-locks-")}
    env.pop("SLURM_JOB_ID", None)
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, args.device, str(seconds), str(size), str(gpus)],
                              stdout=subprocess.PIPE, text=True, env=env) for _ in range(jobs)]
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise SystemExit(f"worker failed ({proc.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    print(f"{jobs} workers on {gpus} {'GPUs' if args.device == 'cuda' else 'fake GPUs'}, bf16 {size}x{size} matmul for {seconds:g} s each")
    print("| worker | device | waited s | TFLOP/s |")
    print("| --- | --- | --- | --- |")
    for i, r in enumerate(results):
        print(f"| {i} | {r['device']} | {r['waited_s']:.1f} | {r['tflops']:.2f} |")
    waited = sorted(r["waited_s"] for r in results)
    if jobs > gpus:
        assert waited[gpus] >= seconds * 0.8, "a worker beyond the GPU count must wait for a free GPU"
    print("ok: at most one worker per GPU at a time")


if __name__ == "__main__":
    main()
