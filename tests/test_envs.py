"""Conda environments (envs/*.yaml) agree with the package and with the rules that use them.

Conda cannot run on the development machine or in CI (no conda channel is reachable, and conda is
not installable from PyPI or Debian), so ``--use-conda`` itself is not exercised: these checks are
static. They read pyproject.toml, the env files and the parsed workflow (every rule's ``conda:``
and ``script:``), and follow each rule script's imports through src/synecg to the third-party
packages it needs.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parents[1]
ENVS = REPO_ROOT / "envs"
SRC = REPO_ROOT / "src"
# Build and install tooling every env carries; not runtime dependencies of synecg.
TOOLING = {"python", "pip", "setuptools"}
# Provided to rule scripts by Snakemake itself (its script preamble), not by the env.
PROVIDED_BY_SNAKEMAKE = {"snakemake"}

LIST_RULES = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, OutputSettings, Quietness, ResourceSettings, StorageSettings
repo, configfile, workdir = map(Path, sys.argv[1:4])
with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
    wf = api.workflow(resource_settings=ResourceSettings(cores=1), storage_settings=StorageSettings(),
                      config_settings=ConfigSettings(configfiles=[configfile]),
                      snakefile=repo / "Snakefile", workdir=workdir)
    rules = []
    for r in wf._workflow.rules:
        base = Path(r.basedir.get_path_or_uri(secret_free=True))
        conda = (base / r.conda_env).resolve() if isinstance(r.conda_env, str) else None
        script = (base / r.script).resolve() if isinstance(r.script, str) else None
        rules.append({"name": r.name, "runs_code": not r.norun, "conda": str(conda) if conda else None,
                      "script": str(script) if script else None, "file": str(r.snakefile)})
print("RULES-JSON " + json.dumps(rules))
"""


def dependency_specs(requirements: list[str]) -> dict[str, SpecifierSet]:
    specs = {}
    for line in requirements:
        req = Requirement(line)
        specs[canonicalize_name(req.name)] = req.specifier
    return specs


def pyproject_specs() -> dict[str, SpecifierSet]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return dependency_specs(project["dependencies"])


