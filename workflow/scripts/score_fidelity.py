"""metrics.json of one (dataset, generator) bank against the real training split; with no bank
(rule score_fidelity_reference) the real validation split is scored instead, as the floor."""
from synecg.runtime import rule_logger, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

import numpy as np

from synecg.data.store import load_split
from synecg.fidelity.embed import SPACES, concat_sets, load_npz, physiology_of, subset
from synecg.fidelity.score import FidelityConfig, score_set
from synecg.generators.bank import concat_banks, load_bank
from synecg.io import read_json, write_json

dataset = snakemake.wildcards.dataset
generator = snakemake.wildcards.get("generator", "reference")
cfg = FidelityConfig.from_config(snakemake.params.fidelity)
real = load_npz(snakemake.input.real)
train, val = subset(real, "train_"), subset(real, "val_")
x_train, y_train, _ = load_split(snakemake.params.data_dir, "train")
x_val, _, _ = load_split(snakemake.params.data_dir, "val")
if snakemake.params.bank_dirs:
    banks = [load_bank(d, mmap=True) for d in snakemake.params.bank_dirs]
    bank = banks[0] if len(banks) == 1 else concat_banks(banks, list(snakemake.params.bank_dirs))
    fake = concat_sets([load_npz(p) for p in snakemake.input.features])
    x_fake, y_fake = bank.x, bank.y
    if not np.array_equal(fake["label"], y_fake):
        raise RuntimeError(f"cached features of {dataset}/{generator} do not match its bank labels; delete {snakemake.input.features}")
else:
    fake, x_fake, y_fake = val, x_val, val["label"]
result = score_set(
    real_x=x_train, real_y=y_train, heldout_x=x_val, fake_x=x_fake, fake_y=y_fake,
    real_features={s: train[s] for s in SPACES}, fake_features={s: fake[s] for s in SPACES},
    fake_predicted=fake["predicted"], real_physiology=physiology_of(train), fake_physiology=physiology_of(fake),
    fs=snakemake.params.fs, cfg=cfg, seed=snakemake.params.seed, name=f"{dataset}/{generator}", logger=log,
)
extractor = read_json(snakemake.input.extractor)
result.update({
    "dataset": dataset,
    "generator": "real (val)" if generator == "reference" else generator,
    "extractor_sha256": extractor["sha256"],
    "extractor_val_acc": extractor["val_acc"],
    "config": snakemake.params.fidelity,
})
write_json(snakemake.output[0], result)
