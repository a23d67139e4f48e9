# shellcheck shell=bash
# Sourced by ci/test.sh and ci/start.sh: installs the npm packages when they are
# missing or older than package-lock.json, so both commands work on a fresh clone.
# (Host packages such as qemu and debootstrap are installed by swarmlab itself,
# with apt, when it first needs them and runs as root.)
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing npm packages"
  npm ci --no-audit --no-fund
fi
