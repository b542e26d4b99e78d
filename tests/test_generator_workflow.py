"""Workflow: the diffusion generators train on prepared data, sample banks, merge and plot them."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from synecg.constants import CLASSES
from synecg.data.store import SplitWriter, write_records
from synecg.generators.bank import load_bank
from conftest import TINY_CONFIG, run_snakemake

GENERATORS = ["sssd", "diffwave", "timediffusion"]


def _write_dataset(folder: Path, seed: int, per_class: int = 3, length: int = 1000) -> None:
    """A prepared dataset (store contract): beats as Gaussian bumps at a class-dependent rate, 12 leads."""
    rng = np.random.default_rng(seed)
    rows, arrays = [], {}
    for split, n in (("train", per_class), ("val", 1), ("test", 1)):
        signals = []
        for c, name in enumerate(CLASSES):
            for k in range(n):
                t = np.arange(length)
                period = 60 + 15 * c
                beats = np.exp(-0.5 * ((t[None, :] % period - period / 2) / 3.0) ** 2)
                gains = rng.uniform(0.3, 1.5, size=(12, 1))
                signals.append((gains * beats + 0.02 * rng.normal(size=(12, length))).astype(np.float32))
                rid = f"{split}{c}{k}"
                rows.append(dict(record_id=rid, patient_id=rid, source_path=f"raw/{rid}", raw_labels=name, label=name,
                                 split=split, status="kept", reason=""))
        arrays[split] = signals
    for split, signals in arrays.items():
        writer = SplitWriter(folder / f"{split}.npy", len(signals), length)
        for i, s in enumerate(signals):
            writer.write(i, s)
        writer.close()
    write_records(folder / "records.csv", pd.DataFrame(rows))


@pytest.mark.workflow
def test_diffusion_generators_train_sample_merge_and_plot_on_prepared_data(tmp_path):
    for i, dataset in enumerate(("ptbxl", "chapman", "merged")):
        _write_dataset(tmp_path / "results" / "data" / dataset, seed=i)
    overlay = tmp_path / "generators.yaml"
    overlay.write_text(yaml.safe_dump({"generators": {"enabled": GENERATORS}}))
    targets = [f"results/synthetic/{d}/{g}/bank.npy" for d in ("ptbxl", "chapman", "merged") for g in GENERATORS]
    targets += [f"results/figures/banks/merged/{g}.png" for g in GENERATORS]
    run_snakemake(tmp_path, "--printshellcmds", *targets, configfiles=(TINY_CONFIG, overlay))  # a flag ends --configfile

    for g in GENERATORS:
        assert (tmp_path / f"results/generators/ptbxl/{g}/model.pt").is_file()
        assert sorted(p.name for p in (tmp_path / f"results/generators/ptbxl/{g}/checkpoints").glob("step_*.pt"))
        log = (tmp_path / f"logs/train_generator/ptbxl/{g}.log").read_text()
        assert "step 6/6" in log and "val_loss=" in log
        ptbxl, chapman = load_bank(tmp_path / f"results/synthetic/ptbxl/{g}"), load_bank(tmp_path / f"results/synthetic/chapman/{g}")
        assert ptbxl.x.shape == (2 * len(CLASSES), 12, 1000) and np.isfinite(ptbxl.x).all()
        assert np.array_equal(np.bincount(ptbxl.y, minlength=7), np.full(7, 2))
        assert ptbxl.meta["sampler"] == "ddim" and ptbxl.meta["steps"] == 4 and len(ptbxl.meta["checkpoint_sha256"]) == 64
        merged = load_bank(tmp_path / f"results/synthetic/merged/{g}")
        assert np.array_equal(merged.x, np.concatenate([ptbxl.x, chapman.x]))
    assert not (tmp_path / "results/generators/merged").exists()  # merged bank = concatenation by default
    for g in GENERATORS:
        assert (tmp_path / f"results/figures/banks/merged/{g}.png").stat().st_size > 10_000
