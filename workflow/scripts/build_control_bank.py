"""A control bank (synecg.experiments.controls) of one dataset, from its real training split only,
written through the bank contract with a generator bank's size and class counts."""
from datetime import datetime, timezone

import numpy as np

from synecg.constants import CLASSES
from synecg.data.store import load_split
from synecg.experiments.controls import control_rows
from synecg.generators.bank import class_draws, write_bank
from synecg.runtime import rule_logger
from synecg.seeding import derive_seed, numpy_rng

log = rule_logger(snakemake.log[0])
dataset, kind = snakemake.wildcards.dataset, snakemake.wildcards.control
seed, per_class, prior = snakemake.params.seed, snakemake.params.per_class, snakemake.params.class_prior

x_train, y_train, records = load_split(snakemake.params.data_dir, "train")
labels = class_draws(per_class, len(CLASSES), prior, numpy_rng(seed, "control_bank", dataset, kind, "labels"), y_train)
rows = control_rows(kind, y_train, labels, numpy_rng(seed, "control_bank", dataset, kind, "rows"))
order = np.argsort(rows, kind="stable")  # read the memory-mapped split in file order
x = np.empty((len(rows), *x_train.shape[1:]), dtype=np.float32)
x[order] = x_train[rows[order]]
write_bank(
    snakemake.output.bank.rsplit("/", 1)[0],
    x,
    labels,
    {
        "generator": snakemake.params.generator,
        "control": kind,
        "dataset": dataset,
        "source": "real training split",
        "source_record_ids": records["record_id"].astype(str).to_numpy()[rows].tolist(),
        "labels_match_records": float(np.mean(y_train[rows] == labels)),
        "per_class": per_class,
        "class_prior": prior,
        "label_seed": derive_seed(seed, "control_bank", dataset, kind, "labels"),
        "row_seed": derive_seed(seed, "control_bank", dataset, kind, "rows"),
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    },
)
log.info(f"{kind} control bank of {dataset}: {len(labels)} real training records of {len(y_train)}, "
         f"{np.mean(y_train[rows] == labels):.3f} carry their own label")
