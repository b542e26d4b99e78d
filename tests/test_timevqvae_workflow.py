"""The TimeVQVAE rules on the tiny preset and the demo data: a valid bank and figure out; a prior
(stage-2) setting re-runs only stage 2 and sampling."""

import numpy as np
import pytest

from conftest import TINY_CONFIG, run_snakemake
from synecg.constants import CLASSES
from synecg.data.store import load_split
from synecg.generators.bank import load_bank

RULES = ("train_timevqvae_stage1", "tokenize_timevqvae", "train_timevqvae_stage2", "sample_timevqvae_bank",
         "plot_timevqvae_reconstructions")


@pytest.mark.workflow
def test_tiny_timevqvae_writes_bank_and_figure_and_prior_change_reruns_only_stage2(tmp_path):
    bank_dir = tmp_path / "results" / "synthetic" / "ptbxl" / "timevqvae"
    fig = tmp_path / "results" / "generators" / "ptbxl" / "timevqvae" / "reconstructions.png"
    targets = [str(p.relative_to(tmp_path)) for p in (bank_dir / "bank.npy", fig)]
    # One thread per job: tiny models on a shared 2-core machine run slower with two. "--" ends --configfile.
    one_thread = ["--set-threads", *(f"{r}=1" for r in RULES)]
    run_snakemake(tmp_path, *one_thread, "--", *targets, configfiles=(TINY_CONFIG,))

    bank = load_bank(bank_dir)
    _, y_train, _ = load_split(tmp_path / "results" / "data" / "ptbxl", "train")
    counts = np.bincount(bank.y, minlength=len(CLASSES))
    present = np.bincount(y_train, minlength=len(CLASSES)) > 0
    assert (counts[present] == counts[present][0]).all() and counts[present][0] > 0  # balanced prior
    assert (counts[~present] == 0).all()
    assert bank.x.shape[1:] == (12, 1000) and np.isfinite(bank.x).all() and bank.x.std() > 0.01
    assert bank.meta["generator"] == "timevqvae" and len(bank.meta["checkpoints"]["stage1"]) == 64
    assert fig.stat().st_size > 10_000
    log = (tmp_path / "logs" / "train_timevqvae_stage1" / "ptbxl.log").read_text()
    assert "step 12/12" in log and "validation reconstruction" in log

    prior_change = tmp_path / "prior.yaml"
    prior_change.write_text("generators:\n  timevqvae:\n    stage2: {steps: 10}\n")
    dry = run_snakemake(tmp_path, "-n", "--", *targets, configfiles=(TINY_CONFIG, prior_change)).stdout
    assert "train_timevqvae_stage2" in dry and "sample_timevqvae_bank" in dry
    assert "train_timevqvae_stage1" not in dry and "tokenize_timevqvae" not in dry
