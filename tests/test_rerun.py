"""After a full tiny run, Snakemake re-runs exactly what a change invalidated, and nothing else.

Each test copies the session's ``tiny_study`` (with Snakemake's metadata and file times), makes one
change, and compares the jobs of a dry run (``snakemake -n``) with the set the change must touch,
written out here from the study's design (not read back from Snakemake's DAG).
"""

from __future__ import annotations

import os
import re
import time
from functools import cache
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT, TINY_CONFIG, copy_study, run_snakemake, tiny_config

pytestmark = pytest.mark.workflow

JOB_HEADER = re.compile(r"^(?:local)?rule (\w+):$")


def planned_jobs(workdir: Path, *args: str, configfiles=(TINY_CONFIG,)) -> set[str]:
    """Jobs a dry run would execute, as ``rule`` or ``rule[key=value,...]`` (``all`` left out)."""
    proc = run_snakemake(workdir, "--dry-run", *args, configfiles=configfiles)
    jobs, rule = set(), None
    for line in (proc.stdout + "\n" + proc.stderr).splitlines():
        header = JOB_HEADER.match(line.strip())
        if header:
            rule = header.group(1)
            jobs.add(rule)
            continue
        if rule and line.strip().startswith("wildcards:"):
            jobs.discard(rule)
            wildcards = ",".join(sorted(w.strip() for w in line.split(":", 1)[1].split(",")))
            jobs.add(f"{rule}[{wildcards}]")
        elif not line.strip():
            rule = None
    jobs.discard("all")
    return jobs


@pytest.fixture
def study(tiny_study, tmp_path) -> Path:
    return copy_study(tiny_study, tmp_path / "study")


def overlay(tmp_path: Path, settings: dict) -> tuple[Path, ...]:
    """The tiny config plus one more overlay holding ``settings`` (deep-merged by Snakemake)."""
    path = tmp_path / "change.yaml"
    path.write_text(yaml.safe_dump(settings))
    return (TINY_CONFIG, path)


CONFIG = tiny_config()
SOURCES = ["ptbxl", "chapman"]
DATASETS = SOURCES + ["merged"]
GENERATORS = list(CONFIG["generators"]["enabled"])
# Rules of one classifier job per (dataset, generator), for each enabled setting family.
SYNTHETIC_CLASSIFIER_RULES = ["train_synthetic_classifier", "train_augmented_classifier", "transfer_classifier"]
EXPERIMENT_AGGREGATES = {"aggregate_experiments", "plot_transfer_curves", "plot_augmentation", "plot_baseline_confusion",
                         "plot_answer"}
# The experiments' pooled generator `all` reads the banks of these (experiments.pool.members).
POOL = [g for g in CONFIG["experiments"]["pool"]["members"] if g in GENERATORS]
# What aggregates the synthetic-data rows (the baseline confusion figure shows real-only runs).
BANK_AGGREGATES = EXPERIMENT_AGGREGATES - {"plot_baseline_confusion"}


def jobs(rule: str, **wildcards) -> set[str]:
    """``rule[k=v,...]`` for every combination of the given wildcard values (sorted keys)."""
    from itertools import product

    keys = sorted(wildcards)
    return {f"{rule}[{','.join(f'{k}={v}' for k, v in zip(keys, values))}]"
            for values in product(*(wildcards[k] for k in keys))}


@cache
def workflow_rules() -> frozenset[str]:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO_ROOT / "Snakefile"), "--list-rules",
         "--configfile", str(REPO_ROOT / "config" / "config.yaml"), str(TINY_CONFIG)],
        cwd=REPO_ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return frozenset(proc.stdout.split())


def fidelity_rows_using(datasets: list[str], generators: list[str]) -> set[str]:
    """Fidelity jobs that read the banks of ``generators`` (``all``: the pool, included by the
    caller), with the table over them; empty while the fidelity stage is not part of the workflow.
    One job per bank embeds, scores and draws its figures and its bank figure; the pool's job
    scores its members' cached features."""
    if "fidelity_bank" not in workflow_rules():
        return set()
    single = [g for g in generators if g != "all"]
    return (
        jobs("fidelity_bank", dataset=datasets, generator=single)
        | (jobs("fidelity_pool", dataset=datasets) if "all" in generators else set())
        | {"tabulate_fidelity"}
    )


def fidelity_stage() -> set[str]:
    """Every fidelity job: its feature extractor is a classifier trained with the classifier
    settings, so a classifier change re-runs the stage; empty without the fidelity stage."""
    if "fidelity_bank" not in workflow_rules():
        return set()
    return (
        jobs("train_fidelity_extractor", dataset=DATASETS)
        | jobs("embed_real", dataset=DATASETS)
        | jobs("score_fidelity_reference", dataset=DATASETS)
        | fidelity_rows_using(DATASETS, GENERATORS + ["all"] * (len(POOL) > 1))
    )


