"""Figure: stage-1 reconstructions (LF, HF, sum) of real test records, one per class where available."""

from pathlib import Path

import numpy as np
import torch

from synecg.data.store import load_split
from synecg.generators.timevqvae.stft import crossover_hz
from synecg.generators.timevqvae.plots import plot_reconstructions
from synecg.generators.timevqvae.train import build_stage1, load_payload, reconstruct
from synecg.runtime import rule_logger, set_threads
from synecg.seeding import numpy_rng

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)
model = build_stage1(load_payload(snakemake.input.stage1))
x, y, _ = load_split(Path(snakemake.input.records).parent, "test")
rng = numpy_rng(snakemake.params.seed, "timevqvae", snakemake.wildcards.dataset, "reconstruction-figure")
# One record of each class present in the test split (seeded choice), then others, up to n_records.
first = [int(rng.choice(np.flatnonzero(y == c))) for c in np.unique(y)]
rest = [i for i in rng.permutation(len(y)).tolist() if i not in first]
rows = sorted((first + rest)[: snakemake.params.n_records])
rec = reconstruct(model, np.asarray(x[rows]), torch.device("cpu"))
fs = snakemake.config["sampling_rate"]
plot_reconstructions(rec, y[rows].tolist(), fs, snakemake.output[0], lead=snakemake.params.lead,
                     crossover_hz=crossover_hz(fs, model.cfg.n_fft))
err = float(np.mean((rec["xhat"] - rec["x"]) ** 2))
log.info(f"plotted test records {rows}; their reconstruction MSE {err:.5g} mV^2")
