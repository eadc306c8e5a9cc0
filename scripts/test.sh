#!/usr/bin/env bash
# Everything CI checks: lint, format, every service's tests, the console's checks and
# browser tests, end-to-end tests, compose file.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install.sh
scripts/ensure-infra.sh

echo "== ruff"
uv run --frozen ruff check .
uv run --frozen ruff format --check .
echo "== mypy (shared)"
uv run --frozen mypy shared/segshared

echo "== console (frontend): lint, types, unit tests, build + bundle budget"
scripts/console.sh check
scripts/console.sh browser

for suite in shared gateway auth-service profile-service ml-service; do
  echo "== tests: $suite"
  uv run --frozen pytest "$suite/tests"
done
echo "== tests: end-to-end (API, and the console in chromium)"
uv run --frozen pytest tests-e2e

echo "== docker-compose config"
# Validation only: throwaway values for the variables the file requires.
export POSTGRES_PASSWORD=compose-validation SERVICE_TOKEN=compose-validation-token-000000000000
if command -v docker-compose >/dev/null 2>&1; then
  docker-compose -f docker-compose.yml config -q
elif docker compose version >/dev/null 2>&1; then
  docker compose -f docker-compose.yml config -q
else
  echo "docker-compose not installed: installing it to validate the compose file"
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y -qq docker-compose >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq docker-compose; }) >/dev/null
    docker-compose -f docker-compose.yml config -q
  else
    echo "cannot validate docker-compose.yml: no docker-compose and no apt-get" >&2
    exit 1
  fi
fi
echo "all checks passed"
