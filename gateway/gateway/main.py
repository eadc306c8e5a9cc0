"""Gateway application: its own routes (/, /health, docs) and the proxy for everything else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from segshared.app import AppState, build_app
from segshared.contracts.quota import PREDICTED_ROWS_HEADER, QuotaMeter
from segshared.health import NOT_READY, MetricsMiddleware
from segshared.internal_client import InternalClient
from segshared.logs import RequestIdMiddleware
from segshared.redis_client import make_redis
from segshared.security import http_jwks_loader
from segshared.tokens import TokenVerifier
from segshared.tracing import trace_asgi
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import __version__
from gateway.access import EdgeGuard
from gateway.api_keys import ApiKeyExchanger
from gateway.compression import GzipJsonCsv
from gateway.console import Console, redirect_to_console
from gateway.health import aggregate_health
from gateway.metering import RowReservation, is_csv_upload, read_json_batch
from gateway.middleware import SECURITY_HEADERS, ProxyHandler, ProxyRoutesMiddleware
from gateway.openapi import OpenApiCache
from gateway.overload import UpstreamLimiter
from gateway.proxy import forward, forward_headers
from gateway.route_table import Route, match_route, metered
from gateway.settings import GatewaySettings
from gateway.upstream import UpstreamPool


class GatewayApp(FastAPI):
    """The gateway's FastAPI app; proxied paths skip FastAPI's and Starlette's own
    per-request layers (routing, exception, telemetry and body-limit middlewares) and go
    through `edge`: gzip, CORS, request id + security headers, metrics, load shedding,
    admission, proxy — the same headers and answers, a fraction of the CPU."""

    edge: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.edge is not None and scope["type"] == "http" and match_route(scope["path"]):
            scope["app"] = self  # what Starlette sets: Request.app → state
            await self.edge(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


@dataclass(frozen=True)
class GatewayState(AppState[GatewaySettings]):
    """The gateway's `app.state` while it runs."""

    pool: UpstreamPool
    guard: EdgeGuard
    quota: QuotaMeter
    openapi_cache: OpenApiCache
    limiter: UpstreamLimiter


def gateway_state(request: Request) -> GatewayState:
    """The running gateway's typed state."""
    return cast(GatewayState, request.app.state)


