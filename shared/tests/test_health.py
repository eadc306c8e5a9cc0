"""Health figures for operators: process memory, free disk with a warning threshold."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from segshared.health import disk_space_check, health_router, overall_status, process_rss_mb


async def _failing() -> None:
    raise ConnectionError("database is down")


def _app(**checks: object) -> FastAPI:
    app = FastAPI()
    app.include_router(health_router("demo", "1.0"))
    app.state.readiness_checks = checks
    return app


async def _get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
        return await http.get(path)


class TestFigures:
    def test_rss_follows_what_the_process_holds(self) -> None:
        before = process_rss_mb()
        held = b"x" * (64 * 2**20)  # written, so resident
        after = process_rss_mb()
        assert len(held) and 0 < before < after
        assert after - before >= 48

    async def test_disk_space_warns_below_the_threshold(self, tmp_path: Path) -> None:
        plenty = await disk_space_check(tmp_path, min_free_mb=0)()
        assert plenty["status"] == "ok" and isinstance(plenty["free_mb"], int)
        assert plenty["free_mb"] > 0 and plenty["min_free_mb"] == 0
        short = await disk_space_check(tmp_path, min_free_mb=10**12)()
        assert short["status"] == "warning" and short["min_free_mb"] == 10**12

    async def test_a_volume_not_created_yet_is_measured_at_its_parent(self, tmp_path: Path) -> None:
        result = await disk_space_check(tmp_path / "models" / "current", min_free_mb=0)()
        assert result["status"] == "ok" and result["free_mb"] > 0

    @pytest.mark.parametrize(
        ("statuses", "expected"),
        [
            (["ok", "ok"], "ok"),
            (["ok", "warning"], "warning"),
            (["warning", "error"], "error"),
            (["ok", "unknown"], "error"),
            ([], "ok"),
        ],
    )
    def test_overall_status(self, statuses: list[str], expected: str) -> None:
        assert overall_status(statuses) == expected


class TestEndpoints:
    async def test_liveness_reports_memory(self) -> None:
        body = (await _get(_app(), "/health")).json()
        assert body["status"] == "ok" and body["service"] == "demo"
        assert body["memory_rss_mb"] > 0

    async def test_a_warning_keeps_ready_200(self, tmp_path: Path) -> None:
        app = _app(volume=disk_space_check(tmp_path, min_free_mb=10**12))
        response = await _get(app, "/ready")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "warning" and body["memory_rss_mb"] > 0
        assert body["components"]["volume"]["status"] == "warning"
        assert isinstance(body["components"]["volume"]["latency_ms"], float)

    async def test_an_error_makes_ready_503(self, tmp_path: Path) -> None:
        app = _app(volume=disk_space_check(tmp_path, min_free_mb=10**12), postgres=_failing)
        response = await _get(app, "/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "error"
        assert body["components"]["postgres"] == {
            "status": "error",
            "latency_ms": body["components"]["postgres"]["latency_ms"],
            "detail": "database is down",
        }
