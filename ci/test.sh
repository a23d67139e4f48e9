#!/usr/bin/env bash
# The test command (README: `npm test`): installs what it needs, type-checks,
# runs the unit tests, then the end-to-end suites on the embedded engine.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/ensure-deps.sh
export TESTCONTAINERS_RYUK_DISABLED=true
export NODE_OPTIONS=--experimental-vm-modules
echo "== type check"
npx tsc --noEmit
echo "== unit tests"
npx jest --selectProjects unit
echo "== end-to-end suites (embedded engine)"
npx jest --selectProjects e2e --runInBand
