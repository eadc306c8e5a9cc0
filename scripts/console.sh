#!/usr/bin/env bash
# The web console (frontend/): dependencies, build, checks, and the browser for its tests.
#   scripts/console.sh deps          npm ci when node_modules is missing or older than the lockfile
#   scripts/console.sh build         deps + production build (bundle budget, precompression)
#   scripts/console.sh ensure-built  build only when frontend/dist is missing or older than its sources
#   scripts/console.sh check         deps + lint, format, types, unit tests, build
#   scripts/console.sh browser       install Debian's chromium for the browser tests when missing
set -euo pipefail
cd "$(dirname "$0")/../frontend"

need_node() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: install Node.js 20+ to build the web console" >&2
    return 1
  fi
}

deps() {
  need_node
  if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "== console: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

build() {
  deps
  echo "== console: build"
  npm run build
}

stale() {
  [[ ! -f dist/index.html ]] && return 0
  local newer
  newer=$(find src public index.html package.json package-lock.json vite.config.ts tsconfig.json \
    -newer dist/index.html -print -quit 2>/dev/null)
  [[ -n "$newer" ]]
}

case "${1:-}" in
  deps) deps ;;
  build) build ;;
  ensure-built)
    if stale; then
      build
    else
      echo "== console: frontend/dist is up to date"
    fi
    ;;
  check)
    deps
    echo "== console: lint and format (biome)"
    npx --no-install biome check .
    echo "== console: types (tsc --noEmit)"
    npx --no-install tsc --noEmit -p tsconfig.json
    echo "== console: unit tests (vitest)"
    npx --no-install vitest run
    build
    ;;
  browser)
    if [[ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]]; then
      echo "== console: installing Debian's chromium for the browser tests"
      if ! command -v apt-get >/dev/null 2>&1; then
        echo "no apt-get: install chromium and set CHROMIUM_PATH" >&2
        exit 1
      fi
      (apt-get install -y -qq chromium >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq chromium; }) >/dev/null
    fi
    ;;
  *)
    echo "usage: $0 deps|build|ensure-built|check|browser" >&2
    exit 2
    ;;
esac
