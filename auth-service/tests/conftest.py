"""auth-service tests: the real app in-process on real PostgreSQL (seg_test_auth) and Redis (db 1)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from auth_service.main import create_app
from auth_service.settings import AuthSettings
from auth_service.tables import User
from fastapi import FastAPI
from redis.asyncio import Redis
from segshared.redis_client import make_redis
from segshared.testing import (
    Account,
    database_url_for_tests,
    migrated_test_database,
    redis_url_for_tests,
    truncate_schema,
)

from .helpers import PASSWORD, Register

DATABASE_URL = database_url_for_tests("auth")
REDIS_URL = redis_url_for_tests(1)
ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


@pytest.fixture(scope="session")
def database() -> str:
    return migrated_test_database(DATABASE_URL, ALEMBIC_INI)


@pytest.fixture(scope="session")
def settings(database: str, tmp_path_factory: pytest.TempPathFactory) -> AuthSettings:
    return AuthSettings(
        environment="test",
        database_url=database,
        redis_url=REDIS_URL,
        auth_key_dir=str(tmp_path_factory.mktemp("auth-keys")),
        service_token="test-service-token",
        # Nothing listens here: totals degrade to null, as when profile-service is down.
        profile_service_url="http://127.0.0.1:9",
        internal_timeout_seconds=0.5,
    )


@pytest.fixture(scope="session")
async def app(settings: AuthSettings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(autouse=True)
async def clean_state(database: str) -> AsyncIterator[None]:
    await truncate_schema(database, "auth")
    redis = make_redis(REDIS_URL)
    await redis.flushdb()
    await redis.aclose()
    yield


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.1", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://auth") as http:
        yield http


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = make_redis(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture
def register(client: httpx.AsyncClient) -> Register:
    """Register a user and log in."""

    async def make(username: str | None = None, password: str = PASSWORD) -> Account:
        username = username or f"user_{secrets.token_hex(3)}"
        created = await client.post(
            "/auth/register",
            json={
                "email": f"{username}@example.com",
                "username": username,
                "full_name": "Test User",
                "password": password,
            },
        )
        assert created.status_code == 201, created.text
        login = await client.post("/auth/login", json={"username": username, "password": password})
        assert login.status_code == 200, login.text
        body = login.json()
        return Account.logged_in(
            created.json(), body["access_token"], password, body["refresh_token"]
        )

    return make


@pytest.fixture
def make_admin(app: FastAPI, register: Register) -> Register:
    """A registered user promoted to admin directly in the database, logged in again."""

    async def make() -> Account:
        account = await register()
        async with app.state.sessionmaker() as session, session.begin():
            user = await session.get(User, account.id)
            assert user is not None
            user.role = "admin"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://auth") as http:
            login = await http.post(
                "/auth/login",
                json={"username": account.username, "password": PASSWORD},
            )
        return account.with_token(login.json()["access_token"])

    return make
