#!/usr/bin/env bash
# The newcomer's command (README: `npm start`): swarmlab run on the classic
# web-api topology with the default engine; extra arguments are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/ensure-deps.sh
export TESTCONTAINERS_RYUK_DISABLED=true
exec node bin/swarmlab.js run --topology topologies/web-api.yaml "$@"
