#!/usr/bin/env bash
# Supply-chain and code audit (CI runs it from scripts/test.sh): pip-audit on every
# package pinned in uv.lock, and bandit on our code at medium severity and above
# (`-ll`). Both tools are pinned and fetched by uv itself; nothing joins the project's
# environment. A finding fails the run; an accepted one is justified inline
# (`# nosec BXXX: why`) or, for a dependency, with `--ignore-vuln ID` below and a reason.
set -euo pipefail
cd "$(dirname "$0")/.."

requirements="$(mktemp)"
report="$(mktemp)"
trap 'rm -f "$requirements" "$report"' EXIT
uv export --frozen --all-packages --no-emit-workspace --no-hashes --quiet -o "$requirements"

echo "== pip-audit (uv.lock)"
status=0
uvx --quiet --from 'pip-audit==2.9.0' pip-audit --no-deps --disable-pip --progress-spinner off \
  -r "$requirements" --format json -o "$report" || status=$?
# pip-audit says "No known vulnerabilities found" even when it could look up no package
# at all (an offline or proxied network answers "not found on PyPI"): say how many it
# really checked. Unchecked packages are reported, not failed (CI networks vary).
python3 scripts/audit_summary.py "$report"
[ "$status" -eq 0 ] || exit "$status"

echo "== bandit -ll (our code)"
uvx --quiet --from 'bandit==1.8.6' bandit -q -ll -r \
  shared/segshared gateway/gateway auth-service/auth_service \
  profile-service/profile_service ml-service/ml_service scripts
