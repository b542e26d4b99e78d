"""End to end: the experiment stage of the shared tiny study, and the paper grid's plan on fixture inputs."""

import time

import pandas as pd
import pytest
import yaml

from conftest import REPO_ROOT, TINY_CONFIG, copy_study, run_snakemake, tiny_config
from experiment_fixtures import write_study_inputs
from synecg.data.store import load_split
from synecg.io import read_json

EXPERIMENT_RULES = [
    "build_control_bank", "train_real_classifier", "train_balanced_classifier", "evaluate_cross_dataset", "train_synthetic_classifier",
    "train_augmented_classifier", "train_equal_pool_classifier", "transfer_classifier", "aggregate_experiments",
    "plot_transfer_curves", "plot_augmentation", "plot_baseline_confusion", "plot_answer",
]
TARGETS = ["aggregate_experiments", "plot_transfer_curves", "plot_augmentation", "plot_baseline_confusion", "plot_answer"]
REAL_ARMS = {"TrRTeR", "TrRTeR-balanced"}
SYNTHETIC_ARMS = {"TrSTeR", "TrRTeS", "TrSTeS", "TrRSTeR", "TrRSTeR-r0.1", "transfer-head", "transfer-all"}  # per bank
needs_envs = pytest.mark.skipif(
    not (REPO_ROOT / "envs" / "torch.yaml").exists() or not (REPO_ROOT / "envs" / "eval.yaml").exists(),
    reason="envs/torch.yaml and envs/eval.yaml (the ops stage) are not in this checkout yet",
)


@pytest.mark.workflow
@needs_envs
def test_experiment_stage_produces_tables_and_figures(tiny_study, tmp_path):
    """Read from the session's tiny study (its experiment stage runs on the tiny generators' banks);
    the ratio change is planned on a copy."""
    config = tiny_config()
    generators = list(config["generators"]["enabled"])
    has_pool = len([g for g in config["experiments"]["pool"]["members"] if g in generators]) > 1
    banks = generators + ["all"] * has_pool
    fractions = config["experiments"]["fractions"]
    runs = pd.read_csv(tiny_study / "results/tables/experiments_runs.csv")
    # per dataset: the real arms, 7 arms per bank (the pool included), the equal-size pool; then 2 x 2 cross rows
    per_dataset = len(fractions) * (len(REAL_ARMS) + len(SYNTHETIC_ARMS) * len(banks) + has_pool)
    assert len(runs) == 3 * per_dataset + 4
    assert set(runs["setting"]) == REAL_ARMS | SYNTHETIC_ARMS | ({"TrRSTeR-equal"} if has_pool else set())
    assert set(runs["generator"]) == {"real", *banks}
    real_tests = runs[(runs["test_set"] == "real") & (runs["test_dataset"] == runs["dataset"])]
    n_test = {d: len(load_split(tiny_study / f"results/data/{d}", "test")[1]) for d in ("ptbxl", "chapman", "merged")}
    assert (real_tests["n_test"] == real_tests["dataset"].map(n_test)).all()
    cross = runs[runs["test_dataset"] != runs["dataset"]]
    assert set(cross["test_dataset"]) == {"ptbxl", "chapman"} and set(cross["dataset"]) == {"merged"}
    for name in ("baselines", "synthetic_settings", "augmentation", "transfer", "cross_dataset", "comparisons", "answer"):
        for ext in ("csv", "md", "tex"):
            assert (tiny_study / f"results/tables/{name}.{ext}").stat().st_size > 0
    # per dataset and bank: vs the balanced control (the primary endpoint) and vs TrRTeR
    answer = pd.read_csv(tiny_study / "results/tables/answer.csv")
    assert len(answer) == 3 * len(banks) * 2 and answer["primary"].sum() == 3 * len(banks)
    assert set(answer.loc[answer["primary"], "reference"]) == {"TrRTeR-balanced"}
    assert "Primary endpoint" in (tiny_study / "results/tables/answer.md").read_text()
    for fig in ("transfer_curves", "augmentation", "baseline_confusion", "answer"):
        assert (tiny_study / f"results/figures/experiments/{fig}.png").stat().st_size > 10_000
    log = (tiny_study / "logs/train_real_classifier/ptbxl.log").read_text()
    assert "epoch 1 train_loss" in log and "macro_f1" in log
    assert (tiny_study / "results/benchmarks/train_augmented_classifier/merged/sssd.tsv").exists()
    run_dir = "results/experiments/chapman/TrRSTeR/sssd"
    metrics = read_json(tiny_study / f"{run_dir}/frac0.50/seed0/metrics.json")
    assert metrics["n_train_synthetic"] > 0 and metrics["test_set"] == "real"
    assert (tiny_study / f"{run_dir}/frac0.50/seed0/predictions.npz").exists()
    manifest = read_json(tiny_study / f"{run_dir}/runs.json")["runs"]
    assert manifest == [f"{run_dir}/frac0.50/seed0/metrics.json", f"{run_dir}/frac1.00/seed0/metrics.json"]

    # A change to the synthetic:real ratios re-runs the augmentation jobs only.
    study = copy_study(tiny_study, tmp_path / "study")
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"experiments": {"augmentation_ratios": [0.2]}}))
    plan = run_snakemake(study, "-n", "--cores", "2", *TARGETS, configfiles=(TINY_CONFIG, overlay))
    jobs = _planned(plan.stdout)
    assert jobs.get("train_augmented_classifier") == 3 * len(banks)
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


@pytest.mark.workflow
def test_demo_without_merged_bank_runs_only_the_real_arms_on_merged(tmp_path):
    """The demo's ``generators.merged_bank: none``: no merged bank, so merged runs its real arms
    and the cross-dataset tests, and no generator, control or fidelity job (those need a bank)."""
    demo = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text())
    assert demo["generators"]["merged_bank"] == "none"
    plan = run_snakemake(tmp_path, "-n", "--printshellcmds")
    jobs = _planned(plan.stdout)
    merged = {line.split("wildcards:")[1] for line in plan.stdout.splitlines()
              if "wildcards:" in line and "dataset=merged" in line}
    assert merged and all("generator=real" in w or "generator=" not in w for w in merged), sorted(merged)
    assert jobs["train_real_classifier"] == jobs["train_balanced_classifier"] == 3
    assert jobs["evaluate_cross_dataset"] == 1 and "concat_merged_bank" not in jobs
    n_gen = len(demo["generators"]["enabled"]) + 1  # + all
    n_controls = len(demo["experiments"]["control_banks"])
    assert jobs["train_synthetic_classifier"] == jobs["transfer_classifier"] == 2 * n_gen
    assert jobs["train_augmented_classifier"] == 2 * (n_gen + n_controls)
    assert jobs["fidelity_bank"] == 2 * (n_gen - 1) and jobs["build_control_bank"] == 2 * n_controls


def _args():
    """Only this stage's rules (the fixture files stand in for the data and bank stages), then the
    targets; a flag between them keeps argparse from reading the targets as config files or rules."""
    return ("--allowed-rules", *EXPERIMENT_RULES, "--printshellcmds", *TARGETS)