def create_app(
    settings: GatewaySettings | None = None, *, token_verifier: TokenVerifier | None = None
) -> FastAPI:
    """Build the gateway; `settings` defaults to the environment, `token_verifier` to one
    that fetches auth-service's JWKS."""
    settings = settings or GatewaySettings()
    limiter = UpstreamLimiter(
        settings.upstream_concurrency_limit,
        settings.upstream_queue_limit,
        settings.upstream_queue_timeout_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[GatewayState]:
        pool = UpstreamPool(
            {
                "auth": settings.auth_service_url,
                "profile": settings.profile_service_url,
                "ml": settings.ml_service_url,
            },
            settings.upstream_pool_size,
            settings.upstream_connect_timeout_seconds,
        )
        http = httpx.AsyncClient(timeout=settings.internal_timeout_seconds)
        redis = make_redis(
            settings.redis_url, settings.redis_pool_size, settings.redis_pool_timeout_seconds
        )
        verifier = token_verifier or TokenVerifier(
            http_jwks_loader(http, settings.jwks_url),
            settings.jwt_issuer,
            settings.jwt_audience,
            leeway=settings.jwt_leeway_seconds,
        )
        auth_client = InternalClient(
            settings.auth_service_url,
            settings.effective_service_token,
            settings.internal_timeout_seconds,
        )
        exchanger = ApiKeyExchanger(
            auth_client, settings.api_key_cache_size, settings.api_key_negative_cache_seconds
        )
        try:
            yield GatewayState(
                settings=settings,
                redis=redis,
                token_verifier=verifier,
                readiness_checks={"redis": redis.ping},
                pool=pool,
                guard=EdgeGuard(settings, verifier, redis, exchanger),
                quota=QuotaMeter(redis),
                openapi_cache=OpenApiCache(),
                limiter=limiter,
            )
        finally:
            await auth_client.aclose()
            await pool.close()
            await http.aclose()
            await redis.aclose()

    app = build_app(
        "gateway",
        __version__,
        settings,
        lifespan,
        liveness=False,  # the gateway's /health aggregates the services instead
        response_headers=SECURITY_HEADERS,
        operational_details=settings.operational_details_public,
        app_class=GatewayApp,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    assert isinstance(app, GatewayApp)
    cors = dict(
        allow_origins=settings.cors_origin_list,
        allow_methods=["*"],
        allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
        expose_headers=["X-Total-Count", "X-Request-ID", "Retry-After"],
    )
    # The proxy's chain (see GatewayApp), outermost last; the gateway's own routes get the
    # same layers from FastAPI's middleware stack below.
    edge: ASGIApp = ProxyRoutesMiddleware(app, handler=_proxy_handler(settings), limiter=limiter)
    edge = RequestIdMiddleware(MetricsMiddleware(edge), extra_headers=SECURITY_HEADERS)
    if settings.cors_origin_list:
        edge = CORSMiddleware(edge, **cors)  # type: ignore[arg-type]
        app.add_middleware(CORSMiddleware, **cors)  # type: ignore[arg-type]
    # Outermost: the proxy's server span (FastAPI's instrumentation never sees this chain).
    app.edge = trace_asgi(GzipJsonCsv(edge, minimum_size=settings.gzip_minimum_bytes))
    app.add_middleware(GzipJsonCsv, minimum_size=settings.gzip_minimum_bytes)
    _add_gateway_routes(app, settings)
    return app


def _add_gateway_routes(app: FastAPI, settings: GatewaySettings) -> None:
    @app.get("/", tags=["health"])
    async def root(request: Request) -> Response:
        if "text/html" in request.headers.get("accept", ""):
            return RedirectResponse("/ui/", status_code=307)
        return JSONResponse({"status": "ok", "service": "gateway", "version": __version__})

    @app.get("/health", tags=["health"], responses=NOT_READY)
    async def health(request: Request) -> JSONResponse:
        healthy, body = await aggregate_health(
            gateway_state(request).pool, settings.health_timeout_seconds
        )
        if not settings.operational_details_public:
            body = {"status": body["status"]}
        return JSONResponse(body, 200 if healthy else 503)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        state = gateway_state(request)
        doc = await state.openapi_cache.document(state.pool, _gateway_openapi(app))
        return JSONResponse(doc)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Segmentation API")

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="Segmentation API")

    default_dir = Path(__file__).parents[2] / "frontend" / "dist"
    console = Console(Path(settings.ui_dir) if settings.ui_dir else default_dir)

    @app.api_route("/ui", methods=["GET", "HEAD"], include_in_schema=False)
    async def console_root() -> Response:
        return redirect_to_console()

    @app.api_route("/ui/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def console_file(request: Request, path: str) -> Response:
        if not console.available:
            return JSONResponse(
                {
                    "detail": "The web console is not built: run `make up` or `npm run build`"
                    " in frontend/"
                },
                404,
            )
        return console.response(request, path)


def _proxy_handler(settings: GatewaySettings) -> ProxyHandler:
    """Admit the caller, then forward to the route's service."""

    async def proxy(request: Request, route: Route) -> Response:
        state = gateway_state(request)
        caller = await state.guard.admit(request, route)
        if route.long_running:
            timeout, max_body = settings.upstream_long_timeout_seconds, settings.max_upload_bytes
        else:
            timeout, max_body = settings.upstream_timeout_seconds, settings.max_body_bytes
        headers = forward_headers(request, caller.token, caller.ip)
        claims = caller.claims
        if (
            caller.daily_quota is None
            or claims is None
            or claims.api_key_id is None
            or not metered(route, request.method, request.url.path)
        ):
            return await forward(state.pool, request, route, headers, timeout, max_body)
        # Quota before work: reserve the call's rows, refund what went unused.
        reservation = RowReservation(state.quota, claims.api_key_id, caller.daily_quota)
        body, check = None, None
        if route.long_running and is_csv_upload(request):
            check = reservation.take_lines
        elif route.long_running:
            body, rows = await read_json_batch(request, settings.max_body_bytes)
            await reservation.take(rows)
        else:
            await reservation.take(1)
        try:
            response = await forward(
                state.pool, request, route, headers, timeout, max_body, body=body, check=check
            )
        except BaseException:
            await reservation.settle(500, None)
            raise
        await reservation.settle(response.status_code, response.headers.get(PREDICTED_ROWS_HEADER))
        return response

    return proxy


def _gateway_openapi(app: FastAPI) -> dict:

    return get_openapi(title="Customer Segmentation API", version=__version__, routes=app.routes)
