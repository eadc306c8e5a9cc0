"""The stack boots behind the gateway, reports its health, and fails fast and closed."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx
from helpers import TEST_DATABASE_URL
from sqlalchemy.engine import make_url

from devstack import Stack

COMPONENTS = {"gateway", "auth", "profile", "ml", "postgres", "redis", "model"}


class TestHealth:
    def test_health_is_green_and_names_every_component(self, gateway: httpx.Client) -> None:
        response = gateway.get("/health")
        assert response.status_code == 200, response.text
        components = response.json()["components"]
        assert set(components) >= COMPONENTS
        for name in COMPONENTS:
            assert components[name]["status"] == "ok", (name, components[name])
            assert isinstance(components[name]["latency_ms"], int | float)

    def test_health_shows_memory_and_the_model_volume(self, gateway: httpx.Client) -> None:
        components = gateway.get("/health").json()["components"]
        for name in ("gateway", "auth", "profile", "ml"):
            assert 10 < components[name]["memory_rss_mb"] < 4096, (name, components[name])
        volume = components["ml"]["model_volume"]
        assert volume["status"] == "ok" and volume["free_mb"] >= volume["min_free_mb"] == 1

    def test_root_answers_json_for_clients(self, gateway: httpx.Client) -> None:
        body = gateway.get("/").json()
        assert body["status"] == "ok" and body["service"] == "gateway" and body["version"]

    def test_root_redirects_browsers_to_the_ui(self, gateway: httpx.Client) -> None:
        response = gateway.get("/", headers={"Accept": "text/html"})
        assert 300 <= response.status_code < 400
        assert response.headers["location"].startswith("/ui")

    def test_request_id_is_assigned_and_echoed(self, gateway: httpx.Client) -> None:
        assert gateway.get("/health").headers.get("x-request-id")
        echoed = gateway.get("/health", headers={"X-Request-ID": "trace-me-123"})
        assert echoed.headers["x-request-id"] == "trace-me-123"


class TestDatabaseRoles:
    def test_each_service_connects_as_its_own_role(self, gateway: httpx.Client) -> None:
        assert gateway.get("/health").status_code == 200  # every service uses its pool

        async def users() -> set[str]:
            url = make_url(TEST_DATABASE_URL).set(drivername="postgresql")
            conn = await asyncpg.connect(url.render_as_string(hide_password=False))
            try:
                rows = await conn.fetch(
                    "SELECT DISTINCT usename FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            finally:
                await conn.close()
            return {row["usename"] for row in rows}

        assert asyncio.run(users()) == {"auth_service", "profile_service", "ml_service"}


class TestRouting:
    def test_internal_paths_are_never_forwarded(self, gateway: httpx.Client) -> None:
        for path in ("/internal/x", "/internal/users/1/stats", "/internal"):
            response = gateway.get(path)
            assert response.status_code == 404
            assert "detail" in response.json()

    def test_unknown_paths_are_404_json(self, gateway: httpx.Client) -> None:
        response = gateway.get("/no-such-thing")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}

    def test_protected_routes_need_a_token(self, gateway: httpx.Client) -> None:
        response = gateway.get("/profiles/")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    def test_openapi_is_merged_from_the_services(self, gateway: httpx.Client) -> None:
        paths = gateway.get("/openapi.json").json()["paths"]
        assert not any(p.startswith("/internal") for p in paths)
        for path in (
            "/",
            "/health",
            "/metrics",
            "/auth/login",
            "/users/",
            "/admin/stats",
            "/profiles/",
            "/history/export",
            "/predict/batch",
            "/train/jobs/{job_id}",
            "/models/{version}/activate",
            "/datasets",
        ):
            assert path in paths, path


class TestDeadService:
    def test_stopped_service_gives_fast_503(self, stack: Stack, gateway: httpx.Client) -> None:
        stack.stop("auth")
        try:
            started = time.monotonic()
            response = gateway.post("/auth/login", json={"username": "a", "password": "b"})
            assert response.status_code == 503
            assert "auth" in response.json()["detail"]
            health = gateway.get("/health")
            assert health.status_code == 503
            assert health.json()["components"]["auth"]["status"] == "error"
            assert time.monotonic() - started < 10
        finally:
            stack.start("auth")
            stack.wait_healthy(timeout=120)


class TestSlashes:
    def test_collections_answer_with_or_without_a_trailing_slash(
        self, gateway: httpx.Client, admin_headers: dict[str, str]
    ) -> None:
        for path in (
            "/users",
            "/users/",
            "/profiles",
            "/profiles/",
            "/history",
            "/history/",
            "/admin/users",
            "/admin/users/",
            "/datasets",
            "/datasets/",
        ):
            response = gateway.get(path, headers=admin_headers)
            assert response.status_code == 200, (path, response.status_code)
