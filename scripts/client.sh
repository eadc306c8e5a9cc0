#!/usr/bin/env bash
# `make client`: save the gateway's merged /openapi.json as frontend/openapi.json and
# regenerate the typed client (frontend/src/client/) from it. With BASE_URL set it reads
# that gateway; otherwise it boots the stack on free ports (throwaway test database).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
scripts/ensure-infra.sh
uv run --frozen python scripts/openapi_snapshot.py
scripts/console.sh deps
(cd frontend && npm run client)
echo "client regenerated: review and commit frontend/openapi.json and frontend/src/client/"
