"""`/health` (liveness), `/ready` (dependencies, with latency) and `/metrics`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ReadinessCheck = Callable[[], Awaitable[object]]

REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


async def run_check(check: ReadinessCheck, timeout: float = 2.0) -> dict[str, object]:
    """Run one readiness check: `{status: ok|error, latency_ms, detail?}`."""
    started = time.perf_counter()
    try:
        result = await asyncio.wait_for(check(), timeout)
    except Exception as exc:
        return {
            "status": "error",
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            "detail": str(exc) or type(exc).__name__,
        }
    entry: dict[str, object] = {
        "status": "ok",
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    if isinstance(result, dict):
        entry.update(result)
    return entry


# Readiness answers the same body either way; 503 when a component is down.
NOT_READY: dict[int | str, dict[str, object]] = {
    503: {"description": "A component is down (status 'error' on it)"}
}


def health_router(service: str, version: str, liveness: bool = True) -> APIRouter:
    """Routes whose readiness checks come from `app.state.readiness_checks`.

    `liveness=False` leaves `/health` to the app (the gateway aggregates there).
    """
    router = APIRouter(tags=["health"])

    if liveness:

        @router.get("/health")
        async def health() -> dict[str, str]:
            return {"status": "ok", "service": service, "version": version}

    @router.get("/ready", responses=NOT_READY)
    async def ready(request: Request) -> JSONResponse:
        checks: dict[str, ReadinessCheck] = request.app.state.readiness_checks
        names = list(checks)
        results = await asyncio.gather(*(run_check(checks[n]) for n in names))
        components = dict(zip(names, results, strict=True))
        ok = all(c["status"] == "ok" for c in components.values())
        body = {"status": "ok" if ok else "error", "service": service, "components": components}
        return JSONResponse(body, 200 if ok else 503)

    @router.get("/metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


class MetricsMiddleware:
    """Counts requests and observes latency with two cheap metric updates each."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            REQUESTS.labels(scope["method"], str(status)).inc()
            LATENCY.observe(time.perf_counter() - started)
