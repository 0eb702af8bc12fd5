#!/usr/bin/env bash
# Proves that Workflows/Snakefile runs unchanged through SLURM: starts a one-node SLURM cluster on
# this machine (Debian's slurm-wlm and munge; installed when missing, as root), runs the workflow
# with the SLURM profile on the given subjects, checks that every job went through sbatch, and
# stops the cluster. Usage (root): Workflows/run-on-local-slurm.sh [build] [subjects, e.g. 1000,1001]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
subjects=${2:-1000,1001}
command -v slurmctld > /dev/null && command -v munged > /dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurm-wlm munge > /dev/null
cluster=$(mktemp -d)
work=$(mktemp -d)
stop() {
  SLURM_CONF=$cluster/slurm.conf scontrol shutdown > /dev/null 2>&1 || true
  [ -f "$cluster/munged.pid" ] && kill "$(cat "$cluster/munged.pid")" 2> /dev/null || true
  rm -rf "$cluster"
}
trap stop EXIT

# munge authenticates the daemons to each other: a key of our own, in our folder.
chmod 755 "$cluster"
mkdir -p "$cluster"/{munge,state,spool,log}
dd if=/dev/urandom bs=1024 count=1 of="$cluster/munge/key" 2> /dev/null
chown -R munge:munge "$cluster/munge" && chmod 711 "$cluster/munge" && chmod 400 "$cluster/munge/key"
su -s /bin/sh munge -c "munged --key-file=$cluster/munge/key --socket=$cluster/munge/socket \
  --pid-file=$cluster/munge/pid --log-file=$cluster/munge/log --seed-file=$cluster/munge/seed"
cp "$cluster/munge/pid" "$cluster/munged.pid"

host=$(hostname -s)
cat > "$cluster/slurm.conf" << CONF
ClusterName=tessera
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthInfo=socket=$cluster/munge/socket
StateSaveLocation=$cluster/state
SlurmdSpoolDir=$cluster/spool
SlurmctldPidFile=$cluster/slurmctld.pid
SlurmdPidFile=$cluster/slurmd.pid
SlurmctldLogFile=$cluster/log/slurmctld.log
SlurmdLogFile=$cluster/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
NodeName=$host CPUs=$(nproc) RealMemory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 )) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$cluster/slurm.conf USER=${USER:-$(id -un)}
slurmctld
slurmd
for _ in $(seq 30); do sinfo -h -o %t 2> /dev/null | grep -q idle && break; sleep 1; done
sinfo

snakemake -s "$root/Workflows/Snakefile" --profile "$root/Workflows/profiles/slurm" --directory "$work" \
  --config tessera="$build/Applications/tessera" data="$root/../shared/data" "subjects=[$subjects]" targets="[tissue]" \
  > "$work/snakemake.log" 2>&1 || { cat "$work/snakemake.log"; exit 1; }
submitted=$(grep -c "submitted with SLURM jobid" "$work/snakemake.log")
cat "$work/report/report.md"
echo "$submitted jobs went through sbatch (munge, slurmctld and slurmd on $host)"
test "$submitted" -ge "$(( $(echo "$subjects" | tr ',' '\n' | wc -l) * 2 + 1 ))"
rm -rf "$work"
