"""Tokenise the training and validation splits once with the trained stage 1 (stage 2 reads these)."""

from pathlib import Path

import torch

from synecg.data.store import load_split
from synecg.generators.bank import file_sha256
from synecg.generators.timevqvae.train import build_stage1, load_payload, tokenize
from synecg.io import atomic_path
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)
compute = snakemake.config.get("compute", {})
device = select_device(compute.get("device", "auto"))
model = build_stage1(load_payload(snakemake.input.stage1)).to(device)
data_dir = Path(snakemake.input.records).parent
out = {"stage1_sha256": file_sha256(snakemake.input.stage1)}
for split in ("train", "val"):
    x, y, _ = load_split(data_dir, split)
    lf, hf = tokenize(model, x, device, bf16=compute.get("bf16", True))
    out[split] = {"lf": lf, "hf": hf, "y": torch.from_numpy(y)}
    log.info(f"{split}: {len(y)} records -> LF {tuple(lf.shape)}, HF {tuple(hf.shape)}; "
             f"codes used LF {lf.unique().numel()}, HF {hf.unique().numel()} of {model.cfg.codebook_size}")
with atomic_path(snakemake.output[0]) as tmp:
    torch.save(out, tmp)
