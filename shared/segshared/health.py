"""`/health` (liveness), `/ready` (dependencies, with latency) and `/metrics`.

A component's status is `ok`, `warning` (works, but an operator should act: e.g. the model
volume is nearly full) or `error`; only an error makes `/ready` answer 503.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

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


def process_rss_mb() -> float:
    """This process's resident memory in MiB (from /proc; elsewhere its peak so far)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def disk_space_check(path: Path, min_free_mb: int) -> ReadinessCheck:
    """A readiness check of the free space under `path` (or, until it is created, the
    nearest existing parent): `warning` below `min_free_mb`."""

    def free_mb() -> int:
        target = next((p for p in (path, *path.parents) if p.exists()), path)
        return shutil.disk_usage(target).free // 2**20

    async def check() -> dict[str, object]:
        free = await asyncio.to_thread(free_mb)  # a network volume's statvfs can block
        status = "warning" if free < min_free_mb else "ok"
        return {"status": status, "free_mb": free, "min_free_mb": min_free_mb}

    return check


def overall_status(statuses: list[str]) -> str:
    """`error` if any component failed, else `warning` if any warns, else `ok`."""
    for status in ("error", "warning"):
        if status in statuses:
            return status
    return "ok" if all(s == "ok" for s in statuses) else "error"


async def run_check(check: ReadinessCheck, timeout: float = 2.0) -> dict[str, object]:
    """Run one readiness check: `{status, latency_ms, detail?}` plus what the check returns
    (a dict result may set its own `status`, e.g. `warning`)."""
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


def health_router(
    service: str, version: str, liveness: bool = True, details: bool = True
) -> APIRouter:
    """Routes whose readiness checks come from `app.state.readiness_checks`.

    `liveness=False` leaves `/health` to the app (the gateway aggregates there).
    `details=False` (a public edge in production): `/ready` answers its status only and
    there is no `/metrics`.
    """
    router = APIRouter(tags=["health"])

    if liveness:

        @router.get("/health")
        async def health() -> dict[str, object]:
            return {
                "status": "ok",
                "service": service,
                "version": version,
                "memory_rss_mb": process_rss_mb(),
            }

    @router.get("/ready", responses=NOT_READY)
    async def ready(request: Request) -> JSONResponse:
        checks: dict[str, ReadinessCheck] = request.app.state.readiness_checks
        names = list(checks)
        results = await asyncio.gather(*(run_check(checks[n]) for n in names))
        components = dict(zip(names, results, strict=True))
        status = overall_status([str(c["status"]) for c in components.values()])
        body: dict[str, object] = {"status": status}
        if details:
            body.update(service=service, memory_rss_mb=process_rss_mb(), components=components)
        return JSONResponse(body, 503 if status == "error" else 200)

    if details:

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
