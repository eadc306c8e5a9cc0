"""`GET /health`: every service's readiness plus Postgres, Redis and the model."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from gateway.proxy import UpstreamPool

SERVICES = ("auth", "profile", "ml")


async def _probe(pool: UpstreamPool, service: str, timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        async with pool.session.get(
            pool.base_urls[service] + "/ready", timeout=pool.timeout(timeout)
        ) as response:
            body = await response.json(content_type=None)
            status = "ok" if response.status == 200 else "error"
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        body = {"detail": f"unreachable: {type(exc).__name__}"}
        status = "error"
    latency = round((time.perf_counter() - started) * 1000, 2)
    return {"status": status, "latency_ms": latency, **body}


def _component(results: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """A shared dependency's status as the services saw it (worst case, slowest latency)."""
    seen = [r["components"][name] for r in results if name in r.get("components", {})]
    if not seen:
        return {"status": "error", "latency_ms": None, "detail": "no service could report it"}
    worst = next((c for c in seen if c.get("status") != "ok"), None)
    latency = max((c.get("latency_ms") or 0) for c in seen)
    entry = {"status": "ok" if worst is None else "error", "latency_ms": latency}
    if worst is not None and "detail" in worst:
        entry["detail"] = worst["detail"]
    return entry


async def aggregate_health(pool: UpstreamPool, timeout: float) -> tuple[bool, dict[str, Any]]:
    """Probe every service concurrently; return (all healthy, body)."""
    started = time.perf_counter()
    results = await asyncio.gather(*(_probe(pool, s, timeout) for s in SERVICES))
    components: dict[str, Any] = {
        "gateway": {"status": "ok", "latency_ms": 0.0},
    }
    for service, result in zip(SERVICES, results, strict=True):
        entry = {"status": result["status"], "latency_ms": result["latency_ms"]}
        if result["status"] != "ok" and "detail" in result:
            entry["detail"] = result["detail"]
        components[service] = entry
    components["postgres"] = _component(results, "postgres")
    components["redis"] = _component(results, "redis")
    ml = results[SERVICES.index("ml")]
    components["model"] = ml.get("components", {}).get(
        "model", {"status": "error", "latency_ms": None, "detail": "not reported by ml service"}
    )
    components["gateway"]["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    healthy = all(c.get("status") == "ok" for c in components.values())
    return healthy, {"status": "ok" if healthy else "degraded", "components": components}
