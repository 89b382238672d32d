#!/usr/bin/env bash
# Stop the single-node Slurm cluster started by slurm-up.sh with the same DIR.
set -uo pipefail
dir=${1:-/tmp/wagonyard-slurm}
for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
