#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on localhost; start the local ones if installed
# but stopped; otherwise say what is missing and suggest `docker compose up`.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
REDIS_PORT=${REDIS_PORT:-6379}

pg_ok() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; }
redis_ok() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

if ! pg_ok; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "starting local PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_ok && break; sleep 1; done
  fi
  pg_ok || { echo "PostgreSQL is not reachable on $PGHOST:$PGPORT and no local server is installed." >&2
             echo "Install PostgreSQL or run 'docker compose up' instead." >&2; exit 1; }
fi

if ! redis_ok; then
  if command -v redis-server >/dev/null 2>&1; then
    # AOF on (fsync every second): a Redis restart keeps stream backlogs, consumer groups
    # and revocations; a crash loses at most the last second of writes.
    echo "starting local Redis (AOF in .data/redis)"
    REDIS_DIR="$(cd "$(dirname "$0")/.." && pwd)/.data/redis"
    mkdir -p "$REDIS_DIR"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
      --appendonly yes --appendfsync everysec --dir "$REDIS_DIR"
    for _ in $(seq 1 30); do redis_ok && break; sleep 0.5; done
  fi
  redis_ok || { echo "Redis is not reachable on 127.0.0.1:$REDIS_PORT and no local server is installed." >&2
                echo "Install redis-server or run 'docker compose up' instead." >&2; exit 1; }
fi

# The development database (tests create their own seg_test_* databases).
DB=${POSTGRES_DB:-segmentation}
if ! psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -Atqc "SELECT 1 FROM pg_database WHERE datname='$DB'" postgres | grep -q 1; then
  psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -qc "CREATE DATABASE \"$DB\"" postgres
fi
