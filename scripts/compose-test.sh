#!/usr/bin/env bash
# `make compose-test`: docker-compose.yml proven on the local Docker. Starts dockerd when none
# answers, gets the base images (official, else local stand-ins: scripts/base-images.sh),
# builds and starts the stack, waits for a green /health, runs the smoke test through the
# published gateway on 127.0.0.1 (tests-compose/compose_smoke.py, which also restarts the
# stack and checks that everything is still there), then removes it with `down -v`.
# The gateway is published on GATEWAY_PORT (8000), or on a free port when that is taken.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
work=$(mktemp -d /tmp/seg-compose-test.XXXXXX)
# Own project and image tag per checkout: runs from two checkouts don't meet.
checkout=$(pwd -P | cksum | cut -c1-8)
project=${COMPOSE_TEST_PROJECT:-seg-compose-test-$checkout}
phase() { echo "== compose-test: $* ($((SECONDS - started)) s)"; }

if ! command -v dockerd >/dev/null 2>&1 \
   || ! { docker compose version || command -v docker-compose; } >/dev/null 2>&1; then
  # This machine kind has a Docker client but no engine: Debian's packages bring both.
  phase "installing docker.io and docker-compose (Debian packages)"
  { apt-get install -y -qq docker.io docker-compose \
    || { apt-get update -qq && apt-get install -y -qq docker.io docker-compose; }; } >/dev/null
fi

dockerd_pid=""
if ! docker info >/dev/null 2>&1; then
  phase "starting dockerd (log: $work/dockerd.log)"
  dockerd >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -n 20 "$work/dockerd.log" >&2; exit 1; }
fi

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)  # Compose v1 (Debian's docker-compose package)
else
  echo "compose-test: neither 'docker compose' nor 'docker-compose' is installed" >&2
  exit 1
fi

port=${GATEWAY_PORT:-8000}
if ! python3 -c "import socket,sys; socket.create_server(('127.0.0.1', int(sys.argv[1]))).close()" \
     "$port" 2>/dev/null; then
  port=$(python3 -c "import socket; s=socket.create_server(('127.0.0.1', 0)); print(s.getsockname()[1])")
  echo "compose-test: port ${GATEWAY_PORT:-8000} is taken; publishing the gateway on $port"
fi

phase "base images"
env_file="$work/compose.env"
scripts/base-images.sh > "$env_file"
admin_password="Adm1n-$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')"
cat >> "$env_file" <<EOF
GATEWAY_BIND=127.0.0.1
GATEWAY_PORT=$port
ADMIN_USERNAME=compose-admin
ADMIN_PASSWORD=$admin_password
MODEL_DIR_MIN_FREE_MB=1
IMAGE_TAG=compose-test-$checkout
EOF
# Compose sees this run's settings only: not the caller's variables (which would override
# the env file), nor a developer's .env (which --env-file replaces).
keep=(PATH="$PATH" HOME="$HOME")
for name in DOCKER_HOST DOCKER_CONFIG http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  if [ -n "${!name:-}" ]; then keep+=("$name=${!name}"); fi
done
compose=(env -i "${keep[@]}" "${compose[@]}" -p "$project" --env-file "$env_file")

cleanup() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    echo "== compose-test failed: the last log lines of each container" >&2
    "${compose[@]}" logs --no-color --tail=40 >&2 || true
  fi
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  # The engine this run started stops again, unless another run is using it meanwhile.
  if [ -n "$dockerd_pid" ] && [ -z "$(docker ps -q 2>/dev/null)" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

phase "config"
# The optional observability profile must stay valid, though it is never started here.
"${compose[@]}" --profile observability config -q
phase "build"
"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true  # leftovers of a killed run
"${compose[@]}" build
phase "images"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' --filter "reference=segmentation/*:compose-test-$checkout"
phase "up"
"${compose[@]}" up -d
phase "smoke test"
COMPOSE_TEST_URL="http://127.0.0.1:$port" COMPOSE_TEST_COMMAND="${compose[*]}" \
  COMPOSE_TEST_ADMIN_USERNAME=compose-admin COMPOSE_TEST_ADMIN_PASSWORD="$admin_password" \
  timeout 900 uv run --frozen pytest -p no:cacheprovider tests-compose/compose_smoke.py
phase "down -v"
