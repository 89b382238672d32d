#!/usr/bin/env bash
# Install wagonyard and everything it needs on a fresh Debian machine of this kind.
#   bash scripts/install.sh          the package and its runtime dependencies (for the demo)
#   bash scripts/install.sh --test   also the test tools and the Debian packages tests use
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
debs=(git bubblewrap)
if [ "$mode" = "--test" ]; then
  debs+=(chromium slurmctld slurmd slurm-client munge)
fi

missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "install.sh: needs the Debian packages ${missing[*]}; run as root or install them" >&2
      exit 1
    fi
  fi
  echo "install.sh: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

extra=""
[ "$mode" = "--test" ] && extra="[test]"
echo "install.sh: pip install -e .$extra"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e ".$extra"
command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
