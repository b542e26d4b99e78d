#!/usr/bin/env bash
# Stop the cluster started by .ci/slurm/setup.sh: each daemon by the process id in its pid file,
# never by name (other SLURM or munge processes on the machine are left alone).
LAB=${LAB:-/tmp/synecg-slurm}
for f in "$LAB/run/slurmd.pid" "$LAB/run/slurmctld.pid" /run/munge/munged.pid; do
  if [ -f "$f" ]; then
    pid=$(cat "$f")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      echo "stopped $(basename "$f" .pid) (pid $pid)"
    fi
  fi
done
# Remove only links that point into this LAB.
for f in /etc/slurm/slurm.conf /etc/slurm/gres.conf; do
  [ -L "$f" ] && [ "$(readlink "$f")" = "$LAB/etc/$(basename "$f")" ] && rm -f "$f"
done
exit 0
