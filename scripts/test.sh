#!/usr/bin/env bash
# Everything CI checks: lint, format, every service's tests, the console's checks and
# browser tests, end-to-end, fault and fuzz tests, the quick bench, the Kubernetes manifests and the compose
# stack built and run (scripts/compose-test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install.sh
scripts/ensure-infra.sh

echo "== lint: ruff check, ruff format --check, mypy on every package"
make --no-print-directory lint
echo "== audit: pip-audit on uv.lock, bandit -ll on the code"
scripts/audit.sh

echo "== console (frontend): lint, types, unit tests, build + bundle budget"
scripts/console.sh check
scripts/console.sh browser

for suite in shared gateway auth-service profile-service ml-service; do
  echo "== tests: $suite"
  uv run --frozen pytest "$suite/tests"
done
echo "== tests: end-to-end (API, and the console in chromium)"
uv run --frozen pytest tests-e2e --ignore=tests-e2e/faults
echo "== tests: faults (private PostgreSQL and Redis, restarted under load)"
uv run --frozen pytest tests-e2e/faults

echo "== bench QUICK=1 (every quick scenario must run without errors; no timing asserted)"
QUICK=1 scripts/bench.sh

echo "== Kubernetes manifests (render, strict schema validation, invariants)"
uv run --frozen pytest deploy/tests
uv run --frozen python deploy/k8s/check.py
echo "== compose stack (make compose-test)"
scripts/compose-test.sh
echo "all checks passed"
