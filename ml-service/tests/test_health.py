"""Operator figures: process memory and the model volume's free space."""

from __future__ import annotations

import shutil

import httpx
from ml_service.settings import MlSettings


async def test_a_short_model_volume_warns_without_failing_readiness(
    client: httpx.AsyncClient, settings: MlSettings
) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "warning" and body["memory_rss_mb"] > 0
    volume = body["components"]["model_volume"]
    assert volume["status"] == "warning" and volume["min_free_mb"] == 10**12
    actual = shutil.disk_usage(settings.model_dir).free // 2**20
    assert abs(volume["free_mb"] - actual) <= 64  # the same disk, give or take other writers
    assert body["components"]["model"]["status"] == "ok"


async def test_liveness_reports_memory(client: httpx.AsyncClient) -> None:
    body = (await client.get("/health")).json()
    assert body["status"] == "ok" and body["memory_rss_mb"] > 0
