#!/usr/bin/env bash
# `make bench`: start a throwaway stack (or use BASE_URL), load it with wrk, print the table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
scripts/ensure-infra.sh
if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (load generator)"
  (apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }) >/dev/null
fi
exec uv run --frozen python bench/run.py
