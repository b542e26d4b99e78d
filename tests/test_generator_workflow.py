"""Workflow: the diffusion generators train on the demo data, sample banks, merge and plot them.

Read from the session's tiny study (the full DAG on tests/configs/tiny.yaml), which trains every
generator anyway: a second training run here would only repeat it.
"""

import numpy as np
import pytest
import yaml
from conftest import TINY_CONFIG

from synecg.constants import CLASSES
from synecg.data.store import load_split
from synecg.generators.bank import load_bank

PER_CLASS = yaml.safe_load(TINY_CONFIG.read_text())["bank"]["per_class"]  # balanced banks

GENERATORS = ["sssd", "diffwave"]  # the diffusion generators the tiny study enables


@pytest.mark.workflow
def test_diffusion_generators_train_sample_merge_and_plot_on_demo_data(tiny_study):
    _, y_train, _ = load_split(tiny_study / "results/data/ptbxl", "train")
    present = np.unique(y_train)
    for g in GENERATORS:
        assert (tiny_study / f"results/generators/ptbxl/{g}/model.pt").is_file()
        assert list((tiny_study / f"results/generators/ptbxl/{g}/checkpoints").glob("step_*.pt"))
        log = (tiny_study / f"logs/train_generator/ptbxl/{g}.log").read_text()
        assert "step 6/6" in log and "val_loss=" in log
        bank = load_bank(tiny_study / f"results/synthetic/ptbxl/{g}")
        assert bank.x.shape[1:] == (12, 1000) and np.isfinite(bank.x).all()
        assert np.array_equal(np.bincount(bank.y, minlength=len(CLASSES))[present], np.full(len(present), PER_CLASS))
        assert bank.meta["sampler"] == "ddim" and bank.meta["steps"] == 4 and len(bank.meta["checkpoint_sha256"]) == 64
    ptbxl, chapman = load_bank(tiny_study / "results/synthetic/ptbxl/sssd"), load_bank(tiny_study / "results/synthetic/chapman/sssd")
    merged = load_bank(tiny_study / "results/synthetic/merged/sssd")
    assert np.array_equal(merged.x, np.concatenate([ptbxl.x, chapman.x]))
    assert not (tiny_study / "results/generators/merged").exists()  # merged bank = concatenation by default
    assert (tiny_study / "results/figures/banks/ptbxl/sssd.png").stat().st_size > 10_000
    sssd = ptbxl.x  # derived limb leads obey Einthoven in the written (canonical-order) bank
    np.testing.assert_allclose(sssd[:, 1], sssd[:, 0] + sssd[:, 2], atol=1e-5)
