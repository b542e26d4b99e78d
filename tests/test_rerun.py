"""After a full tiny run, Snakemake re-runs exactly what a change invalidated, and nothing else.

Each test copies the session's ``tiny_study`` (with Snakemake's metadata and file times), makes one
change, and compares the jobs of a dry run (``snakemake -n``) with the set the change must touch,
written out here from the study's design (not read back from Snakemake's DAG).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
import yaml

from conftest import TINY_CONFIG, copy_study, run_snakemake

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
            wildcards = ",".join(w.strip() for w in line.split(":", 1)[1].split(","))
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


def test_deleting_a_prepared_split_recreates_it_and_its_dependants(study):
    (study / "results" / "data" / "chapman" / "val.npy").unlink()
    assert planned_jobs(study) == {
        "prepare_dataset[dataset=chapman]",
        "plot_data_summary[dataset=chapman]",
        "merge_datasets",
        "plot_data_summary[dataset=merged]",
    }
