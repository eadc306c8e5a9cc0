"""Application assembly shared by every service: middleware, errors, health, resources."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, fields
from typing import Any, Generic, Self, TypeVar

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from segshared.db import make_engine, make_sessionmaker, ping_database
from segshared.errors import install_error_handlers
from segshared.health import MetricsMiddleware, ReadinessCheck, health_router
from segshared.logs import RequestIdMiddleware, configure_logging
from segshared.redis_client import make_redis
from segshared.security import http_jwks_loader
from segshared.settings import ServiceSettings
from segshared.tokens import TokenVerifier
from segshared.tracing import configure_tracing, flush_tracing, instrument_app

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


@dataclass(frozen=True)
class AppState(Generic[SettingsT]):
    """What a service's lifespan builds: the app's `app.state` while it runs.

    Each service extends it with its own collaborators (`MlState`, `GatewayState`…), so
    routes and dependencies read typed fields instead of an attribute bag.
    """

    settings: SettingsT
    redis: Redis
    token_verifier: TokenVerifier
    readiness_checks: dict[str, ReadinessCheck]

    @classmethod
    def extending(cls, base: AppState[SettingsT], **own: Any) -> Self:
        """This state: `base`'s fields plus the service's `own` collaborators."""
        return cls(**{f.name: getattr(base, f.name) for f in fields(base)}, **own)


@dataclass(frozen=True)
class ServiceState(AppState[SettingsT]):
    """`AppState` of a service with a database, internal HTTP and an /internal surface."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    service_token: str
    # Unique-index names → the 409 message a violation answers (a race the service's own
    # check could not see).
    unique_conflicts: Mapping[str, str]


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[AppState[Any]]]


def build_app(
    service: str,
    version: str,
    settings: ServiceSettings,
    lifespan: Lifespan,
    liveness: bool = True,
    response_headers: list[tuple[bytes, bytes]] | None = None,
    operational_details: bool = True,
    app_class: type[FastAPI] = FastAPI,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """A FastAPI app (`app_class`) with JSON logging, request ids, tracing, metrics, error
    handlers and health.

    `lifespan` yields the service's `AppState`, which is `app.state` until it exits.
    `operational_details=False` keeps readiness details and `/metrics` off the app (a
    public edge in production).
    """
    configure_logging(service, settings.log_level)

    @asynccontextmanager
    async def lifespan_then_freeze(app: FastAPI) -> AsyncIterator[None]:
        async with lifespan(app) as state:
            initial, app.state = app.state, state  # type: ignore[assignment]
            # Everything built at startup (libraries, models, pools) lives as long as the
            # process: moving it out of the collector's view keeps full GC passes, and the
            # latency spikes they cause under load, short.
            gc.collect()
            gc.freeze()
            try:
                yield
            finally:
                app.state = initial
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
    install_error_handlers(app)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware, extra_headers=response_headers)
    app.include_router(health_router(service, version, liveness, operational_details))
    if configure_tracing(service):
        instrument_app(app)
    return app


@asynccontextmanager
async def service_resources(
    settings: SettingsT,
    token_verifier: TokenVerifier | None = None,
    unique_conflicts: Mapping[str, str] | None = None,
) -> AsyncIterator[ServiceState[SettingsT]]:
    """Engine, sessionmaker, Redis, internal HTTP and the token verifier; disposed on exit.

    Without `token_verifier` the JWKS is fetched over HTTP (auth-service and tests pass
    their own key set).
    """
    engine = make_engine(
        settings.database_url, settings.db_pool_size, settings.db_pool_timeout_seconds
    )
    redis = make_redis(
        settings.redis_url, settings.redis_pool_size, settings.redis_pool_timeout_seconds
    )
    http = httpx.AsyncClient(timeout=settings.internal_timeout_seconds)
    try:
        yield ServiceState(
            settings=settings,
            redis=redis,
            token_verifier=token_verifier
            or TokenVerifier(
                http_jwks_loader(http, settings.jwks_url),
                settings.jwt_issuer,
                settings.jwt_audience,
                leeway=settings.jwt_leeway_seconds,
            ),
            readiness_checks={"postgres": lambda: ping_database(engine), "redis": redis.ping},
            engine=engine,
            sessionmaker=make_sessionmaker(engine),
            http=http,
            service_token=settings.effective_service_token,
            unique_conflicts=dict(unique_conflicts or {}),
        )
    finally:
        await http.aclose()
        await redis.aclose()
        await engine.dispose()
