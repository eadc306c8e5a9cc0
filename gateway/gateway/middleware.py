"""Edge middleware: the proxy fast path and browser-hardening headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from segshared.errors import DomainError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.route_table import Route, match_route

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

    def __init__(self, app: ASGIApp, handler: ProxyHandler) -> None:
        self.app = app
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = match_route(scope["path"]) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.handler(request, route)
        except DomainError as exc:
            response = JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        await response(scope, receive, send)
