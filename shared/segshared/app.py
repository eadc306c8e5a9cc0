"""Application assembly shared by every service: middleware, errors, health, resources."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from segshared.db import make_engine, make_sessionmaker, ping_database
from segshared.errors import install_error_handlers
from segshared.health import MetricsMiddleware, health_router
from segshared.logs import RequestIdMiddleware, configure_logging
from segshared.redis_client import make_redis
from segshared.security import http_jwks_loader
from segshared.settings import ServiceSettings
from segshared.tokens import TokenVerifier
from segshared.tracing import configure_tracing, flush_tracing, instrument_app


def build_app(
    service: str,
    version: str,
    settings: ServiceSettings,
    lifespan: Any,
    liveness: bool = True,
    response_headers: list[tuple[bytes, bytes]] | None = None,
    unique_conflicts: Mapping[str, str] | None = None,
    operational_details: bool = True,
    app_class: type[FastAPI] = FastAPI,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """A FastAPI app (`app_class`) with JSON logging, request ids, tracing, metrics, error
    handlers and health.

    `operational_details=False` keeps readiness details and `/metrics` off the app (a
    public edge in production).

    `unique_conflicts` maps the service's unique-index names to the 409 message a
    violation answers (a race the service's own check could not see).
    """
    configure_logging(service, settings.log_level)

    @asynccontextmanager
    async def lifespan_then_freeze(app: FastAPI) -> AsyncIterator[None]:
        async with lifespan(app):
            # Everything built at startup (libraries, models, pools) lives as long as the
            # process: moving it out of the collector's view keeps full GC passes, and the
            # latency spikes they cause under load, short.
            gc.collect()
            gc.freeze()
            try:
                yield
            finally:
                flush_tracing()

    app = app_class(
        title=service,
        version=version,
        lifespan=lifespan_then_freeze,
        # Behind the gateway a slash redirect would point at the service's own address;
        # collection routes declare both spellings instead.
        redirect_slashes=False,
        **fastapi_kwargs,
    )
    app.state.settings = settings
    app.state.unique_conflicts = dict(unique_conflicts or {})
    install_error_handlers(app)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware, extra_headers=response_headers)
    app.include_router(health_router(service, version, liveness, operational_details))
    if configure_tracing(service):
        instrument_app(app)
    return app


@asynccontextmanager
async def service_resources(
    app: FastAPI, settings: ServiceSettings, verifier: TokenVerifier | None = None
) -> AsyncIterator[None]:
    """Build engine, sessionmaker, Redis and the token verifier into `app.state`; dispose them.

    Pass `verifier` to use a local key set (auth-service); others fetch the JWKS over HTTP.
    """
    engine = make_engine(
        settings.database_url, settings.db_pool_size, settings.db_pool_timeout_seconds
    )
    redis = make_redis(
        settings.redis_url, settings.redis_pool_size, settings.redis_pool_timeout_seconds
    )
    http = httpx.AsyncClient(timeout=settings.internal_timeout_seconds)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.redis = redis
    app.state.http = http
    app.state.service_token = settings.effective_service_token
    app.state.token_verifier = verifier or TokenVerifier(
        http_jwks_loader(http, settings.jwks_url),
        settings.jwt_issuer,
        settings.jwt_audience,
        leeway=settings.jwt_leeway_seconds,
    )
    app.state.readiness_checks = {
        "postgres": lambda: ping_database(engine),
        "redis": redis.ping,
    }
    try:
        yield
    finally:
        await http.aclose()
        await redis.aclose()
        await engine.dispose()
