"""The dataset's two reference rows, scored exactly like a bank: the real floor (held-out validation
records, ``per_class`` of each class or all there are, against the training split; the other
validation records are its held-out reference) and the noise ceiling (cached by embed_real)."""
from synecg.runtime import rule_logger, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

import numpy as np

from synecg.fidelity.embed import SPACES, noise_ceiling
from synecg.fidelity.job import RealContext
from synecg.fidelity.score import floor_intervals, floor_rows
from synecg.io import write_json
from synecg.seeding import numpy_rng

dataset, p = snakemake.wildcards.dataset, snakemake.params
real = RealContext.load(dataset, p.data_dir, snakemake.input.real, snakemake.input.extractor, p.fidelity, p.seed, p.fs)
val, x_val, y_val = real.val, real.x_val, real.y_val
rows, held = floor_rows(y_val, p.per_class, numpy_rng(p.seed, "fidelity", "floor", dataset))
floor_set = {k: (v[rows] if k in (*SPACES, "predicted", "label") else v) for k, v in val.items()}
keep = np.isin(val["physio_row"], rows)  # physiology of the floor's own records, rows renumbered
floor_set.update({k: v[keep] for k, v in val.items() if k.startswith("physio_")})
floor_set["physio_row"] = np.searchsorted(rows, val["physio_row"][keep])
result = real.score("real floor", floor_set, x_val[rows], y_val[rows], x_val[held], y_val[held], log)
result["overall"].update(floor_intervals(real.train, val, rows, y_val, real.references, real.cfg, p.seed, dataset))
write_json(snakemake.output.floor, result)
noise = real.noise
x_noise = noise_ceiling(real.x_train, len(noise["label"]), numpy_rng(p.seed, "fidelity", "noise", dataset))
write_json(snakemake.output.ceiling, real.score("noise ceiling", noise, x_noise, noise["label"], x_val, y_val, log))
