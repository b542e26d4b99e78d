"""Wall time and job count of the fidelity stage alone (and the bank figures), on fixture inputs.

Writes the prepared data of the three datasets and one fixture bank per (dataset, generator)
through the stage contracts (tests/fidelity_fixtures.py: 10 train / 6 val records per class,
7 per class per bank), then runs only the fidelity rules and the bank-figure rule of the checkout
on config/config.yaml + tests/configs/tiny.yaml from an empty results/fidelity: extractor, real
caches, every bank, the pool `all`, the floor and ceiling, the table and every figure. The rules
are read from workflow/rules/fidelity.smk and banks.smk, so the same command times any version
of the stage (before and after a change to its jobs).

Run:  PYTHONPATH=src python benchmarks/fidelity_jobs.py --workdir /tmp/fidjobs-bench [--cores 2]
Prints one table: jobs per rule, total jobs, wall seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from fidelity_fixtures import DATASETS, write_fidelity_inputs  # noqa: E402

FIGURES = ("waveforms", "spectra", "correlation", "embedding", "physiology", "ecg_paper")
RULE = re.compile(r"^\s*(?:rule (\w+):|use rule \w+ as (\w+))", re.M)


def stage_rules() -> list[str]:
    text = (REPO / "workflow/rules/fidelity.smk").read_text()
    rules = [a or b for a, b in RULE.findall(text)]
    return rules + ["plot_bank"] * ("rule plot_bank:" in (REPO / "workflow/rules/banks.smk").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--generators", nargs="+", default=["sssd", "diffwave", "timediffusion", "timevqvae"])
    args = ap.parse_args()
    work = args.workdir.resolve()
    if work.exists():
        shutil.rmtree(work)
    write_fidelity_inputs(work, args.generators)
    overlay = work / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"generators": {"enabled": args.generators}, "compute": {"device": "cpu"}}))
    pool = [g for g in ["sssd", "timediffusion", "timevqvae"] if g in args.generators]
    scored = args.generators + (["all"] if len(args.generators) > 1 else [])
    targets = ["results/tables/fidelity.csv"]
    targets += [f"results/figures/fidelity/{d}/{g}/{f}.png" for d in DATASETS for g in scored for f in FIGURES]
    targets += [f"results/figures/banks/{d}/{g}.png" for d in DATASETS for g in args.generators]
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(work),
           "--cores", str(args.cores), "--configfile", str(REPO / "config/config.yaml"),
           str(REPO / "tests/configs/tiny.yaml"), str(overlay), "--allowed-rules", *stage_rules(), "--", *targets]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"snakemake failed:\n{proc.stderr[-4000:]}")
    counts = Counter(re.findall(r"^(?:local)?rule (\w+):$", proc.stderr, re.M))
    counts.pop("all", None)
    print(f"pool members: {pool}; load average at the end: {os.getloadavg()[0]:.1f}")
    print("| rule | jobs |\n| --- | --- |")
    for rule, n in sorted(counts.items()):
        print(f"| {rule} | {n} |")
    print(f"| **total** | {sum(counts.values())} |\n\nwall: {wall:.0f} s")


if __name__ == "__main__":
    main()
