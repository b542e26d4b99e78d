"""metrics.json of one (dataset, generator) bank against the real training split. With no bank
(rule score_fidelity_reference) it writes the dataset's two reference rows instead: the real floor
(held-out validation records, ``per_class`` of each class or all there are, against the training
split; the other validation records are its held-out reference) and the noise ceiling."""
from synecg.runtime import rule_logger, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

import numpy as np

from synecg.data.store import load_split
from synecg.fidelity.embed import SPACES, concat_sets, load_npz, noise_ceiling, physiology_of, subset
from synecg.fidelity.memorisation import RecordIndex
from synecg.fidelity.score import FidelityConfig, floor_intervals, floor_rows, score_set, space_reference
from synecg.generators.bank import concat_banks, load_bank
from synecg.io import read_json, write_json
from synecg.seeding import numpy_rng

dataset = snakemake.wildcards.dataset
generator = snakemake.wildcards.get("generator", "reference")
cfg = FidelityConfig.from_config(snakemake.params.fidelity)
seed, fs = snakemake.params.seed, snakemake.params.fs
real = load_npz(snakemake.input.real)
train, val, noise = subset(real, "train_"), subset(real, "val_"), subset(real, "noise_")
x_train, y_train, _ = load_split(snakemake.params.data_dir, "train")
x_val, y_val, _ = load_split(snakemake.params.data_dir, "val")
references = {s: space_reference(train[s], val[s], noise[s], cfg, seed, dataset, s) for s in SPACES}
extractor = read_json(snakemake.input.extractor)
index = RecordIndex(x_train, fs, cfg.memo)


def score(name, fake, x_fake, y_fake, x_held, y_held):
    result = score_set(
        real_x=x_train, real_y=y_train, heldout_x=x_held, heldout_y=y_held, fake_x=x_fake, fake_y=y_fake,
        real_features={s: train[s] for s in SPACES}, references=references, fake_features={s: fake[s] for s in SPACES},
        fake_predicted=fake["predicted"], real_physiology=physiology_of(train), fake_physiology=physiology_of(fake),
        fs=fs, cfg=cfg, seed=seed, name=f"{dataset}/{name}", train_index=index, logger=log,
    )
    result.update({"dataset": dataset, "generator": name, "extractor_sha256": extractor["sha256"],
                   "extractor_val_acc": extractor["val_acc"], "config": snakemake.params.fidelity})
    return result


if snakemake.params.bank_dirs:
    banks = [load_bank(d, mmap=True) for d in snakemake.params.bank_dirs]
    bank = banks[0] if len(banks) == 1 else concat_banks(banks, list(snakemake.params.bank_dirs))
    fake = concat_sets([load_npz(p) for p in snakemake.input.features])
    if not np.array_equal(fake["label"], bank.y):
        raise RuntimeError(f"cached features of {dataset}/{generator} do not match its bank labels; delete {snakemake.input.features}")
    write_json(snakemake.output[0], score(generator, fake, bank.x, bank.y, x_val, y_val))
else:
    rows, held = floor_rows(y_val, snakemake.params.per_class, numpy_rng(seed, "fidelity", "floor", dataset))
    floor_set = {k: (v[rows] if k in (*SPACES, "predicted", "label") else v) for k, v in val.items()}
    keep = np.isin(val["physio_row"], rows)  # physiology of the floor's own records, rows renumbered
    floor_set.update({k: v[keep] for k, v in val.items() if k.startswith("physio_")})
    floor_set["physio_row"] = np.searchsorted(rows, val["physio_row"][keep])
    result = score("real floor", floor_set, x_val[rows], y_val[rows], x_val[held], y_val[held])
    result["overall"].update(floor_intervals(train, val, rows, y_val, references, cfg, seed, dataset))
    write_json(snakemake.output.floor, result)
    x_noise = noise_ceiling(x_train, len(noise["label"]), numpy_rng(seed, "fidelity", "noise", dataset))
    write_json(snakemake.output.ceiling, score("noise ceiling", noise, x_noise, noise["label"], x_val, y_val))
