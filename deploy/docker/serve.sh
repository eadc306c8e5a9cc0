#!/bin/sh
# The container's process: $SERVICE's app under uvicorn on $PORT (the flags `make up` uses).
exec uvicorn "$(echo "$SERVICE" | tr - _).main:create_app" --factory \
  --host 0.0.0.0 --port "$PORT" --loop uvloop --http httptools \
  --no-access-log --no-proxy-headers --timeout-graceful-shutdown 5 "$@"
