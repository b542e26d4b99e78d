"""Record where a job ran (SLURM job id, CUDA_VISIBLE_DEVICES, the GPU it claimed) and when."""

import json
import os
import time

from synecg.io import write_json
from synecg.runtime import claim_gpu_slot, gpu_lock_dir, visible_gpu_tokens

start = time.time()
visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
claimed = None
if snakemake.params.claim:  # what select_device does on a GPU machine, without needing CUDA
    tokens = visible_gpu_tokens(len([t for t in visible.split(",") if t]))
    claimed = tokens[claim_gpu_slot(tokens, gpu_lock_dir(), poll_seconds=0.2)]
time.sleep(snakemake.params.seconds)
record = {
    "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
    "cuda_visible_devices": visible,
    "claimed": claimed,
    "start": start,
    "end": time.time(),
}
with open(snakemake.log[0], "w") as log:
    log.write(json.dumps(record) + "\n")
write_json(snakemake.output[0], record)
