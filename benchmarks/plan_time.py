"""How long Snakemake takes to plan the full paper study: `snakemake -n --configfile config/paper.yaml`.

Target: under 20 s on 2 cores. Runs the dry run ``--repeat`` times in an empty working directory
(so no earlier results shorten the plan) and prints one table: jobs planned, wall seconds per run.

    python benchmarks/plan_time.py [--repeat 3] [--configfile config/paper.yaml]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def plan_once(configfile: Path) -> tuple[float, float, int, dict[str, int]]:
    """Wall and CPU seconds of one dry run, the number of jobs and the jobs per rule.

    CPU seconds (user + system of the Snakemake process) hardly depend on what else the machine
    runs; wall seconds do."""
    import resource

    with tempfile.TemporaryDirectory() as workdir:
        cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO_ROOT / "Snakefile"), "--directory", workdir,
               # as in the repository: the Snakefile's config/config.yaml, then the given file on top
               "--configfile", str(REPO_ROOT / "config" / "config.yaml"), str(configfile),
               "--dry-run", "--quiet", "rules"]
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"dry run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    counts = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", proc.stdout + proc.stderr, re.M)}
    return seconds, cpu, counts.pop("total", sum(counts.values())), counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--configfile", type=Path, default=REPO_ROOT / "config" / "paper.yaml")
    args = parser.parse_args()
    runs = [plan_once(args.configfile.resolve()) for _ in range(args.repeat)]
    seconds, cpu = [r[0] for r in runs], [r[1] for r in runs]
    jobs, per_rule = runs[0][2], runs[0][3]
    load = os.getloadavg()[0]
    print("| config | jobs planned | runs | wall s (median) | wall s (min) | CPU s (median) | cores | load avg |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print(f"| {args.configfile.name} | {jobs} | {len(seconds)} | {statistics.median(seconds):.1f} | "
          f"{min(seconds):.1f} | {statistics.median(cpu):.1f} | {os.cpu_count()} | {load:.1f} |")
    print()
    print("jobs per rule: " + ", ".join(f"{rule} {n}" for rule, n in sorted(per_rule.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
