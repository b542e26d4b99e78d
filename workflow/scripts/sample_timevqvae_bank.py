"""Sample a class-conditional TimeVQVAE bank (iterative decoding, LF then HF) and write it."""

import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from synecg.constants import CLASS_INDEX, CLASSES, N_CLASSES
from synecg.data.store import kept_rows, read_records
from synecg.generators.bank import file_sha256, write_bank
from synecg.generators.bank import class_draws
from synecg.generators.timevqvae.config import SamplingConfig
from synecg.generators.timevqvae.train import build_stage1, build_stage2, load_payload, sample
from synecg.runtime import rule_logger, select_device, set_threads
from synecg.seeding import numpy_rng, torch_generator

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)
compute = snakemake.config.get("compute", {})
device = select_device(compute.get("device", "auto"))
dataset = snakemake.wildcards.dataset
cfg = SamplingConfig(**snakemake.params.sampling)
stage1 = build_stage1(load_payload(snakemake.input.stage1)).to(device)
priors = build_stage2(load_payload(snakemake.input.stage2)).to(device)
y_train = kept_rows(read_records(snakemake.input.records), "train")["label"].map(CLASS_INDEX).to_numpy()
labels_rng = numpy_rng(snakemake.params.seed, "timevqvae", dataset, "bank-labels")
y = class_draws(snakemake.params.per_class, N_CLASSES, snakemake.params.class_prior, labels_rng, y_train)
counts = np.bincount(y, minlength=N_CLASSES).tolist()
log.info(f"sampling {dict(zip(CLASSES, counts))} on {device} with {cfg}")
generator = torch_generator(snakemake.params.seed, "timevqvae", dataset, "sample", device=device.type)
t0 = time.monotonic()
x = sample(stage1, priors, y, cfg, generator, device, batch_size=snakemake.params.batch_size,
              bf16=compute.get("bf16", True))
seconds = time.monotonic() - t0
log.info(f"{len(y)} samples in {seconds:.1f} s")
write_bank(Path(snakemake.output.bank).parent, x, y, {
    "generator": "timevqvae", "dataset": dataset, "seed": snakemake.params.seed,
    "sampler": "maskgit iterative decoding", "sampling": asdict(cfg),
    "class_prior": snakemake.params.class_prior, "per_class": snakemake.params.per_class,
    "batch_size": snakemake.params.batch_size,
    "checkpoints": {"stage1": file_sha256(snakemake.input.stage1), "stage2": file_sha256(snakemake.input.stage2)},
    "device": str(device), "seconds": round(seconds, 3),
})
