"""ml-service tests: the real app on real PostgreSQL (seg_test_ml) and Redis (db 3).

Every test starts from the same state: the `ml` tables and the Redis database emptied
(`clean_state`), and, for tests using the app, the first-start model registered and
serving again (`app`). The first model is trained once per session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from ml_service import repository
from ml_service.main import create_app
from ml_service.serving import registry
from ml_service.settings import MlSettings
from ml_service.tables import ModelVersion
from redis.asyncio import Redis
from segshared.redis_client import make_redis
from segshared.testing import TokenSigner, eventually, migrated_test_database, truncate_schema

from .helpers import DATABASE_URL, REDIS_URL, SERVICE_TOKEN, StartedApp

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


@pytest.fixture(scope="session")
def database() -> str:
    return migrated_test_database(DATABASE_URL, ALEMBIC_INI)


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
async def started_app(settings: MlSettings, signer: TokenSigner) -> AsyncIterator[StartedApp]:
    redis = make_redis(REDIS_URL)
    await redis.flushdb()
    await redis.aclose()
    application = create_app(settings, token_verifier=signer.verifier())
    async with application.router.lifespan_context(application):

        async def trained() -> bool:
            return application.state.store.model is not None

        # First-start training on the generated dataset (the worker's imports are slow).
        await eventually(trained, "first-start training", timeout=300)
        async with application.state.sessionmaker() as session:
            first = await repository.model_by_version(
                session, application.state.store.model.version
            )
        assert first is not None
        yield StartedApp(application, first)


@pytest.fixture(autouse=True)
async def clean_state(database: str) -> AsyncIterator[None]:
    """Empty the `ml` tables (ids keep counting: they name artifacts on disk) and Redis.

    Streams are emptied rather than deleted: the app's consumer groups stay, so its
    `user.deleted` consumer reads on without recreating its group.
    """
    await truncate_schema(database, "ml", restart_identity=False)
    redis = make_redis(REDIS_URL)
    try:
        async for key in redis.scan_iter():
            if await redis.type(key) == "stream":
                await redis.xtrim(key, maxlen=0, approximate=False)
            else:
                await redis.delete(key)
    finally:
        await redis.aclose()
    yield


@pytest.fixture
async def app(started_app: StartedApp, clean_state: None, settings: MlSettings) -> FastAPI:
    """The app serving its first-start model again, the only one registered."""
    application, first = started_app.app, started_app.first_model
    async with application.state.sessionmaker() as session, session.begin():
        session.add(ModelVersion(**first.model_dump()))
    registry.write_pointer(settings.model_path, first.version)
    await application.state.store.sync()
    assert application.state.store.model.version == first.version
    return application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ml", timeout=120) as http:
        yield http


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = make_redis(REDIS_URL)
    yield client
    await client.aclose()
