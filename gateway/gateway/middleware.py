"""Edge middleware: the proxy fast path and browser-hardening headers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from segshared.errors import REDIS_ERRORS, DomainError, dependency_failure, error_response
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.overload import Overloaded, UpstreamLimiter
from gateway.route_table import Route, match_route

logger = logging.getLogger("gateway.middleware")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

ProxyHandler = Callable[[Request, Route], Awaitable[Response]]


class ProxyRoutesMiddleware:
    """Serves every proxied path directly, skipping FastAPI's routing and exception layers.

    Proxying is the gateway's hot path; the gateway's own routes (/, /health, docs, UI)
    and unknown paths (404) still go through FastAPI.
    """

    def __init__(self, app: ASGIApp, handler: ProxyHandler, limiter: UpstreamLimiter) -> None:
        self.app = app
        self.handler = handler
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = match_route(scope["path"]) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        try:
            await self.limiter.enter(route.service)
        except Overloaded as exc:  # shed before any work: no Redis, no token check
            await error_response(exc)(scope, receive, send)
            return
        try:
            await self._serve(scope, receive, send, route)
        finally:  # held until the answer is sent: a streamed response keeps its slot
            self.limiter.leave(route.service)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, route: Route) -> None:
        request = Request(scope, receive)
        try:
            response = await self.handler(request, route)
        except DomainError as exc:
            response = error_response(exc)
        except REDIS_ERRORS as exc:  # Redis down or its pool exhausted: 503, not 500
            failure = dependency_failure(exc)
            assert failure is not None
            logger.warning("%s admitting %s: %s", type(exc).__name__, route.prefix, failure.detail)
            response = error_response(failure)
        except Exception:  # what FastAPI's handler answers: logged, no stack trace out
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            response = JSONResponse({"detail": "Internal server error"}, 500)
        await response(scope, receive, send)
