"""The aggregate /health: operator figures from each service, and warnings that keep 200."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from gateway.main import create_app
from gateway.settings import GatewaySettings
from segshared.testing import serve_in_thread

from .helpers import REDIS_URL

OK = {"status": "ok", "latency_ms": 1.0}


def ready_body(**extra_components: Any) -> dict[str, Any]:
    components = {"postgres": OK, "redis": OK, "model": {**OK, "version": "v1"}}
    components.update(extra_components)
    worst = "warning" if any(c["status"] == "warning" for c in components.values()) else "ok"
    return {"status": worst, "memory_rss_mb": 123.4, "components": components}


def service(body: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/ready")
    async def ready() -> dict[str, Any]:
        return body

    return app


@pytest.fixture(scope="module")
def upstreams() -> Iterator[dict[str, str]]:
    """auth and profile healthy; ml healthy but its model volume below the threshold."""
    low = {"status": "warning", "latency_ms": 0.2, "free_mb": 512, "min_free_mb": 1024}
    with ExitStack() as stack:
        yield {
            "auth": stack.enter_context(serve_in_thread(service(ready_body()))),
            "profile": stack.enter_context(serve_in_thread(service(ready_body()))),
            "ml": stack.enter_context(serve_in_thread(service(ready_body(model_volume=low)))),
        }


@pytest.fixture
async def client(upstreams: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    settings = GatewaySettings(
        redis_url=REDIS_URL,
        auth_service_url=upstreams["auth"],
        profile_service_url=upstreams["profile"],
        ml_service_url=upstreams["ml"],
        service_token="gw-test-token",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            yield http


async def test_a_warning_is_shown_but_keeps_200(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "warning"
    ml = body["components"]["ml"]
    assert ml["status"] == "warning"
    assert ml["model_volume"] == {
        "status": "warning",
        "latency_ms": 0.2,
        "free_mb": 512,
        "min_free_mb": 1024,
    }
    for name in ("auth", "profile"):
        assert body["components"][name]["status"] == "ok"


async def test_every_process_reports_its_memory(client: httpx.AsyncClient) -> None:
    components = (await client.get("/health")).json()["components"]
    for name in ("auth", "profile", "ml"):
        assert components[name]["memory_rss_mb"] == 123.4
    assert components["gateway"]["memory_rss_mb"] > 0
    for name in ("gateway", "auth", "profile", "ml", "postgres", "redis", "model"):
        assert isinstance(components[name]["latency_ms"], int | float)


async def test_production_edge_hides_details_and_metrics(upstream_url: str, dead_url: str) -> None:
    production = GatewaySettings(
        environment="production",
        service_token="s" * 40,
        redis_url="redis://:Yq7-long-random@127.0.0.1:6379/0",
    )
    assert production.operational_details_public is False
    settings = GatewaySettings(
        redis_url=REDIS_URL,
        auth_service_url=upstream_url,
        profile_service_url=upstream_url,
        ml_service_url=dead_url,
        public_operational_details=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            health = await http.get("/health")
            assert health.status_code == 503 and health.json() == {"status": "degraded"}
            ready = await http.get("/ready")
            assert set(ready.json()) == {"status"}
            assert (await http.get("/metrics")).status_code == 404
