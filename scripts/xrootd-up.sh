#!/usr/bin/env bash
# Start XRootD servers on localhost, each serving its own directory as a storage element.
#   bash scripts/xrootd-up.sh BASE NAME:PORT [NAME:PORT ...]   start (or find running) servers
#   bash scripts/xrootd-up.sh --down BASE                        stop every server under BASE
# Each server NAME serves BASE/NAME/data as root://127.0.0.1:PORT//, computes adler32 checksums
# (xrdcp --cksum and 'xrdfs query checksum' use them) and logs to BASE/NAME/NAME/xrootd.log. Its pid
# is in BASE/NAME/xrootd.pid. Needs Debian's xrootd-server (scripts/install.sh --test installs it).
# Safe to run again: a server already answering on its port is left alone.
set -euo pipefail

if [ "${1:-}" = "--down" ]; then
  base=${2:?usage: xrootd-up.sh --down BASE}
  for pidfile in "$base"/*/xrootd.pid; do
    [ -f "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  exit 0
fi

log_tail() {  # the end of a server's log, so that the reason is in the message itself
  [ -f "$1" ] && { echo "--- the end of $1:"; tail -n 5 "$1"; } >&2 || true
}

base=${1:?usage: xrootd-up.sh BASE NAME:PORT [NAME:PORT ...]}
shift
[ $# -gt 0 ] || { echo "xrootd-up.sh: give at least one NAME:PORT" >&2; exit 2; }
command -v xrootd >/dev/null || {
  echo "xrootd-up.sh: no xrootd; install Debian's xrootd-server (bash scripts/install.sh --test)" >&2
  exit 1
}
mkdir -p "$base"
base=$(cd "$base" && pwd)
as_root=()
[ "$(id -u)" = 0 ] && as_root=(-R xrootd)  # xrootd refuses to run as root; it drops to 'xrootd'

for spec in "$@"; do
  name=${spec%%:*}
  port=${spec##*:}
  dir=$base/$name
  mkdir -p "$dir/data" "$dir/admin" "$dir/run"
  if [ -f "$dir/xrootd.pid" ] && kill -0 "$(cat "$dir/xrootd.pid")" 2>/dev/null; then
    echo "xrootd-up.sh: $name already runs on port $port (pid $(cat "$dir/xrootd.pid"))"
    continue
  fi
  cat >"$dir/xrootd.cfg" <<CFG
oss.localroot $dir/data
all.export /
all.adminpath $dir/admin
all.pidpath $dir/run
xrd.port $port
xrootd.chksum adler32
CFG
  if [ "$(id -u)" = 0 ]; then
    chown -R xrootd:xrootd "$dir"
    runuser -u xrootd -- test -r "$dir/xrootd.cfg" || {
      echo "xrootd-up.sh: the user 'xrootd' (the server drops to it) cannot enter $dir: a folder" \
        "above it is private; choose a folder under one others may enter, such as /tmp" >&2
      exit 1
    }
  fi
  xrootd -b "${as_root[@]}" -c "$dir/xrootd.cfg" -l "$dir/xrootd.log" -n "$name" -s "$dir/xrootd.pid" ||
    { echo "xrootd-up.sh: $name did not start; see $dir/$name/xrootd.log" >&2; log_tail "$dir/$name/xrootd.log"; exit 1; }
  for _ in $(seq 1 100); do
    if xrdfs "root://127.0.0.1:$port" ls / >/dev/null 2>&1; then
      break
    fi
    sleep 0.1
  done
  xrdfs "root://127.0.0.1:$port" ls / >/dev/null 2>&1 || {
    echo "xrootd-up.sh: $name did not answer on port $port; see $dir/$name/xrootd.log" >&2
    log_tail "$dir/$name/xrootd.log"
    exit 1
  }
  echo "xrootd-up.sh: $name serves $dir/data at root://127.0.0.1:$port//"
done
