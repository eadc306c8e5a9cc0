"""profile-service tests: the real app on real PostgreSQL (seg_test_profile) and Redis (db 2).

ml-service is replaced by a tiny HTTP stub only for quick predict.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from profile_service.main import create_app
from profile_service.settings import ProfileSettings
from redis.asyncio import Redis
from segshared.redis_client import make_redis
from segshared.testing import (
    TokenSigner,
    database_url_for_tests,
    migrated_test_database,
    redis_url_for_tests,
    serve_in_thread,
    truncate_schema,
)

from .helpers import SERVICE_TOKEN

DATABASE_URL = database_url_for_tests("profile")
REDIS_URL = redis_url_for_tests(2)
ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


def ml_stub() -> FastAPI:
    """Answers /internal/predict like ml-service and records what it was asked."""
    app = FastAPI()
    app.state.calls = []

    @app.post("/internal/predict")
    async def predict(request: Request) -> dict[str, Any]:
        body = await request.json()
        app.state.calls.append({"body": body, "token": request.headers.get("x-service-token")})
        return {
            "cluster": 1,
            "cluster_name": "High Value Customers",
            "confidence": 88.5,
            "model_version": "v1-test",
            "customer_data": body["customer"],
        }

    return app


@pytest.fixture(scope="session")
def ml() -> Iterator[tuple[FastAPI, str]]:
    app = ml_stub()
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture(scope="session")
def database() -> str:
    return migrated_test_database(DATABASE_URL, ALEMBIC_INI)


@pytest.fixture(scope="session")
def signer() -> TokenSigner:
    return TokenSigner()


@pytest.fixture(scope="session")
def settings(database: str, ml: tuple[FastAPI, str]) -> ProfileSettings:
    return ProfileSettings(
        environment="test",
        database_url=database,
        redis_url=REDIS_URL,
        service_token=SERVICE_TOKEN,
        ml_service_url=ml[1],
        history_block_ms=20,
    )


@pytest.fixture(scope="session")
async def app(settings: ProfileSettings, signer: TokenSigner) -> AsyncIterator[FastAPI]:
    redis = make_redis(REDIS_URL)
    await redis.flushdb()
    await redis.aclose()
    application = create_app(settings, token_verifier=signer.verifier())
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(autouse=True)
async def clean_state(database: str) -> AsyncIterator[None]:
    await truncate_schema(database, "profiles")
    yield


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://profiles") as http:
        yield http


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = make_redis(REDIS_URL)
    yield client
    await client.aclose()
