"""Sample a class-conditional bank from a trained diffusion generator and write the bank contract."""

import time
from datetime import datetime, timezone

import torch

from synecg.constants import CLASSES
from synecg.data.store import load_split
from synecg.generators.bank import file_sha256, write_bank
from synecg.generators.bank import class_draws
from synecg.generators.diffusion_train import Runtime, sample_diffusion
from synecg.runtime import rule_logger, select_device, set_threads
from synecg.seeding import derive_seed, numpy_rng

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)
dataset, generator = snakemake.wildcards.dataset, snakemake.wildcards.generator
bank, seed, rt = snakemake.params.bank, snakemake.params.seed, snakemake.params.runtime

payload = torch.load(snakemake.input.model, map_location="cpu", weights_only=True)
_, y_train, _ = load_split(snakemake.input.records.rsplit("/", 1)[0], "train")
labels = class_draws(bank["per_class"], len(CLASSES), bank["class_prior"], numpy_rng(seed, "bank", dataset, generator), y_train)
noise_seed = derive_seed(seed, "bank", dataset, generator, "noise")
runtime = Runtime(select_device(rt["device"]), rt["bf16"], rt["compile"])
steps = payload["process"]["train_steps"] if bank["sampler"] == "ddpm" else bank["ddim_steps"]
log.info(f"{generator} on {dataset}: {len(labels)} signals, sampler {bank['sampler']} with {steps} steps, device {runtime.device}")

t0 = time.monotonic()
x = sample_diffusion(payload, labels, noise_seed, bank["sampler"], steps, bank["batch_size"], runtime, logger=log)
seconds = time.monotonic() - t0
write_bank(
    snakemake.output.bank.rsplit("/", 1)[0],
    x,
    labels,
    {
        "generator": generator,
        "dataset": dataset,
        "sampling_rate": snakemake.params.sampling_rate,
        "config": {k: payload[k] for k in ("network_config", "process", "settings")},
        "trained_steps": payload["final_step"],
        "seed": noise_seed,
        "label_seed": derive_seed(seed, "bank", dataset, generator),
        "checkpoint": snakemake.input.model,
        "checkpoint_sha256": file_sha256(snakemake.input.model),
        "weights": "ema",
        "sampler": bank["sampler"],
        "steps": steps,
        "class_prior": bank["class_prior"],
        "per_class": bank["per_class"],
        "batch_size": bank["batch_size"],
        "device": str(runtime.device),
        "bf16_autocast": runtime.autocast,
        "sampling_seconds": round(seconds, 3),
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    },
)
log.info(f"wrote {len(labels)} signals in {seconds:.1f} s")
