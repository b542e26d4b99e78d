"""The TimeVQVAE rules on the tiny preset and the demo data: a valid bank and figure out; a prior
(stage-2) setting re-runs only stage 2 and sampling.

The bank and figure are read from the session's tiny study (the full DAG on tests/configs/tiny.yaml);
the re-run plan is made on a copy of it, which is never changed.
"""

import numpy as np
import pytest

from conftest import TINY_CONFIG, copy_study, run_snakemake
from synecg.constants import CLASSES
from synecg.data.store import load_split
from synecg.generators.bank import load_bank


@pytest.mark.workflow
def test_tiny_timevqvae_writes_bank_and_figure_and_prior_change_reruns_only_stage2(tiny_study, tmp_path):
    bank_dir = tiny_study / "results" / "synthetic" / "ptbxl" / "timevqvae"
    fig = tiny_study / "results" / "generators" / "ptbxl" / "timevqvae" / "reconstructions.png"
    targets = [str(p.relative_to(tiny_study)) for p in (bank_dir / "bank.npy", fig)]

    bank = load_bank(bank_dir)
    _, y_train, _ = load_split(tiny_study / "results" / "data" / "ptbxl", "train")
    counts = np.bincount(bank.y, minlength=len(CLASSES))
    present = np.bincount(y_train, minlength=len(CLASSES)) > 0
    assert (counts[present] == counts[present][0]).all() and counts[present][0] > 0  # balanced prior
    assert (counts[~present] == 0).all()
    assert bank.x.shape[1:] == (12, 1000) and np.isfinite(bank.x).all() and bank.x.std() > 0.01
    assert bank.meta["generator"] == "timevqvae" and len(bank.meta["checkpoints"]["stage1"]) == 64
    assert fig.stat().st_size > 10_000
    log = (tiny_study / "logs" / "train_timevqvae_stage1" / "ptbxl.log").read_text()
    assert "step 12/12" in log and "validation reconstruction" in log

    workdir = copy_study(tiny_study, tmp_path / "study")
    unchanged = run_snakemake(workdir, "-n", "--", *targets, configfiles=(TINY_CONFIG,))
    assert "Nothing to be done" in unchanged.stdout + unchanged.stderr
    prior_change = tmp_path / "prior.yaml"
    prior_change.write_text("generators:\n  timevqvae:\n    stage2: {steps: 10}\n")
    dry = run_snakemake(workdir, "-n", "--", *targets, configfiles=(TINY_CONFIG, prior_change)).stdout
    assert "train_timevqvae_stage2" in dry and "sample_timevqvae_bank" in dry
    assert "train_timevqvae_stage1" not in dry and "tokenize_timevqvae" not in dry
