#!/usr/bin/env bash
# npm run lint: shellcheck over every shell script, those that run in nodes and
# the VM (POSIX sh) and these CI scripts (bash). Installs shellcheck with apt
# when it is missing and this runs as root (a fresh CI machine).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v shellcheck >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then echo "shellcheck is missing: apt-get install shellcheck" >&2; exit 1; fi
  echo "== installing shellcheck"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi
mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
shellcheck "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
