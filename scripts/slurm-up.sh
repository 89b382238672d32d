#!/usr/bin/env bash
# Start a single-node Slurm cluster on localhost, with its state under DIR (default
# /tmp/wagonyard-slurm), and print the SLURM_CONF to export. Needs root and Debian's
# slurmctld, slurmd, slurm-client and munge (scripts/install.sh --test installs them).
# Idempotent: a cluster already answering under DIR is left as it is.
set -euo pipefail
dir=${1:-/tmp/wagonyard-slurm}
mkdir -p "$dir"/{state,spool,log}
dir=$(cd "$dir" && pwd)
# one at a time: parallel test workers may all ask for the cluster at once
exec 9>"$dir/up.lock"
flock 9
conf="$dir/slurm.conf"
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))

cat > "$conf" <<CONF
ClusterName=wagonyard
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
MinJobAge=3600
MaxJobCount=100000
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
SchedulerParameters=defer
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Features=site-a State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"

if sinfo -h -o %T >/dev/null 2>&1 && [ -n "$(sinfo -h -o %T 2>/dev/null)" ]; then
  echo "export SLURM_CONF=$conf"
  exit 0
fi

if ! pgrep -x munged >/dev/null; then
  mkdir -p /run/munge && chown munge:munge /run/munge
  [ -f /etc/munge/munge.key ] || { /usr/sbin/mungekey --create 2>/dev/null || create-munge-key -f; chown munge:munge /etc/munge/munge.key; }
  runuser -u munge -- /usr/sbin/munged 9>&-
fi
# the daemons must not inherit the lock (9>&-): munged keeps every descriptor it is given,
# and would hold the lock for as long as it runs, so the next caller would wait forever
pgrep -f "slurmctld -f $conf" >/dev/null || /usr/sbin/slurmctld -f "$conf" 9>&-
pgrep -f "slurmd -f $conf" >/dev/null || /usr/sbin/slurmd -f "$conf" -N localhost 9>&-

for _ in $(seq 1 100); do
  state=$(sinfo -h -o %T 2>/dev/null || true)
  case "$state" in
    idle*|mixed*|allocated*) echo "export SLURM_CONF=$conf"; exit 0 ;;
  esac
  sleep 0.2
done
echo "slurm-up.sh: the node did not become idle in 20 s; see $dir/log/" >&2
exit 1
