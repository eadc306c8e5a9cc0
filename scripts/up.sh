#!/usr/bin/env bash
# `make up`: install, make sure PostgreSQL/Redis answer, then run the whole stack.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
scripts/ensure-infra.sh
# The web console at /ui/: built when frontend/dist is missing or older than its sources.
scripts/console.sh ensure-built || echo "warning: the web console could not be built; /ui/ will answer 404" >&2
exec uv run --frozen python -m devstack up
