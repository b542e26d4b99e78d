"""Figure: one synthetic 12-lead ECG per class next to a real training record of the same class."""

from synecg.data.store import load_split
from synecg.generators.bank import load_bank
from synecg.io import atomic_path
from synecg.plots.banks import plot_bank_grid
from synecg.runtime import rule_logger
from synecg.seeding import numpy_rng

log = rule_logger(snakemake.log[0])
dataset, generator = snakemake.wildcards.dataset, snakemake.wildcards.generator
bank = load_bank(snakemake.params.bank, mmap=True)
x_real, y_real, _ = load_split(snakemake.params.dataset_dir, "train")
fig = plot_bank_grid(
    x_real, y_real, bank.x, bank.y, numpy_rng(snakemake.params.seed, "plot_bank", dataset, generator),
    title=f"{generator} bank, {dataset}: real (left) vs synthetic (right)",
    fs=snakemake.params.sampling_rate,
)
with atomic_path(snakemake.output[0]) as tmp:
    fig.savefig(tmp, dpi=110)
log.info(f"wrote {snakemake.output[0]}")
