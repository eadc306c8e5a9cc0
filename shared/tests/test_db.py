"""The request transaction commits before the answer: a failed commit never answers 2xx,
dependency failures answer 503 naming the dependency, unique violations 409 (real PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from segshared.db import COMMIT_FAILED, make_engine, make_sessionmaker
from segshared.errors import DATABASE_UNAVAILABLE, Conflict, install_error_handlers
from segshared.params import SessionDep
from segshared.testing import database_url_for_tests, free_port, recreate_database
from sqlalchemy import text

DATABASE_URL = database_url_for_tests("shared")
SCHEMA = """
CREATE TABLE items (name text NOT NULL);
CREATE UNIQUE INDEX uq_items_name ON items (name);
-- Checked at COMMIT, after every statement of the request succeeded.
CREATE TABLE late (name text NOT NULL CONSTRAINT uq_late_name UNIQUE DEFERRABLE INITIALLY DEFERRED);
CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
CREATE TABLE doomed (name text);
CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON doomed
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit();
"""


@pytest.fixture(scope="module")
def database() -> str:
    recreate_database(DATABASE_URL)

    async def create() -> None:
        conn = await asyncpg.connect(DATABASE_URL.replace("postgresql+asyncpg", "postgresql"))
        try:
            await conn.execute(SCHEMA)
        finally:
            await conn.close()

    asyncio.run(create())
    return DATABASE_URL


def build(database_url: str, pool_size: int = 2, pool_timeout: float = 5.0) -> FastAPI:
    engine = make_engine(database_url, pool_size, pool_timeout)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.unique_conflicts = {"uq_items_name": "Name taken", "uq_late_name": "Late name taken"}
    install_error_handlers(app)

    @app.post("/{table}/{name}", status_code=201)
    async def insert(table: str, name: str, session: SessionDep) -> dict[str, str]:
        await session.execute(text(f"INSERT INTO {table} (name) VALUES (:n)"), {"n": name})  # noqa: S608
        return {"name": name}

    @app.post("/refused/{name}/{keep}")
    async def refused(name: str, keep: bool, session: SessionDep) -> None:
        await session.execute(text("INSERT INTO items (name) VALUES (:n)"), {"n": name})
        raise Conflict("refused", keep_changes=keep)

    return app


@asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield http


async def names(app: FastAPI, table: str) -> list[Any]:
    async with app.state.engine.connect() as conn:
        return list((await conn.execute(text(f"SELECT name FROM {table}"))).scalars())  # noqa: S608


class TestCommitBeforeAnswer:
    async def test_success_is_committed(self, database: str) -> None:
        app = build(database)
        async with client_of(app) as client:
            assert (await client.post("/items/ok")).status_code == 201
            assert "ok" in await names(app, "items")

    async def test_commit_refused_by_postgres_answers_503_and_stores_nothing(
        self, database: str
    ) -> None:
        app = build(database)
        async with client_of(app) as client:
            response = await client.post("/doomed/x")
            assert response.status_code == 503
            assert response.json() == {"detail": COMMIT_FAILED}
            assert await names(app, "doomed") == []

    async def test_unique_violation_at_commit_is_409_with_the_services_message(
        self, database: str
    ) -> None:
        app = build(database)
        async with client_of(app) as client:
            assert (await client.post("/late/a")).status_code == 201
            again = await client.post("/late/a")
            assert again.status_code == 409 and again.json() == {"detail": "Late name taken"}

    async def test_unique_violation_at_insert_is_409_with_the_services_message(
        self, database: str
    ) -> None:
        app = build(database)
        async with client_of(app) as client:
            assert (await client.post("/items/dup")).status_code == 201
            again = await client.post("/items/dup")
            assert again.status_code == 409 and again.json() == {"detail": "Name taken"}

    @pytest.mark.parametrize(("keep", "stored"), [(True, True), (False, False)])
    async def test_domain_error_commits_only_with_keep_changes(
        self, database: str, keep: bool, stored: bool
    ) -> None:
        app = build(database)
        name = f"refused-{keep}"
        async with client_of(app) as client:
            assert (await client.post(f"/refused/{name}/{keep}")).status_code == 409
            assert (name in await names(app, "items")) is stored


class TestDatabaseUnavailable:
    async def test_unreachable_postgres_answers_503_naming_it(self, database: str) -> None:
        dead = database.replace("127.0.0.1:5432", f"127.0.0.1:{free_port()}")
        async with client_of(build(dead)) as client:
            response = await client.post("/items/x")
        assert response.status_code == 503
        assert response.json() == {"detail": DATABASE_UNAVAILABLE}

    async def test_exhausted_pool_answers_503_with_retry_after(self, database: str) -> None:
        app = build(database, pool_size=1, pool_timeout=0.2)  # 1 + 1 overflow connection
        async with client_of(app) as client:
            async with app.state.engine.connect(), app.state.engine.connect():
                response = await client.post("/items/waiting")
            assert response.status_code == 503
            assert response.headers["retry-after"] == "1"
            assert "postgres" in response.json()["detail"]
            assert (await client.post("/items/after")).status_code == 201  # recovers
