#!/usr/bin/env bash
# npm run lint: Biome over the TypeScript (lint rules and formatting, see
# biome.jsonc; `npx biome check --write .` formats), a check that no line runs
# past 150 characters (strings the formatter cannot break), and shellcheck over
# every shell script, those that run in nodes and the VM (POSIX sh) and these
# CI scripts (bash). Installs shellcheck with apt when it is missing and this
# runs as root (a fresh CI machine).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v shellcheck >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then echo "shellcheck is missing: apt-get install shellcheck" >&2; exit 1; fi
  echo "== installing shellcheck"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi
npx biome check --error-on-warnings .
mapfile -t sources < <(git ls-files '*.ts')
if long=$(awk 'length > 150 { print FILENAME ":" FNR ": " length " characters" }' "${sources[@]}") && [ -n "$long" ]; then
  echo "lines over 150 characters (split the string):" >&2
  echo "$long" >&2
  exit 1
fi
mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
shellcheck "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
