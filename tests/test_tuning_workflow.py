"""End to end: the tuning stage of the workflow on fixture data (tiny config), and the DAG switch."""

import time

import pandas as pd
import pytest
import yaml

from conftest import TINY_CONFIG, run_snakemake
from experiment_fixtures import DEFAULT_SPLITS, write_dataset, write_study_inputs
from test_experiments_workflow import _planned

TUNING_RULES = ["create_tuning_study", "tune_classifier", "summarise_tuning", "plot_tuning_history"]
TINY_SEARCH = {
    "compute": {"device": "cpu"},
    "tuning": {"n_trials": 3, "workers": 2, "max_epochs": 2, "startup_trials": 1,
               "space": {"blocks": {"low": 1, "high": 2}, "kernels": {"choices": [4, 8]},
                         "fc_units": {"low": 4, "high": 16, "log": True}}},
}


def _overlay(tmp_path, extra=None):
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump({**TINY_SEARCH, **(extra or {})}))
    return path


@pytest.mark.workflow
def test_tiny_search_writes_best_preset_trials_and_history_from_train_and_val_only(tmp_path):
    write_dataset(tmp_path / "results/data/ptbxl", "ptbxl", DEFAULT_SPLITS, 200, 0)
    (tmp_path / "results/data/ptbxl/test.npy").unlink()  # a search that opened the test split would fail
    targets = ["results/tuning/ptbxl/best.yaml", "results/tuning/ptbxl/history.png"]
    started = time.perf_counter()
    run_snakemake(tmp_path, "--allowed-rules", *TUNING_RULES, "--printshellcmds", *targets,
                  configfiles=(TINY_CONFIG, _overlay(tmp_path)))
    print(f"tiny search: {time.perf_counter() - started:.1f} s")
    best = yaml.safe_load((tmp_path / "results/tuning/ptbxl/best.yaml").read_text())
    trials = pd.read_csv(tmp_path / "results/tuning/ptbxl/trials.csv")
    assert len(trials) == 3 and sorted(trials["worker"]) == [0, 0, 1]
    assert best["provenance"]["study"] == "synecg-classifier-ptbxl" and best["provenance"]["seed"] == 7
    assert best["provenance"]["data_files"] == [f"results/data/ptbxl/{f}" for f in ("records.csv", "train.npy", "val.npy")]
    assert best["validation"]["value"] == pytest.approx(trials["value"].max())
    assert best["preset"]["blocks"] in (1, 2) and best["preset"]["kernels"] in (4, 8)
    assert (tmp_path / "results/tuning/ptbxl/history.png").stat().st_size > 5_000


@pytest.mark.workflow
def test_tuned_family_makes_classifier_jobs_depend_on_the_search_and_published_plans_none(tmp_path):
    write_study_inputs(tmp_path, ["sssd"], length=20)
    args = ("--printshellcmds", "results/experiments/ptbxl/TrRTeR/real/models.pt")
    tuned = run_snakemake(tmp_path, "-n", *args, configfiles=(TINY_CONFIG, _overlay(
        tmp_path, {"classifier": {"preset_family": "tuned"}, "generators": {"enabled": ["sssd"]}})))
    jobs = _planned(tuned.stdout)
    assert jobs["tune_classifier"] == 2 and jobs["summarise_tuning"] == 1 and jobs["train_real_classifier"] == 1
    # no tuning job lists the test split among its inputs
    blocks = tuned.stdout.split("\n\n")
    tuning_blocks = [b for b in blocks if any(f"rule {r}:" in b for r in TUNING_RULES)]
    assert tuning_blocks and not any("test.npy" in b for b in tuning_blocks)
    published = run_snakemake(tmp_path, "-n", *args, configfiles=(TINY_CONFIG, _overlay(
        tmp_path, {"generators": {"enabled": ["sssd"]}})))
    assert not set(_planned(published.stdout)) & set(TUNING_RULES)
