"""Every `snakemake ...` command the docs show (README.md, docs/*.md, config/README.md) parses as
Snakemake reads it and plans as a dry run.

A command is checked twice: statically, by Snakemake's own argument parser (every config file must
be an existing YAML file: a target written after ``--configfile`` is read as one more config file
and fails), and as a dry run (``-n``) from a scratch working directory holding links to the
repository's Snakefile, workflow, config and profiles, with ``../shared/data`` linked to the real
subset. Commands with the same config files share one dry run (the union of their targets).
Placeholders (``...``) are not commands; ``--report`` needs a finished run, conda-only commands
need conda: these are skipped with the reason.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from conftest import REPO_ROOT, shared_data_dir

DOCS = [REPO_ROOT / "README.md", REPO_ROOT / "config" / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
LINKED = ("Snakefile", "workflow", "config", "profiles")
ENV_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=\S*$")


def _snakemake_segments(text: str) -> list[str]:
    """The parts of a shell line that run snakemake (after ``&&``, without leading VAR=value)."""
    out = []
    for part in text.split("&&"):
        words = part.split("#")[0].split()
        while words and ENV_ASSIGNMENT.match(words[0]):
            words = words[1:]
        if words and words[0] == "snakemake":
            out.append(" ".join(words))
    return out


def doc_commands() -> list[tuple[str, str]]:
    """(file:line, command) for every snakemake command in an inline code span or a code block."""
    found = []
    for path in DOCS:
        in_block, pending, start = False, "", 0
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if line.lstrip().startswith("```"):
                in_block = not in_block
                continue
            where = f"{path.relative_to(REPO_ROOT)}:{number}"
            if in_block:
                if not pending:
                    start = number
                pending += line.rstrip().removesuffix("\\") + " "
                if line.rstrip().endswith("\\"):
                    continue
                found += [(f"{path.relative_to(REPO_ROOT)}:{start}", c) for c in _snakemake_segments(pending)]
                pending = ""
            else:
                for span in re.findall(r"`([^`]+)`", line):
                    found += [(where, c) for c in _snakemake_segments(span)]
    return found


COMMANDS = doc_commands()


def _skip_reason(command: str) -> str:
    if "..." in command:
        return "a placeholder (...), not a command"
    if "--report" in command:
        return "--report needs a finished run"
    if "--conda-create-envs-only" in command or "--use-conda" in command or "--sdm conda" in command:
        return "needs conda, which cannot be installed here (tests/test_envs.py checks the envs statically)"
    return ""


def _argv(command: str) -> list[str]:
    # `gpu=N` is the docs' placeholder for the number of GPUs
    return [w.replace("gpu=N", "gpu=1") for w in shlex.split(command)[1:]]


def _parse(argv: list[str]):
    from snakemake.cli import get_argument_parser

    args = get_argument_parser().parse_args(argv)
    args.configfile = [str(c) for c in args.configfile or ()]
    profile = args.profile[0] if isinstance(args.profile, list) and args.profile else args.profile
    args.profile = str(profile) if profile else None
    return args


def test_docs_show_snakemake_commands_and_every_one_is_found():
    assert len(COMMANDS) >= 10
    assert any("local-shared.yaml" in c for _, c in COMMANDS)


@pytest.mark.parametrize("where, command", COMMANDS, ids=[w for w, _ in COMMANDS])
def test_docs_command_parses_with_existing_config_files_and_profile(where, command):
    args = _parse(_argv(command))
    for name in args.configfile:
        path = REPO_ROOT / name
        assert path.suffix in (".yaml", ".yml") and path.is_file(), (
            f"{where}: `{command}` reads {name!r} as a config file (put targets before --configfile)")
    if args.profile:
        assert (REPO_ROOT / args.profile).is_dir(), f"{where}: profile {args.profile} not found"


def _plan_key(command: str) -> tuple[str, ...]:
    """Commands with the same config files share one dry run."""
    return tuple(_parse(_argv(command)).configfile)


def _runnable(command: str) -> bool:
    return not _skip_reason(command) and not _parse(_argv(command)).unlock


@cache
def _dry_run(configfiles: tuple[str, ...], workdir: Path) -> subprocess.CompletedProcess:
    """One dry run for every runnable command with these config files: the union of their targets
    (``all`` for a command without targets), with the profile one of them names."""
    group = [_parse(_argv(c)) for _, c in COMMANDS if _runnable(c) and _plan_key(c) == configfiles]
    targets = sorted({t for args in group for t in (args.targets or ["all"])})
    profiles = {args.profile for args in group if args.profile}
    assert len(profiles) <= 1, f"commands with config files {configfiles} name several profiles {profiles}"
    # targets first: --quiet and --configfile take several values and would read a target as theirs
    argv = [*targets, "-n", "--quiet", "rules", *(["--profile", *profiles] if profiles else [])]
    if configfiles:
        argv += ["--configfile", *configfiles]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "snakemake", *argv], cwd=workdir, env=env, capture_output=True,
                          text=True)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A working directory beside ``shared/data`` (the real subset) holding links to the repository."""
    root = tmp_path_factory.mktemp("docs")
    work = root / "repo"
    work.mkdir()
    for name in LINKED:
        (work / name).symlink_to(REPO_ROOT / name)
    if shared_data_dir().is_dir():
        (root / "shared").mkdir()
        (root / "shared" / "data").symlink_to(shared_data_dir())
    return work


@pytest.mark.parametrize("where, command", COMMANDS, ids=[w for w, _ in COMMANDS])
def test_docs_command_plans_as_a_dry_run(where, command, scratch):
    reason = _skip_reason(command)
    if reason:
        pytest.skip(f"{where}: {reason}")
    args = _parse(_argv(command))
    if "local-shared.yaml" in " ".join(args.configfile) and not shared_data_dir().is_dir():
        pytest.skip(f"the real subset is missing ({shared_data_dir()}); set SYNECG_SHARED_DATA")
    if args.unlock:
        pytest.skip(f"{where}: --unlock plans nothing (parsed above)")
    # cores, resources and SLURM status options change how jobs run, not what is planned: left out
    proc = _dry_run(_plan_key(command), scratch)
    assert proc.returncode == 0, f"{where}: `{command}` failed as a dry run:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
