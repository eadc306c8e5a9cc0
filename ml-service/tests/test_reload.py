"""Hot reload: a corrupt artifact is refused, a second replica follows within 2 s."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from ml_service.serving import registry
from ml_service.settings import MlSettings
from redis.asyncio import Redis
from segshared.contracts.events import USER_EVENTS_STREAM
from segshared.testing import TokenSigner, free_port

from .helpers import DATABASE_URL, REDIS_URL, SERVICE_TOKEN, auth


@pytest.fixture
def replica(settings: MlSettings) -> Iterator[str]:
    """A second ml-service process sharing MODEL_DIR and Redis."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "MODEL_DIR": settings.model_dir,
        "SERVICE_TOKEN": SERVICE_TOKEN,
        "RELOAD_POLL_SECONDS": "5",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "ml_service.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, f"the replica exited with {process.returncode}"
            time.sleep(0.1)
        else:
            pytest.fail("the replica never became ready")
        yield url
    finally:
        process.terminate()
        process.wait(10)


def served_version(url: str) -> str | None:
    components = httpx.get(url + "/ready", timeout=2).json()["components"]
    return components["model"].get("version")


class TestHotReload:
    async def test_corrupt_artifact_is_refused_and_the_old_model_keeps_serving(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI, settings: MlSettings
    ) -> None:
        store = app.state.store
        serving = store.model.version
        root = Path(settings.model_dir)
        bad = f"v9999-{uuid.uuid4().hex[:8]}"
        shutil.copytree(registry.versions_dir(root) / serving, registry.versions_dir(root) / bad)
        artifact = registry.versions_dir(root) / bad / registry.ARRAYS
        artifact.write_bytes(artifact.read_bytes()[:-40])  # truncated
        registry.write_pointer(root, bad)
        try:
            assert await store.sync() is False
            assert store.model.version == serving
            response = await client.post(
                "/predict",
                json={
                    "sex": "Male",
                    "age": 30,
                    "annual_income": 40,
                    "spending_score": 50,
                    "purchase_frequency": 5,
                },
                headers=auth(signer),
            )
            assert response.status_code == 200 and response.json()["model_version"] == serving
        finally:
            registry.write_pointer(root, serving)

    async def test_a_second_replica_follows_a_new_model_within_two_seconds(
        self, client: httpx.AsyncClient, signer: TokenSigner, replica: str
    ) -> None:
        before = served_version(replica)
        assert before is not None
        trained = await client.post(
            "/train", json={"n_clusters": 3, "k_max": 4}, headers=auth(signer, 2, "analyst")
        )
        published_at = time.monotonic()
        version = trained.json()["model_version"]
        assert version != before
        while served_version(replica) != version:
            assert time.monotonic() - published_at < 2.0, "replica did not reload within 2 s"
            await asyncio.sleep(0.05)


class TestUserDeleted:
    async def test_deleted_user_is_anonymised(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis
    ) -> None:
        analyst = auth(signer, 77, "analyst")
        trained = await client.post("/train", json={"n_clusters": 2, "k_max": 3}, headers=analyst)
        assert trained.status_code == 200, trained.text
        await redis.xadd(
            USER_EVENTS_STREAM,
            {
                "event_id": uuid.uuid4().hex,
                "type": "user.deleted",
                "user_id": "77",
                "occurred_at": "2026-01-01T00:00:00Z",
            },
        )
        for _ in range(100):
            models = (await client.get("/models", headers=analyst)).json()["models"]
            if all(m["trained_by"] != 77 for m in models):
                break
            await asyncio.sleep(0.05)
        assert all(m["trained_by"] != 77 for m in models)
