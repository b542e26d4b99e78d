"""The TimeVQVAE rules on the tiny preset: prepared data in, a valid bank and figure out; a prior
(stage-2) setting re-runs only stage 2 and sampling."""

import numpy as np
import pandas as pd
import pytest

from conftest import TINY_CONFIG, run_snakemake
from synecg.constants import CLASSES
from synecg.data.store import SplitWriter, write_records
from synecg.generators.bank import load_bank

RULES = ("train_timevqvae_stage1", "tokenize_timevqvae", "train_timevqvae_stage2", "sample_timevqvae_bank",
         "plot_timevqvae_reconstructions")


def _prepare_fixture(workdir, dataset="ptbxl", per_split=(24, 6, 6), length=1000):
    """A prepared dataset written through the data contract: three classes of noisy periodic signals."""
    rng = np.random.default_rng(0)
    rows, t = [], np.arange(length) / 100
    out = workdir / "results" / "data" / dataset
    for split, n in zip(("train", "val", "test"), per_split):
        writer = SplitWriter(out / f"{split}.npy", n, length)
        for i in range(n):
            label = ("SBRAD", "SR", "STACH")[i % 3]
            hz = {"SBRAD": 0.8, "SR": 1.2, "STACH": 2.0}[label]
            beat = np.exp(-((((t * hz) % 1.0) - 0.5) ** 2) / 0.002)  # a spike per beat
            writer.write(i, (beat * rng.uniform(0.5, 1.5, (12, 1)) + 0.03 * rng.standard_normal((12, length))).astype(np.float32))
            rows.append({"record_id": f"{split}{i}", "patient_id": f"p{split}{i}", "source_path": "fixture",
                         "raw_labels": label, "label": label, "split": split, "status": "kept", "reason": ""})
        writer.close()
    write_records(out / "records.csv", pd.DataFrame(rows))


@pytest.mark.workflow
def test_tiny_timevqvae_writes_bank_and_figure_and_prior_change_reruns_only_stage2(tmp_path):
    _prepare_fixture(tmp_path)
    bank_dir = tmp_path / "results" / "synthetic" / "ptbxl" / "timevqvae"
    fig = tmp_path / "results" / "generators" / "ptbxl" / "timevqvae" / "reconstructions.png"
    targets = [str(p.relative_to(tmp_path)) for p in (bank_dir / "bank.npy", fig)]
    # One thread per job: tiny models on a shared 2-core machine run slower with two. "--" ends --configfile.
    one_thread = ["--set-threads", *(f"{r}=1" for r in RULES)]
    run_snakemake(tmp_path, *one_thread, "--", *targets, configfiles=(TINY_CONFIG,))

    bank = load_bank(bank_dir)
    present = [CLASSES.index(c) for c in ("SBRAD", "SR", "STACH")]
    counts = np.bincount(bank.y, minlength=len(CLASSES))
    assert counts[present].min() == counts[present].max() > 0 and counts.sum() == counts[present].sum()
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
