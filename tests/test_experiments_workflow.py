"""End to end: the experiment stage of the workflow on fixture data and banks (tiny config)."""

import time

import pandas as pd
import pytest
import yaml

from conftest import REPO_ROOT, TINY_CONFIG, run_snakemake
from experiment_fixtures import write_study_inputs
from synecg.io import read_json

EXPERIMENT_RULES = [
    "build_control_bank", "train_real_classifier", "train_balanced_classifier", "evaluate_cross_dataset", "train_synthetic_classifier",
    "train_augmented_classifier", "train_equal_pool_classifier", "transfer_classifier", "aggregate_experiments",
    "plot_transfer_curves", "plot_augmentation", "plot_baseline_confusion", "plot_answer",
]
TARGETS = ["aggregate_experiments", "plot_transfer_curves", "plot_augmentation", "plot_baseline_confusion", "plot_answer"]
ARMS = {"TrRTeR", "TrRTeR-balanced", "TrSTeR", "TrRTeS", "TrSTeS", "TrRSTeR", "TrRSTeR-r0.1", "transfer-head", "transfer-all"}
GENERATORS = ["sssd"]
needs_envs = pytest.mark.skipif(
    not (REPO_ROOT / "envs" / "torch.yaml").exists() or not (REPO_ROOT / "envs" / "eval.yaml").exists(),
    reason="envs/torch.yaml and envs/eval.yaml (the ops stage) are not in this checkout yet",
)


def _overlay(tmp_path, generators):
    """The fixture banks' generators; the control banks off (tests/test_experiments_control_banks.py runs them)."""
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump({"generators": {"enabled": generators}, "compute": {"device": "cpu"},
                                    "experiments": {"control_banks": []}}))
    return path


@pytest.mark.workflow
@needs_envs
def test_experiment_stage_produces_tables_and_figures_from_fixture_inputs(tmp_path):
    write_study_inputs(tmp_path, GENERATORS)
    overlay = _overlay(tmp_path, GENERATORS)
    run_snakemake(tmp_path, *_args(), configfiles=(TINY_CONFIG, overlay))

    runs = pd.read_csv(tmp_path / "results/tables/experiments_runs.csv")
    # 3 datasets x 9 arms x 2 fractions x 1 seed + cross 2 x 2
    assert len(runs) == 3 * len(ARMS) * 2 + 4
    assert set(runs["setting"]) == ARMS
    real_tests = runs[(runs["test_set"] == "real") & (runs["test_dataset"] == runs["dataset"])]
    assert (real_tests["n_test"] == real_tests["dataset"].map({"ptbxl": 21, "chapman": 21, "merged": 42})).all()
    cross = runs[runs["test_dataset"] != runs["dataset"]]
    assert set(cross["test_dataset"]) == {"ptbxl", "chapman"} and set(cross["dataset"]) == {"merged"}
    for name in ("baselines", "synthetic_settings", "augmentation", "transfer", "cross_dataset", "comparisons", "answer"):
        for ext in ("csv", "md", "tex"):
            assert (tmp_path / f"results/tables/{name}.{ext}").stat().st_size > 0
    answer = pd.read_csv(tmp_path / "results/tables/answer.csv")
    assert len(answer) == 3 * 2 and answer["primary"].sum() == 3  # per dataset: vs the control (primary), vs TrRTeR
    assert "Primary endpoint" in (tmp_path / "results/tables/answer.md").read_text()
    for fig in ("transfer_curves", "augmentation", "baseline_confusion", "answer"):
        assert (tmp_path / f"results/figures/experiments/{fig}.png").stat().st_size > 10_000
    log = (tmp_path / "logs/train_real_classifier/ptbxl.log").read_text()
    assert "epoch 1 train_loss" in log and "macro_f1" in log
    assert (tmp_path / "results/benchmarks/train_augmented_classifier/merged/sssd.tsv").exists()
    metrics = read_json(tmp_path / "results/experiments/chapman/TrRSTeR/sssd/frac0.50/seed0/metrics.json")
    assert metrics["n_train_synthetic"] > 0 and metrics["test_set"] == "real"
    assert (tmp_path / "results/experiments/chapman/TrRSTeR/sssd/frac0.50/seed0/predictions.npz").exists()
    manifest = read_json(tmp_path / "results/experiments/chapman/TrRSTeR/sssd/runs.json")["runs"]
    assert manifest == ["results/experiments/chapman/TrRSTeR/sssd/frac0.50/seed0/metrics.json",
                        "results/experiments/chapman/TrRSTeR/sssd/frac1.00/seed0/metrics.json"]

    # A change to the synthetic:real ratios re-runs the augmentation jobs only.
    overlay.write_text(yaml.safe_dump({"generators": {"enabled": GENERATORS}, "compute": {"device": "cpu"},
                                       "experiments": {"augmentation_ratios": [0.2], "control_banks": []}}))
    plan = run_snakemake(tmp_path, *_args(), "-n", configfiles=(TINY_CONFIG, overlay))
    jobs = _planned(plan.stdout)
    assert jobs.get("train_augmented_classifier") == 3
    assert not {"train_real_classifier", "train_synthetic_classifier", "transfer_classifier"} & set(jobs)


def _planned(stdout):
    """{rule: count} from the job table of a dry run."""
    counts, in_table = {}, False
    for line in stdout.splitlines():
        parts = line.split()
        if parts[:2] == ["job", "count"]:
            in_table = True
            continue
        if in_table:
            if len(parts) == 2 and parts[1].isdigit() and parts[0] != "total":
                counts[parts[0]] = int(parts[1])
            elif parts and parts[0] == "total":
                break
    return counts


@pytest.mark.workflow
def test_paper_grid_plans_in_seconds(tmp_path):
    paper = yaml.safe_load((REPO_ROOT / "config" / "paper.yaml").read_text())
    write_study_inputs(tmp_path, paper["generators"]["enabled"], length=20)
    started = time.perf_counter()
    plan = run_snakemake(tmp_path, *_args(), "-n",
                         configfiles=(REPO_ROOT / "config" / "paper.yaml",))
    seconds = time.perf_counter() - started
    jobs = _planned(plan.stdout)
    n_gen = len(paper["generators"]["enabled"]) + 1  # + all
    assert jobs["train_real_classifier"] == jobs["train_balanced_classifier"] == jobs["train_equal_pool_classifier"] == 3
    assert jobs["evaluate_cross_dataset"] == 1
    for rule in ("train_synthetic_classifier", "transfer_classifier"):
        assert jobs[rule] == 3 * n_gen
    n_controls = len(paper["experiments"]["control_banks"])  # TrRSTeR only, never in the pool
    assert n_controls == 2 and jobs["build_control_bank"] == 3 * n_controls
    assert jobs["train_augmented_classifier"] == 3 * (n_gen + n_controls)
    assert seconds < 60, f"planning the paper grid took {seconds:.1f} s"


def _args():
    """Only this stage's rules (the fixture files stand in for the data and bank stages), then the
    targets; a flag between them keeps argparse from reading the targets as config files or rules."""
    return ("--allowed-rules", *EXPERIMENT_RULES, "--printshellcmds", *TARGETS)
