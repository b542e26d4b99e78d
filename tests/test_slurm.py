"""The workflow through a real SLURM cluster with the project's profile (profiles/slurm).

The cluster is the one-node cluster of .ci/slurm/setup.sh (munge, slurmctld, slurmd, 2 fake GPUs),
which .ci/run starts before the tests and stops after them. Without it these tests skip with the
reason, except under CI=true, where a missing cluster is a failure. The project's profile is used
as is; the runs override only what a one-node cluster without an accounting database needs
(SLURM_OVERRIDES).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PROFILE = REPO_ROOT / "profiles" / "slurm"
# No accounting database (sacct cannot answer: ask squeue), no accounts, and quick first status
# checks so the tests do not wait out the plugin's 40 s default.
SLURM_OVERRIDES = (
    "--slurm-status-command", "squeue",
    "--slurm-no-account",
    "--slurm-init-seconds-before-status-checks", "2",
    "--latency-wait", "5",
)



def cluster_problem() -> str | None:
    """Why the local SLURM cluster cannot be used, or None when it is up."""
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return "SLURM clients not installed (run .ci/slurm/setup.sh as root)"
    if not Path("/etc/slurm/slurm.conf").exists():
        return "/etc/slurm/slurm.conf missing: the cluster is not set up (run .ci/slurm/setup.sh)"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed (pip install -e '.[test]')"
    proc = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    states = proc.stdout.split()
    if proc.returncode != 0 or not any(s.rstrip("*") in ("idle", "mixed", "allocated") for s in states):
        return f"no SLURM node is up (sinfo: {proc.stdout.strip() or proc.stderr.strip()}); run .ci/slurm/setup.sh"
    return None


@pytest.fixture(scope="session")
def slurm_cluster():
    problem = cluster_problem()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the SLURM tests: {problem}")
        pytest.skip(problem)


def run_through_slurm(workdir: Path, snakefile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable, "-m", "snakemake", "-s", str(snakefile), "--directory", str(workdir),
        "--profile", str(PROFILE), *SLURM_OVERRIDES, *args,
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"snakemake through SLURM failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-8000:]}"
    return proc


def submitted_job_ids(proc: subprocess.CompletedProcess) -> set[str]:
    """SLURM job ids the executor reports having submitted with sbatch."""
    return set(re.findall(r"submitted with SLURM jobid (\d+)", proc.stdout + proc.stderr))


def jobs_known_to_slurm() -> set[str]:
    """Every job slurmctld still lists (MinJobAge keeps finished jobs for 10 minutes)."""
    out = subprocess.run(["squeue", "-h", "-t", "all", "-o", "%i"], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def overlap(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


@pytest.mark.slurm
@pytest.mark.timeout(600)
def test_gpu_jobs_get_their_own_gpu_and_small_jobs_are_grouped(slurm_cluster, tmp_path):
    proc = run_through_slurm(tmp_path, REPO_ROOT / "tests" / "slurm" / "Snakefile")
    generators = [json.loads(p.read_text()) for p in sorted((tmp_path / "results" / "generators").glob("*.json"))]
    figures = [json.loads(p.read_text()) for p in sorted((tmp_path / "results" / "figures").glob("*.json"))]
    assert len(generators) == 3 and len(figures) == 3

    # Every job really went through sbatch: the executor says so and slurmctld knows the ids.
    ids = {r["slurm_job_id"] for r in generators + figures}
    assert None not in ids
    assert ids == submitted_job_ids(proc)
    assert ids <= jobs_known_to_slurm()

    # Three one-GPU generator jobs on a node with two GPUs: each got one device, jobs that ran at
    # the same time got different ones, and the third waited for a free GPU.
    assert len({r["slurm_job_id"] for r in generators}) == 3
    assert all(r["cuda_visible_devices"] in ("0", "1") for r in generators)
    # select_device's slot allocator, inside a SLURM job, takes the one GPU SLURM gave the job
    assert all(r["claimed"] == r["cuda_visible_devices"] for r in generators)
    for a, b in combinations(generators, 2):
        if overlap(a, b):
            assert a["cuda_visible_devices"] != b["cuda_visible_devices"]
    assert any(overlap(a, b) for a, b in combinations(generators, 2)), "two GPU jobs should run together"
    assert not all(overlap(a, b) for a, b in combinations(generators, 2)), "the third GPU job must wait"

    # The profile packs the small figure jobs into one group job (one SLURM job), run one after
    # another; they ask for no GPU.
    assert len({r["slurm_job_id"] for r in figures}) == 1
    assert not any(overlap(a, b) for a, b in combinations(figures, 2))
    assert all(r["cuda_visible_devices"] == "" for r in figures)


# A small real target: demo records -> prepared PTB-XL -> a trained generator -> its bank.
PROJECT_TARGET = "results/synthetic/ptbxl/diffwave/bank.npy"
COMPARED = ["results/data/ptbxl/records.csv", "results/data/ptbxl/train.npy", "results/data/ptbxl/test.npy",
            "results/synthetic/ptbxl/diffwave/bank.npy", "results/synthetic/ptbxl/diffwave/labels.csv"]


@pytest.mark.slurm
@pytest.mark.workflow
def test_project_workflow_through_slurm_matches_the_local_run(slurm_cluster, tmp_path):
    from conftest import TINY_CONFIG, run_snakemake

    configs = [str(REPO_ROOT / "config" / "config.yaml"), str(TINY_CONFIG)]
    for workdir in ("slurm", "local"):
        (tmp_path / workdir).mkdir()
    proc = run_through_slurm(tmp_path / "slurm", REPO_ROOT / "Snakefile", PROJECT_TARGET, "--configfile", *configs)
    ids = submitted_job_ids(proc)
    assert len(ids) >= 4, f"every job of the chain goes through sbatch, got ids {ids}"
    assert ids <= jobs_known_to_slurm()
    assert "localrule " not in proc.stdout + proc.stderr, "no job may run outside SLURM"
    run_snakemake(tmp_path / "local", "--cores", "2", PROJECT_TARGET, configfiles=(TINY_CONFIG,))
    for name in COMPARED:
        assert (tmp_path / "slurm" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), \
            f"{name} differs from the local run"


def profile_rule_names() -> set[str]:
    import yaml

    profile = yaml.safe_load((PROFILE / "profile.yaml").read_text())
    return set(profile.get("groups", {})) | set(profile.get("set-resources", {}))


def test_profile_names_only_rules_of_the_workflow():
    """A renamed rule must not silently fall out of the profile's grouping (no cluster needed)."""
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO_ROOT / "Snakefile"), "--list-rules",
         "--configfile", str(REPO_ROOT / "config" / "paper.yaml")],
        cwd=REPO_ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    unknown = profile_rule_names() - set(proc.stdout.split())
    assert not unknown, f"profiles/slurm/profile.yaml names rules the workflow does not have: {sorted(unknown)}"


def test_slurm_test_workflow_uses_the_profiles_grouped_rule():
    """tests/slurm/Snakefile's figure rule is one the profile groups, or the cluster test checks nothing (no cluster needed)."""
    import yaml

    groups = yaml.safe_load((PROFILE / "profile.yaml").read_text()).get("groups", {})
    rules = set(re.findall(r"^rule (\w+):", (REPO_ROOT / "tests" / "slurm" / "Snakefile").read_text(), flags=re.M))
    assert "train_generator" in rules
    assert rules & set(groups), f"tests/slurm/Snakefile has none of the profile's grouped rules {sorted(groups)}"
