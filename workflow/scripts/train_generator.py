"""Train one diffusion generator (sssd | diffwave | timediffusion) on a dataset's training split.

Resumes from the newest checkpoint of the same settings in params.checkpoints; writes model.pt
(final weights, EMA weights, configs) atomically.
"""

import torch

from synecg.data.store import load_split
from synecg.generators.diffusion_train import Runtime, TrainSettings, train_diffusion
from synecg.generators.registry import process_for
from synecg.io import atomic_path
from synecg.runtime import rule_logger, select_device, set_threads
from synecg.seeding import derive_seed

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)
dataset_dir = snakemake.input.records.rsplit("/", 1)[0]
x_train, y_train, _ = load_split(dataset_dir, "train")
x_val, y_val, _ = load_split(dataset_dir, "val")
log.info(f"{snakemake.wildcards.generator} on {snakemake.wildcards.dataset}: {len(y_train)} train, {len(y_val)} val records")

s = snakemake.params.settings
rt = snakemake.params.runtime
payload = train_diffusion(
    snakemake.wildcards.generator,
    TrainSettings.from_config(s["generator"], s["training"]),
    x_train,
    y_train,
    x_val,
    y_val,
    checkpoint_dir=snakemake.params.checkpoints,
    seed=derive_seed(s["seed"], "train_generator", snakemake.wildcards.dataset),  # own streams per dataset
    runtime=Runtime(select_device(rt["device"]), rt["bf16"], rt["compile"]),
    logger=log,
    process_config=process_for(snakemake.wildcards.generator, s["generator"].get("process")),
)
payload["dataset"] = snakemake.wildcards.dataset
with atomic_path(snakemake.output.model) as tmp:
    torch.save(payload, tmp)
log.info(f"wrote {snakemake.output.model}")
