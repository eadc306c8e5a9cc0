# One image recipe for the four Python services; the build context is the repository root.
#   docker build --target service --build-arg SERVICE=auth-service --build-arg PORT=8001 \
#     -t segmentation/auth-service .
#   docker build --target gateway --build-arg SERVICE=gateway --build-arg PORT=8000 \
#     -t segmentation/gateway .
# Base images are build args with the official defaults; where no registry can be reached,
# scripts/base-images.sh builds local stand-ins and prints the values to pass.
ARG PYTHON_IMAGE=python:3.11-slim
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9
ARG NODE_IMAGE=node:20-slim

FROM ${UV_IMAGE} AS uv

# One workspace member and its locked dependencies in /app/.venv, without dev tools or
# the libraries' own test suites.
FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Dependencies first (a layer that survives code changes), from the lock file only.
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY gateway/pyproject.toml gateway/
COPY auth-service/pyproject.toml auth-service/
COPY profile-service/pyproject.toml profile-service/
COPY ml-service/pyproject.toml ml-service/
COPY devstack/pyproject.toml devstack/
RUN test -n "$SERVICE" && uv sync --frozen --no-dev --no-install-workspace --package "$SERVICE"
COPY shared shared
COPY ${SERVICE} ${SERVICE}
RUN uv sync --frozen --no-dev --no-editable --package "$SERVICE" \
 && find /app/.venv -depth -type d -name tests -path '*/site-packages/*' -exec rm -rf {} + \
 && mkdir /app/service \
 && for f in alembic.ini migrations; do \
      if [ -e "$SERVICE/$f" ]; then cp -r "$SERVICE/$f" /app/service/; fi; \
    done

# The service: non-root, nothing written outside /tmp and its volumes (/data/*), so it runs
# with a read-only root filesystem.
FROM ${PYTHON_IMAGE} AS service
ARG SERVICE
ARG PORT=8000
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /tmp --shell /usr/sbin/nologin app \
 && mkdir -p /data/models /data/keys && chown app:app /data/models /data/keys
COPY --from=build /app /app
# MODEL_DIR (ml-service) and AUTH_KEY_DIR (auth-service) point at the volumes' mount points.
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HOME=/tmp \
    SERVICE=${SERVICE} PORT=${PORT} MODEL_DIR=/data/models AUTH_KEY_DIR=/data/keys
WORKDIR /app/service
USER 10001:10001
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=5 CMD ["python", "-c", \
  "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/ready\", timeout=2)"]
# segshared.serve: the uvicorn flags `make up` uses too.
CMD ["python", "-m", "segshared.serve"]

# The web console: `npm ci && npm run build`; dist/ is what the gateway serves.
FROM ${NODE_IMAGE} AS console
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build && mv dist /ui

FROM service AS gateway
COPY --from=console /ui /app/ui
ENV UI_DIR=/app/ui