def classifier_jobs_using(generators: list[str], datasets: list[str] = DATASETS) -> set[str]:
    """Classifier jobs that read the banks of ``generators`` (``all``: the experiments' pool)."""
    found = set().union(*(jobs(rule, dataset=datasets, generator=generators) for rule in SYNTHETIC_CLASSIFIER_RULES))
    return found | (jobs("train_equal_pool_classifier", dataset=datasets) if "all" in generators else set())


def with_pool(generator: str) -> list[str]:
    """``generator``, and the experiments' pool `all` when the generator is one of its members."""
    return [generator] + (["all"] if generator in POOL else [])


def test_a_finished_study_plans_nothing(study):
    # (`--list-changes params` is not used: in Snakemake 9.27 it lists outputs whose params did not
    # change; the dry run's plan is what decides.)
    assert planned_jobs(study) == set()


def test_touching_unrelated_files_reruns_nothing(study):
    later = time.time() + 5
    unrelated = [study / "notes.txt", study / "results" / "notes.txt"]
    for path in unrelated:
        path.write_text("a note\n")
    # logs and benchmark tables are written by jobs but read by none
    unrelated += [p for p in (study / "logs").rglob("*.log")] + list((study / "results" / "benchmarks").rglob("*.tsv"))
    for path in unrelated:
        os.utime(path, (later, later))
    assert planned_jobs(study) == set()


def test_deleting_a_leaf_recreates_only_it(study):
    (study / "results" / "data" / "merged" / "summary.png").unlink()
    assert planned_jobs(study) == {"plot_data_summary[dataset=merged]"}


def test_deleting_a_bank_recreates_it_and_its_dependants_without_retraining(study):
    (study / "results" / "synthetic" / "chapman" / "diffwave" / "bank.npy").unlink()
    expected = (
        jobs("sample_bank", dataset=["chapman"], generator=["diffwave"])
        | jobs("concat_merged_bank", generator=["diffwave"])
        | classifier_jobs_using(with_pool("diffwave"), ["chapman", "merged"])
        | BANK_AGGREGATES
        | fidelity_rows_using(["chapman", "merged"], with_pool("diffwave"))
    )
    assert planned_jobs(study) == expected


def test_changing_a_classifier_setting_reruns_only_classifier_jobs_and_aggregates(study, tmp_path):
    configs = overlay(tmp_path, {"classifier": {"max_epochs": CONFIG["classifier"]["max_epochs"] + 1}})
    expected = (
        jobs("train_real_classifier", dataset=DATASETS)
        | jobs("train_balanced_classifier", dataset=DATASETS)
        | {"evaluate_cross_dataset"}
        | classifier_jobs_using(GENERATORS + ["all"])
        | EXPERIMENT_AGGREGATES
        | fidelity_stage()
    )
    assert planned_jobs(study, configfiles=configs) == expected


def test_changing_one_generator_reruns_its_training_banks_and_the_rows_using_it(study, tmp_path):
    generator = "diffwave"
    assert generator in GENERATORS and len(GENERATORS) > 1
    section = CONFIG["generators"][generator]
    configs = overlay(tmp_path, {"generators": {generator: {"lr": section["lr"] * 2}}})
    expected = (
        jobs("train_generator", dataset=SOURCES, generator=[generator])
        | jobs("sample_bank", dataset=SOURCES, generator=[generator])
        | jobs("concat_merged_bank", generator=[generator])
        | classifier_jobs_using(with_pool(generator))
        | BANK_AGGREGATES
        | fidelity_rows_using(DATASETS, with_pool(generator))
    )
    assert planned_jobs(study, configfiles=configs) == expected


def test_one_generators_sampler_resamples_only_its_banks_and_the_rows_using_them(study, tmp_path):
    generator = "diffwave"
    assert CONFIG["bank"]["sampler"] == "ddim" and len(GENERATORS) > 1
    configs = overlay(tmp_path, {"bank": {"sampler_for": {generator: "ddpm"}}})
    expected = (
        jobs("sample_bank", dataset=SOURCES, generator=[generator])
        | jobs("concat_merged_bank", generator=[generator])
        | classifier_jobs_using(with_pool(generator))
        | BANK_AGGREGATES
        | fidelity_rows_using(DATASETS, with_pool(generator))
    )
    assert planned_jobs(study, configfiles=configs) == expected
