#!/usr/bin/env bash
# The whole demo study (config/config.yaml) from an empty results/: wall time and peak memory.
# Target: under 10 minutes on 2 CPU cores. Runs in a fresh working directory (the repository's own
# results/ is left alone) and prints one table:
#   wall s | jobs | peak RSS of the whole process tree (Snakemake + all jobs, sampled every 0.5 s)
#   | largest single-job max_rss (from the jobs' benchmark: files)
#
#   bash benchmarks/demo_study.sh [cores=2] [extra snakemake args...]
# KEEP=DIR runs in DIR (new or empty) and keeps it, to read the study's tables, figures and report.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
CORES=${1:-2}; shift || true
PYTHON=${PYTHON:-python}
if [ -n "${KEEP:-}" ]; then
  mkdir -p "$KEEP"
  if [ -n "$(ls -A "$KEEP")" ]; then echo "KEEP=$KEEP is not empty: the demo must start from nothing" >&2; exit 1; fi
  WORKDIR=$(cd "$KEEP" && pwd)
else
  WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/synecg-demo-XXXXXX")
  trap 'rm -rf "$WORKDIR"' EXIT
fi
export PYTHONPATH="$REPO/src${PYTHONPATH:+:$PYTHONPATH}"

"$PYTHON" - "$WORKDIR" "$CORES" "$REPO" "$@" <<'PY'
import csv, os, subprocess, sys, time
from pathlib import Path

workdir, cores, repo, extra = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4:]

def tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants (MB), from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError):
                pass
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024

cmd = [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(workdir),
       "--configfile", str(repo / "config" / "config.yaml"), "--cores", cores, *extra]
start = time.perf_counter()
proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
peak = 0.0
import threading
output = []
reader = threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True)
reader.start()
while proc.poll() is None:
    peak = max(peak, tree_rss_mb(proc.pid))
    time.sleep(0.5)
reader.join()
wall = time.perf_counter() - start
if proc.returncode != 0:
    sys.stdout.write("".join(output[-80:]))
    raise SystemExit(f"demo study failed ({proc.returncode})")
jobs = sum(1 for line in output if line.startswith("Finished jobid"))
largest, largest_job, per_rule = 0.0, "-", {}
for tsv in (workdir / "results" / "benchmarks").rglob("*.tsv"):
    with open(tsv) as f:
        row = next(csv.DictReader(f, delimiter="\t"), None)
    name = tsv.relative_to(workdir / "results" / "benchmarks")
    if row and row.get("max_rss") not in (None, "", "NA") and float(row["max_rss"]) > largest:
        largest, largest_job = float(row["max_rss"]), str(name)
    count, seconds = per_rule.get(name.parts[0], (0, 0.0))
    per_rule[name.parts[0]] = (count + 1, seconds + (float(row["s"]) if row else 0.0))
print("| rule | jobs | job wall s |")
print("| --- | --- | --- |")
for rule, (count, seconds) in sorted(per_rule.items(), key=lambda item: -item[1][1]):
    print(f"| {rule} | {count} | {seconds:.0f} |")
print(f"| all rules with a benchmark file | {sum(c for c, _ in per_rule.values())} | {sum(s for _, s in per_rule.values()):.0f} |")
print()
print("| cores | jobs | wall s | wall min | peak RSS, process tree (MB) | largest job max_rss (MB) | largest job |")
print("| --- | --- | --- | --- | --- | --- | --- |")
print(f"| {cores} | {jobs} | {wall:.0f} | {wall / 60:.1f} | {peak:.0f} | {largest:.0f} | {largest_job} |")
PY
