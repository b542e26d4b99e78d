"""Shared fixtures: the real-data subset (../shared/data) and the repository root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The real-record subset: $SYNECG_SHARED_DATA, else ../shared/data beside the checkout."""
    return Path(os.environ.get("SYNECG_SHARED_DATA", REPO_ROOT.parent / "shared" / "data")).resolve()


@pytest.fixture
def one_torch_thread():
    """Tiny models run fastest on one torch thread (and do not fight the other tests for cores)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Skip (with the reason) where the real-record subset is not available."""
    path = shared_data_dir()
    if not (path / "ptbxl").is_dir() or not (path / "chapman").is_dir():
        pytest.skip(f"real-record subset not found at {path} (set SYNECG_SHARED_DATA)")
    return path


def run_snakemake(workdir: Path, *args: str, configfiles: tuple[Path, ...] = (), cores: int = 2, check: bool = True,
                  base_config: Path = REPO_ROOT / "config" / "config.yaml"):
    """Run the project's Snakefile in ``workdir`` (a pytest tmp dir) as a user would, in a subprocess.

    ``base_config`` (``config/config.yaml``) is always the first config file, then ``configfiles``
    overlay it (e.g. ``tests/configs/tiny.yaml``); overlays merge into mappings and cannot remove
    keys (a dataset), so a test that needs fewer keys passes a reduced copy as ``base_config``.
    Returns the CompletedProcess; raises with the output when ``check`` and the run failed.
    """
    import subprocess
    import sys

    files = [base_config, *configfiles]
    cmd = [
        sys.executable, "-m", "snakemake", "-s", str(REPO_ROOT / "Snakefile"), "--directory", str(workdir),
        "--cores", str(cores), "--configfile", *map(str, files), *args,
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}")
    return proc


TINY_CONFIG = REPO_ROOT / "tests" / "configs" / "tiny.yaml"


def tiny_config() -> dict:
    """config/config.yaml with the tiny overlay on top (Snakemake's deep merge)."""
    import yaml

    def merge(base: dict, over: dict) -> dict:
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        return out

    base = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text())
    return merge(base, yaml.safe_load(TINY_CONFIG.read_text()))


def copy_study(source: Path, target: Path) -> Path:
    """Copy a workflow run (results, logs, resources and Snakemake's .snakemake metadata) with its
    modification times, so Snakemake sees the copy exactly as up to date as the original."""
    import shutil

    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True, ignore=shutil.ignore_patterns("locks"))
    return target


@pytest.fixture(scope="session")
def tiny_study(tmp_path_factory) -> Path:
    """The FULL DAG (`rule all`) run once on config/config.yaml + tests/configs/tiny.yaml, locally on
    2 cores; returns the workdir. Shared by the whole session: read it, never change it (a test that
    re-runs or deletes things works on ``copy_study(tiny_study, tmp_path)``).

    ``SYNECG_TINY_STUDY=<folder>`` keeps the study in that folder across sessions: Snakemake then
    re-runs only what changed since (for developers iterating on one stage; CI starts empty)."""
    if os.environ.get("SYNECG_TINY_STUDY"):
        workdir = Path(os.environ["SYNECG_TINY_STUDY"]).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = tmp_path_factory.mktemp("tiny_study")
    run_snakemake(workdir, configfiles=(TINY_CONFIG,))
    return workdir


# Modules with a test that reads the tiny study. Under ``pytest -n 2`` (pyproject's addopts) they form
# one xdist scope, so the study is built once, on one worker, while the other worker runs the rest
# module by module (module fixtures then run once). xdist's own ``--dist loadgroup`` marks are not
# honoured with pytest 9 here (a statically marked group was split across workers), hence the scheduler.
# The crash and SLURM tests run their own small DAGs instead, so that they run beside the study's
# build (the SLURM ones mostly wait for status checks) rather than after it.
TINY_STUDY_MODULES = {"test_data_workflow", "test_experiments_workflow", "test_generator_workflow", "test_rerun",
                      "test_timevqvae_workflow"}


def _reads_tiny_study(item) -> bool:
    return "tiny_study" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items):
    """The tiny study's tests first (the study is the longest item of the suite); a test outside
    TINY_STUDY_MODULES that reads it is an error, since its worker would build the study again."""
    strays = sorted({item.module.__name__ for item in items if _reads_tiny_study(item)} - TINY_STUDY_MODULES)
    if strays:
        raise pytest.UsageError(f"tests/conftest.py: add {strays} to TINY_STUDY_MODULES (they read tiny_study)")
    items.sort(key=lambda item: not _reads_tiny_study(item))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class TinyStudyScopes(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "tiny_study" if Path(module).stem in TINY_STUDY_MODULES else module

    return TinyStudyScopes(config, log)
