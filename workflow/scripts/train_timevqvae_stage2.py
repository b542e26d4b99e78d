"""Train the TimeVQVAE LF and HF priors on the cached training tokens."""

from pathlib import Path

import torch

from synecg.generators.timevqvae.config import PriorConfig, Stage2Config
from synecg.generators.timevqvae.train import load_payload, train_stage2
from synecg.io import atomic_path
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)
compute = snakemake.config.get("compute", {})
device = select_device(compute.get("device", "auto"))
dataset = snakemake.wildcards.dataset
p = dict(snakemake.params.stage2)
cfg = Stage2Config(**{**p, "lf": PriorConfig(**p["lf"]), "hf": PriorConfig(**p["hf"])})
stage1 = load_payload(snakemake.input.stage1)
tokens = load_payload(snakemake.input.tokens)
log.info(f"TimeVQVAE stage 2 on {dataset}: {len(tokens['train']['y'])} tokenised records, device {device}, {cfg}")
payload = train_stage2(
    tokens, stage1, cfg, snakemake.params.seed, dataset, Path(snakemake.output[0]).parent / "checkpoints" / "stage2",
    device, bf16=compute.get("bf16", True), compile=compute.get("compile", False), logger=log,
)
with atomic_path(snakemake.output[0]) as tmp:
    torch.save(payload, tmp)
