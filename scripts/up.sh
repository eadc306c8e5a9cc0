#!/usr/bin/env bash
# `make up`: install, make sure PostgreSQL/Redis answer, then run the whole stack.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
scripts/ensure-infra.sh
exec uv run --frozen python scripts/stack.py up
