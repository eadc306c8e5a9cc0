"""ml-service tests: the real app on real PostgreSQL (seg_test_ml) and Redis (db 3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from ml_service.main import create_app
from ml_service.settings import MlSettings
from segshared.migrations import apply_migrations
from segshared.redis_client import make_redis
from segshared.testing import (
    TokenSigner,
    database_url_for_tests,
    eventually,
    recreate_database,
    redis_url_for_tests,
)

DATABASE_URL = database_url_for_tests("ml")
REDIS_URL = redis_url_for_tests(3)
ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
SERVICE_TOKEN = "ml-test-token"
CUSTOMER = {
    "sex": "female",
    "age": 31,
    "annual_income": 72.5,
    "spending_score": 81,
    "purchase_frequency": 24,
}


@pytest.fixture(scope="session")
def database() -> str:
    recreate_database(DATABASE_URL)
    apply_migrations(ALEMBIC_INI, DATABASE_URL)
    return DATABASE_URL


@pytest.fixture(scope="session")
def signer() -> TokenSigner:
    return TokenSigner()


@pytest.fixture(scope="session")
def settings(database: str, tmp_path_factory: pytest.TempPathFactory) -> MlSettings:
    return MlSettings(
        environment="test",
        database_url=database,
        redis_url=REDIS_URL,
        service_token=SERVICE_TOKEN,
        model_dir=str(tmp_path_factory.mktemp("models")),
        default_dataset_rows=800,
        reload_poll_seconds=0.2,
        stream_trim_seconds=0.2,
        # More than any disk has: /ready must report the warning and still answer 200.
        model_dir_min_free_mb=10**12,
        # Webhooks retry within a test's time: 5 attempts, 0.2 s base, capped at 0.5 s.
        webhook_poll_seconds=0.1,
        webhook_backoff_base_seconds=0.2,
        webhook_backoff_cap_seconds=0.5,
        webhook_max_attempts=5,
        webhook_timeout_seconds=2.0,
    )


@pytest.fixture(scope="session")
async def app(settings: MlSettings, signer: TokenSigner) -> AsyncIterator[FastAPI]:
    redis = make_redis(REDIS_URL)
    await redis.flushdb()
    await redis.aclose()
    application = create_app(settings, token_verifier=signer.verifier())
    async with application.router.lifespan_context(application):

        async def trained() -> bool:
            return application.state.store.model is not None

        # First-start training on the generated dataset (the worker's imports are slow).
        await eventually(trained, "first-start training", timeout=300)
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ml", timeout=120) as http:
        yield http


@pytest.fixture
async def redis() -> AsyncIterator[Any]:
    client = make_redis(REDIS_URL)
    yield client
    await client.aclose()


def auth(signer: TokenSigner, user_id: int = 1, role: str = "user", **extra: Any) -> dict[str, str]:
    """Bearer headers for `user_id` with `role`."""
    return {"Authorization": f"Bearer {signer.token(user_id, role, **extra)}"}
