"""`GET /health`: every service's readiness plus Postgres, Redis and the model.

Each service's entry also carries its process memory (`memory_rss_mb`) and ml-service's
the free space of the model volume (`model_volume`). A `warning` (e.g. that volume below
`MODEL_DIR_MIN_FREE_MB`) shows in the entry and the top-level status but keeps the answer
200: everything still works, and a 503 would take the gateway out of load balancers.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from segshared.health import overall_status, process_rss_mb

from gateway.upstream import UpstreamError, UpstreamPool

SERVICES = ("auth", "profile", "ml")
# What a service's /ready reports beyond its status, copied into its entry.
_FIGURES = ("memory_rss_mb",)
_VOLUMES = ("model_volume",)


async def _probe(pool: UpstreamPool, service: str, timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        code, body = await pool.get_json(service, "/ready", timeout)
        status = body.get("status") if code == 200 else "error"
    except (UpstreamError, ValueError, AttributeError) as exc:
        body = {"detail": f"unreachable: {type(exc).__name__}"}
        status = "error"
    latency = round((time.perf_counter() - started) * 1000, 2)
    status = status if status in ("ok", "warning") else "error"
    return {**body, "status": status, "latency_ms": latency}


def _service_entry(result: dict[str, Any]) -> dict[str, Any]:
    entry = {"status": result["status"], "latency_ms": result["latency_ms"]}
    entry.update({name: result[name] for name in _FIGURES if name in result})
    components = result.get("components", {})
    entry.update({name: components[name] for name in _VOLUMES if name in components})
    if result["status"] == "error" and "detail" in result:
        entry["detail"] = result["detail"]
    return entry


def _component(results: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """A shared dependency's status as the services saw it (worst case, slowest latency)."""
    seen = [r["components"][name] for r in results if name in r.get("components", {})]
    if not seen:
        return {"status": "error", "latency_ms": None, "detail": "no service could report it"}
    status = overall_status([str(c.get("status")) for c in seen])
    latency = max((c.get("latency_ms") or 0) for c in seen)
    entry = {"status": status, "latency_ms": latency}
    worst = next((c for c in seen if c.get("status") == status and "detail" in c), None)
    if status != "ok" and worst is not None:
        entry["detail"] = worst["detail"]
    return entry


async def aggregate_health(pool: UpstreamPool, timeout: float) -> tuple[bool, dict[str, Any]]:
    """Probe every service concurrently; return (no component in error, body)."""
    started = time.perf_counter()
    results = await asyncio.gather(*(_probe(pool, s, timeout) for s in SERVICES))
    components: dict[str, Any] = {
        "gateway": {"status": "ok", "latency_ms": 0.0, "memory_rss_mb": process_rss_mb()},
    }
    for service, result in zip(SERVICES, results, strict=True):
        components[service] = _service_entry(result)
    components["postgres"] = _component(results, "postgres")
    components["redis"] = _component(results, "redis")
    ml = results[SERVICES.index("ml")]
    components["model"] = ml.get("components", {}).get(
        "model", {"status": "error", "latency_ms": None, "detail": "not reported by ml service"}
    )
    components["gateway"]["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    status = overall_status([str(c.get("status")) for c in components.values()])
    summary = {"ok": "ok", "warning": "warning", "error": "degraded"}[status]
    return status != "error", {"status": summary, "components": components}
