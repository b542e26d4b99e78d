"""Train TimeVQVAE stage 1 (the LF/HF VQ-VAE) on one dataset's training split."""

from pathlib import Path

import torch

from synecg.data.store import load_split
from synecg.generators.timevqvae.config import Stage1Config
from synecg.generators.timevqvae.train import train_stage1
from synecg.io import atomic_path
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)
compute = snakemake.config.get("compute", {})
device = select_device(compute.get("device", "auto"))
dataset = snakemake.wildcards.dataset
data_dir = Path(snakemake.input.records).parent
x_train, _, _ = load_split(data_dir, "train")
x_val, _, _ = load_split(data_dir, "val")
cfg = Stage1Config(**snakemake.params.stage1)
log.info(f"TimeVQVAE stage 1 on {dataset}: {len(x_train)} train / {len(x_val)} val records, device {device}, {cfg}")
payload = train_stage1(
    x_train, x_val, cfg, snakemake.params.seed, dataset, Path(snakemake.output[0]).parent / "checkpoints" / "stage1",
    device, bf16=compute.get("bf16", True), compile=compute.get("compile", False), logger=log,
)
log.info(f"tokens per record: LF {payload['n_tokens'][0]}, HF {payload['n_tokens'][1]}; validation MSE {payload['val_recon']}")
with atomic_path(snakemake.output[0]) as tmp:
    torch.save(payload, tmp)
