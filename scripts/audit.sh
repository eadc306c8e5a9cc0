#!/usr/bin/env bash
# Supply-chain and code audit (CI runs it from scripts/test.sh): pip-audit on every
# package pinned in uv.lock, and bandit on our code at medium severity and above
# (`-ll`). Both tools are pinned and fetched by uv itself; nothing joins the project's
# environment. A finding fails the run; an accepted one is justified inline
# (`# nosec BXXX: why`) or, for a dependency, with `--ignore-vuln ID` below and a reason.
set -euo pipefail
cd "$(dirname "$0")/.."

requirements="$(mktemp)"
trap 'rm -f "$requirements"' EXIT
uv export --frozen --all-packages --no-emit-workspace --no-hashes --quiet -o "$requirements"

echo "== pip-audit (uv.lock)"
uvx --quiet --from 'pip-audit==2.9.0' pip-audit --no-deps --disable-pip --progress-spinner off \
  -r "$requirements"

echo "== bandit -ll (our code)"
uvx --quiet --from 'bandit==1.8.6' bandit -q -ll -r \
  shared/segshared gateway/gateway auth-service/auth_service \
  profile-service/profile_service ml-service/ml_service scripts