def read_env(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def conda_spec(entry: str) -> tuple[str, str]:
    """``numpy >=2.0,<3`` -> (numpy, >=2.0,<3); a bare ``=3.11`` (conda's fuzzy pin) becomes ``==3.11.*``."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", entry)
    name, spec = match.group(1), match.group(2).replace(" ", "")
    if re.fullmatch(r"=[^=<>!]+", spec):
        spec = f"={spec}.*"
    return canonicalize_name(name), spec


def env_specs(path: Path) -> dict[str, SpecifierSet]:
    """Every package of one env file (conda and pip sections) with its version specifier."""
    specs = {}
    for entry in read_env(path)["dependencies"]:
        if isinstance(entry, dict):
            specs.update(dependency_specs([e for e in entry.get("pip", []) if not e.startswith("-")]))
        else:
            name, spec = conda_spec(entry)
            specs[name] = SpecifierSet(spec)
    return specs


def env_files() -> list[Path]:
    return sorted(ENVS.glob("*.yaml"))


@cache
def workflow_rules(configfile: str = "config/config.yaml") -> list[dict]:
    import tempfile

    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.run(
            [sys.executable, "-c", LIST_RULES, str(REPO_ROOT), str(REPO_ROOT / configfile), workdir],
            capture_output=True, text=True, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RULES-JSON ")]
    assert proc.returncode == 0 and lines, f"parsing the workflow failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return json.loads(lines[0].removeprefix("RULES-JSON "))


def all_workflow_rules() -> list[dict]:
    """The rules of the demo and the paper config together (each config leaves some out, e.g. the
    demo's `generators.merged_bank: none` has no concat_merged_bank), one entry per rule name."""
    rules = {r["name"]: r for config in ("config/config.yaml", "config/paper.yaml") for r in workflow_rules(config)}
    return list(rules.values())


def test_env_files_exist_for_every_rule_family():
    assert {p.stem for p in env_files()} == {"data", "torch", "eval"}


@pytest.mark.parametrize("env", ["data", "torch", "eval"])
def test_env_channels_are_explicit_and_end_in_nodefaults(env):
    channels = read_env(ENVS / f"{env}.yaml")["channels"]
    assert channels[-1] == "nodefaults" and "conda-forge" in channels and "defaults" not in channels


@pytest.mark.parametrize("env", ["data", "torch", "eval"])
def test_env_pins_are_those_of_pyproject(env):
    declared = pyproject_specs()
    for name, spec in env_specs(ENVS / f"{env}.yaml").items():
        if name in TOOLING:
            continue
        assert name in declared, f"envs/{env}.yaml installs {name}, which pyproject.toml does not declare"
        assert spec == declared[name], f"envs/{env}.yaml pins {name}{spec}, pyproject.toml says {name}{declared[name]}"


def test_env_python_satisfies_requires_python():
    requires = SpecifierSet(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    for path in env_files():
        python = env_specs(path)["python"]
        version = str(python).lstrip("=").removesuffix(".*")
        assert requires.contains(version), f"{path.name}: python {python} does not satisfy {requires}"


def test_every_runtime_dependency_is_in_some_env():
    provided = set().union(*(env_specs(p) for p in env_files()))
    missing = set(pyproject_specs()) - provided - PROVIDED_BY_SNAKEMAKE
    assert not missing, f"pyproject.toml dependencies in no envs/*.yaml: {sorted(missing)}"


@pytest.mark.parametrize("env", ["torch", "eval"])
def test_torch_is_pinned_exactly_through_pip(env):
    """pip's torch==2.13.0 wheel is the CUDA build on Linux, whatever machine creates the env."""
    pip_entries = [e for e in read_env(ENVS / f"{env}.yaml")["dependencies"] if isinstance(e, dict)][0]["pip"]
    assert "torch==2.13.0" in pip_entries


def test_every_env_installs_synecg_from_the_repository():
    scripts = [(ENVS / f"{p.stem}.post-deploy.sh") for p in env_files()]
    for script in scripts:
        assert script.is_file(), f"{script.name} missing: Snakemake runs it after creating the env"
        assert "pip install" in script.read_text() and "-e" in script.read_text()
    assert len({s.read_text() for s in scripts}) == 1, "the post-deploy scripts must stay identical"


def test_every_rule_that_runs_code_names_an_existing_conda_env():
    rules = [r for r in all_workflow_rules() if r["runs_code"]]
    for rule in rules:
        assert rule["conda"], f"rule {rule['name']} ({rule['file']}) has no conda: directive"
        conda = Path(rule["conda"])
        assert conda.parent == ENVS and conda.is_file(), f"rule {rule['name']}: conda env {conda} is not an envs/*.yaml"


# --- imports -------------------------------------------------------------------------------------


def guarded(node: ast.AST, parents: dict) -> bool:
    """An import inside ``try: ... except ImportError`` (optional) or ``if TYPE_CHECKING:``."""
    while node in parents:
        parent = parents[node]
        if isinstance(parent, ast.Try) and node in parent.body:
            for handler in parent.handlers:
                names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                if any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names):
                    return True
        if isinstance(parent, ast.If) and "TYPE_CHECKING" in ast.unparse(parent.test):
            return True
        node = parent
    return False


def module_file(module: str) -> Path | None:
    """The source file of a synecg module (package __init__ or module), or None."""
    base = SRC.joinpath(*module.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def parsed_source(path: Path) -> tuple[ast.Module, dict]:
    """A file's syntax tree and each node's parent (parsed once per session: many rules share modules)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return tree, {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}


MODULE = "<module>"  # the unit of a module's top-level code, run when it is imported


class ImportGraph:
    """Which third-party modules a rule script really needs, following synecg symbol by symbol.

    A unit is a module's top-level code or one of its top-level functions or classes. Importing a
    module runs its top-level code (and its packages' __init__); a function's own imports count
    only when something reachable refers to that function. So a lazy ``import torch`` inside a
    library function counts for the scripts that call it, and not for those that merely import its
    module. Imports guarded by ``except ImportError`` or ``if TYPE_CHECKING`` are optional.
    """

    def __init__(self):
        self.third_party: dict[str, str] = {}
        self.seen: set[tuple[Path, str]] = set()

    def parse(self, path: Path):
        return parsed_source(path)

    def package_of(self, path: Path) -> list[str]:
        if not path.is_relative_to(SRC):
            return []
        parts = module_name(path).split(".")
        return parts if path.name == "__init__.py" else parts[:-1]

    def imported_names(self, node, path: Path) -> dict[str, tuple[str, str | None]]:
        """Local name -> (module, symbol or None) for one import statement; records third-party ones."""
        names = {}
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top == "synecg":
                    names[alias.asname or top] = (alias.name if alias.asname else "synecg", None)
                    self.need_module(alias.name)
                else:
                    self.third(top, path)
        else:
            if node.level:
                package = self.package_of(path)
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            top = base.split(".")[0]
            if top != "synecg":
                self.third(top, path)
                return names
            self.need_module(base)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if module_file(sub) and not self.defines(base, alias.name):
                    names[alias.asname or alias.name] = (sub, None)
                    self.need_module(sub)
                else:
                    names[alias.asname or alias.name] = (base, alias.name)
        return names

    def defines(self, module: str, name: str) -> bool:
        path = module_file(module)
        if path is None:
            return False
        tree, _ = self.parse(path)
        return any(getattr(n, "name", None) == name for n in tree.body)

    def third(self, top: str, path: Path) -> None:
        if top and top not in sys.stdlib_module_names and top != "__future__":
            where = str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)
            self.third_party.setdefault(top, where)

    def need_module(self, module: str) -> None:
        parts = module.split(".")
        for i in range(1, len(parts) + 1):
            path = module_file(".".join(parts[:i]))
            if path:
                self.visit(path, MODULE)

    def need_symbol(self, module: str, symbol: str | None) -> None:
        path = module_file(module)
        if path is None:
            return
        self.need_module(module)
        if symbol is not None:
            self.visit(path, symbol)

    def visit(self, path: Path, unit: str) -> None:
        if (path, unit) in self.seen:
            return
        self.seen.add((path, unit))
        tree, parents = self.parse(path)
        top_level = {getattr(n, "name", None): n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        if unit == MODULE:
            bodies = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
            # decorators and base classes run at import time too
            for n in top_level.values():
                bodies += n.decorator_list + getattr(n, "bases", [])
        elif unit in top_level:
            bodies = [top_level[unit]]
        else:
            return  # a constant or re-exported name: its module's top-level code covers it
        # the module's own imports: name -> (module, symbol)
        table = {}
        for n in tree.body:
            if isinstance(n, (ast.Import, ast.ImportFrom)) and not guarded(n, parents):
                table.update(self.imported_names(n, path))
        module = module_name(path) if path.is_relative_to(SRC) else None
        for body in bodies:
            for node in ast.walk(body):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and not guarded(node, parents):
                    table.update(self.imported_names(node, path))
        for body in bodies:
            for node in ast.walk(body):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in table:
                    target, symbol = table[node.value.id]
                    self.need_symbol(target, node.attr if symbol is None else symbol)
                elif isinstance(node, ast.Name):
                    if node.id in table:
                        self.need_symbol(*table[node.id])
                    elif node.id in top_level and node.id != unit:
                        self.visit(path, node.id)
        if module is not None and unit != MODULE:
            self.visit(path, MODULE)


@cache
def third_party_imports(script: Path) -> dict[str, str]:
    """Top-level third-party module -> the file that imports it, for everything ``script`` runs."""
    graph = ImportGraph()
    tree, _ = graph.parse(script)
    graph.visit(script, MODULE)
    for node in tree.body:  # a script runs all its code: its functions count too
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            graph.visit(script, node.name)
    return graph.third_party


@cache
def installed_distributions() -> dict[str, list[str]]:
    """Top-level module -> distributions providing it (a scan of every installed package: once)."""
    return packages_distributions()


def distribution_of(module: str) -> str:
    dists = installed_distributions().get(module)
    assert dists, f"module {module} is imported but no installed distribution provides it"
    return canonicalize_name(dists[0])


def test_import_follower_sees_through_synecg_modules(tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import numpy\nfrom synecg.generators.bank import write_bank\ntry:\n    import nothere\nexcept ImportError:\n    pass\n")
    found = third_party_imports(script)
    assert "numpy" in found and "nothere" not in found and "pandas" in found  # pandas comes from bank.py


def test_lazy_library_imports_count_only_for_scripts_that_call_them(tmp_path):
    calls = tmp_path / "calls.py"
    calls.write_text("from synecg import seeding\ng = seeding.torch_generator(1, 'x')\n")
    skips = tmp_path / "skips.py"
    skips.write_text("from synecg.seeding import numpy_rng\nrng = numpy_rng(1, 'x')\n")
    assert third_party_imports(calls)["torch"] == "src/synecg/seeding.py"
    assert "torch" not in third_party_imports(skips) and "numpy" in third_party_imports(skips)


def missing_imports(script: Path, env: Path) -> list[str]:
    """Third-party modules ``script`` (and the synecg modules it imports) needs that ``env`` lacks."""
    provided = set(env_specs(env)) | PROVIDED_BY_SNAKEMAKE
    missing = []
    for module, where in sorted(third_party_imports(script).items()):
        dist = distribution_of(module)
        if dist not in provided and module not in PROVIDED_BY_SNAKEMAKE:
            missing.append(f"{where} imports {module} ({dist}), not in {env.name}")
    return missing


def test_missing_import_is_reported_against_the_env(tmp_path):
    script = tmp_path / "score.py"
    script.write_text("import neurokit2\nimport numpy\n")
    assert missing_imports(script, ENVS / "eval.yaml") == []
    assert [m.split(" imports ")[1] for m in missing_imports(script, ENVS / "data.yaml")] == [
        "neurokit2 (neurokit2), not in data.yaml"
    ]


def test_every_third_party_import_of_a_rule_is_in_its_env():
    problems = [
        f"rule {rule['name']}: {problem}"
        for rule in all_workflow_rules()
        if rule["script"] and rule["conda"]
        for problem in missing_imports(Path(rule["script"]), Path(rule["conda"]))
    ]
    assert not problems, "\n".join(problems)


def test_every_script_in_workflow_scripts_is_used_by_a_rule():
    used = {Path(r["script"]) for r in all_workflow_rules() if r["script"]}
    unused = [p.name for p in sorted((REPO_ROOT / "workflow" / "scripts").glob("*.py")) if p.resolve() not in used]
    assert not unused, f"scripts no rule runs (their imports are unchecked): {unused}"


def test_envs_create_with_conda():
    """Only where conda is installed and its channels are reachable (never on the project's CI)."""
    conda = shutil.which("mamba") or shutil.which("conda")
    if conda is None:
        pytest.skip("conda is not installed here: the env checks above are static (see module docstring)")
    for path in env_files():
        proc = subprocess.run([conda, "env", "create", "--dry-run", "--file", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{path.name} does not solve:\n{proc.stderr[-3000:]}"
