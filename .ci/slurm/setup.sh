#!/usr/bin/env bash
# Start a one-node SLURM cluster on this machine (munge + slurmctld + slurmd, 2 fake GPUs) for the
# SLURM tests and for trying profiles/slurm on a laptop. Needs root (daemons, mknod, /etc/slurm).
# Idempotent: a cluster that is already up is left alone. Stop it with .ci/slurm/teardown.sh.
#   LAB=/tmp/synecg-slurm   state, logs, pid files and the fake GPU devices
#   FAKE_GPUS=2             number of fake GPUs (character devices cloned from /dev/null)
#   SLURM_CPUS=4            CPUs the node advertises (>= the real count is fine: jobs here are tiny)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-/tmp/synecg-slurm}
FAKE_GPUS=${FAKE_GPUS:-2}
NODE=$(hostname -s)
CPUS=${SLURM_CPUS:-$(( $(nproc) > 4 ? $(nproc) : 4 ))}
MEM=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 512 ))

if [ "$(id -u)" -ne 0 ]; then echo "setup.sh: needs root (daemons, mknod, /etc/slurm)" >&2; exit 1; fi

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if alive "$LAB/run/slurmctld.pid" && alive "$LAB/run/slurmd.pid" && sinfo -h >/dev/null 2>&1; then
  echo "SLURM already up ($LAB)"; sinfo -o '%P %D %T %C %G'; exit 0
fi

# Packages (Debian/Ubuntu): the daemons, the clients and munge for authentication.
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm slurm-client munge >/dev/null
fi

mkdir -p "$LAB"/{etc,log,spool/ctld,spool/d,run,dev}

# munge: a key (Debian's postinst normally made one) and the daemon on its default socket, which
# the SLURM clients expect.
[ -f /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge; chmod 755 /run/munge
if ! alive /run/munge/munged.pid; then runuser -u munge -- /usr/sbin/munged; fi

fill() {
  sed -e "s|@NODE@|$NODE|g" -e "s|@LAB@|$LAB|g" -e "s|@CPUS@|$CPUS|g" -e "s|@MEM@|$MEM|g" \
      -e "s|@GPUS@|$FAKE_GPUS|g" -e "s|@LASTGPU@|$((FAKE_GPUS - 1))|g" \
      -e "s|@CTLD_PORT@|${SLURMCTLD_PORT:-6817}|g" -e "s|@D_PORT@|${SLURMD_PORT:-6818}|g" "$1"
}
fill "$HERE/slurm.conf.in" > "$LAB/etc/slurm.conf"
fill "$HERE/gres.conf.in" > "$LAB/etc/gres.conf"
for i in $(seq 0 $((FAKE_GPUS - 1))); do
  [ -c "$LAB/dev/nvidia$i" ] || mknod "$LAB/dev/nvidia$i" c 1 3   # gres.conf accepts devices only
done

# The compiled-in path: the plugin's job step drops every SLURM_* variable, SLURM_CONF included.
mkdir -p /etc/slurm
ln -sf "$LAB/etc/slurm.conf" /etc/slurm/slurm.conf
ln -sf "$LAB/etc/gres.conf" /etc/slurm/gres.conf

alive "$LAB/run/slurmctld.pid" || /usr/sbin/slurmctld
alive "$LAB/run/slurmd.pid" || /usr/sbin/slurmd
for _ in $(seq 1 30); do
  sinfo -h -o '%T' 2>/dev/null | grep -qx idle && break
  sleep 1
done
if ! sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then
  echo "setup.sh: node did not become idle; see $LAB/log/" >&2
  tail -n 20 "$LAB/log/slurmctld.log" "$LAB/log/slurmd.log" >&2 || true
  exit 1
fi
sinfo -o '%P %D %T %C %G'
