#!/usr/bin/env bash
# The test command (README: `npm test`): installs what it needs, type-checks,
# runs the unit tests, then the end-to-end suites on the embedded engine.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/ensure-deps.sh
export TESTCONTAINERS_RYUK_DISABLED=true
export NODE_OPTIONS=--experimental-vm-modules
echo "== type check and lint"
npx tsc --noEmit
bash ci/lint.sh
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
echo "== unit tests"
npx jest --selectProjects unit --json --outputFile "$results/unit.json"
echo "== end-to-end suites (embedded engine)"
npx jest --selectProjects e2e --runInBand --json --outputFile "$results/e2e.json"
# One closing line over both runs, in the plain form CI systems read (JavaScript, not shell, in the quotes).
# shellcheck disable=SC2016
node -e '
  const r = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
  const sum = (k) => r.reduce((n, x) => n + x[k], 0);
  console.log(`tests: ${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed`);
' "$results/unit.json" "$results/e2e.json"
