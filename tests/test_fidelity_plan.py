"""The fidelity stage's plan: one job per bank, and a pooled `all` row that is the experiments' pool.

Dry runs (``snakemake -n``) of the fidelity table from an empty working directory; the jobs and
their inputs are read from Snakemake's plan, the expected sets are written out from the config.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import TINY_CONFIG, run_snakemake

pytestmark = pytest.mark.workflow

DATASETS = ["ptbxl", "chapman", "merged"]
GENERATORS = ["sssd", "diffwave", "timediffusion", "timevqvae"]
TARGET = "results/tables/fidelity.csv"


def plan(workdir: Path, members: list[str]) -> dict[str, list[dict[str, str]]]:
    """rule -> its planned jobs, each as {"input": ..., "output": ..., "wildcards": ...}."""
    overlay = workdir / "pool.yaml"
    overlay.write_text(yaml.safe_dump({"generators": {"enabled": GENERATORS},
                                       "experiments": {"pool": {"members": members}}}))
    proc = run_snakemake(workdir, "--dry-run", TARGET, configfiles=(TINY_CONFIG, overlay))
    jobs: dict[str, list[dict[str, str]]] = {}
    job = None
    for line in proc.stdout.splitlines():
        header = re.match(r"^(?:local)?rule (\w+):$", line.strip())
        if header:
            job = {}
            jobs.setdefault(header.group(1), []).append(job)
        elif job is not None and re.match(r"^\s+(input|output|wildcards): ", line):
            key, value = line.strip().split(": ", 1)
            job[key] = value
        elif not line.strip():
            job = None
    return jobs


def pool_members_read(job: dict[str, str]) -> set[str]:
    """The generators whose bank files and cached features a pool job reads."""
    banks = set(re.findall(r"results/synthetic/\w+/(\w+)/bank\.npy", job["input"]))
    features = set(re.findall(r"results/fidelity/\w+/(\w+)/features\.npz", job["input"]))
    assert banks == features, job["input"]
    return banks


def test_pooled_fidelity_row_scores_exactly_the_experiments_pool_from_cached_features(tmp_path):
    jobs = plan(tmp_path, ["sssd", "diffwave"])
    # one job per bank: embedding, scoring, the six figures and the bank figure together
    assert sorted(j["wildcards"] for j in jobs["fidelity_bank"]) == sorted(
        f"dataset={d}, generator={g}" for d in DATASETS for g in GENERATORS)
    for j in jobs["fidelity_bank"]:
        assert "features.npz" in j["output"] and "metrics.json" in j["output"] and "results/figures/banks/" in j["output"]
        assert "test.npy" not in j["input"]
    for rule in ("embed_bank", "score_fidelity", "plot_fidelity", "plot_bank"):
        assert rule not in jobs
    # the pool `all`: the configured members only (not every enabled bank), read from their caches
    assert len(jobs["fidelity_pool"]) == len(DATASETS)
    for j in jobs["fidelity_pool"]:
        assert pool_members_read(j) == {"sssd", "diffwave"}
        assert "test.npy" not in j["input"] and "features.npz" not in j["output"]
    table_inputs = jobs["tabulate_fidelity"][0]["input"]
    assert all(f"results/fidelity/{d}/all/metrics.json" in table_inputs for d in DATASETS)


def test_a_pool_of_one_enabled_member_has_no_pooled_fidelity_row(tmp_path):
    jobs = plan(tmp_path, ["sssd"])
    assert "fidelity_pool" not in jobs
    assert "/all/" not in jobs["tabulate_fidelity"][0]["input"]
    assert len(jobs["fidelity_bank"]) == len(DATASETS) * len(GENERATORS)
