"""Workflow: the diffusion generators train on the demo data, sample banks, merge and plot them."""

import numpy as np
import pytest
import yaml
from conftest import TINY_CONFIG, run_snakemake

from synecg.constants import CLASSES
from synecg.data.store import load_split
from synecg.generators.bank import load_bank

PER_CLASS = yaml.safe_load(TINY_CONFIG.read_text())["bank"]["per_class"]  # balanced banks

GENERATORS = ["sssd", "diffwave", "timediffusion"]


@pytest.mark.workflow
def test_diffusion_generators_train_sample_merge_and_plot_on_demo_data(tmp_path):
    overlay = tmp_path / "generators.yaml"
    overlay.write_text(yaml.safe_dump({"generators": {"enabled": GENERATORS}}))
    targets = [f"results/synthetic/ptbxl/{g}/bank.npy" for g in GENERATORS]
    targets += ["results/synthetic/merged/sssd/bank.npy", "results/figures/banks/ptbxl/sssd.png"]
    run_snakemake(tmp_path, "--printshellcmds", *targets, configfiles=(TINY_CONFIG, overlay))  # a flag ends --configfile

    _, y_train, _ = load_split(tmp_path / "results/data/ptbxl", "train")
    present = np.unique(y_train)
    for g in GENERATORS:
        assert (tmp_path / f"results/generators/ptbxl/{g}/model.pt").is_file()
        assert list((tmp_path / f"results/generators/ptbxl/{g}/checkpoints").glob("step_*.pt"))
        log = (tmp_path / f"logs/train_generator/ptbxl/{g}.log").read_text()
        assert "step 6/6" in log and "val_loss=" in log
        bank = load_bank(tmp_path / f"results/synthetic/ptbxl/{g}")
        assert bank.x.shape[1:] == (12, 1000) and np.isfinite(bank.x).all()
        assert np.array_equal(np.bincount(bank.y, minlength=len(CLASSES))[present], np.full(len(present), PER_CLASS))
        assert bank.meta["sampler"] == "ddim" and bank.meta["steps"] == 4 and len(bank.meta["checkpoint_sha256"]) == 64
    ptbxl, chapman = load_bank(tmp_path / "results/synthetic/ptbxl/sssd"), load_bank(tmp_path / "results/synthetic/chapman/sssd")
    merged = load_bank(tmp_path / "results/synthetic/merged/sssd")
    assert np.array_equal(merged.x, np.concatenate([ptbxl.x, chapman.x]))
    assert not (tmp_path / "results/generators/merged").exists()  # merged bank = concatenation by default
    assert (tmp_path / "results/figures/banks/ptbxl/sssd.png").stat().st_size > 10_000
    sssd = ptbxl.x  # derived limb leads obey Einthoven in the written (canonical-order) bank
    np.testing.assert_allclose(sssd[:, 1], sssd[:, 0] + sssd[:, 2], atol=1e-5)
