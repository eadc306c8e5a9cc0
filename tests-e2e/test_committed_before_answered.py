"""A 2xx means committed: a client may act on an answer at once, and a write whose commit
fails never answers 2xx (through the gateway, against the real stack)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import asyncpg
import httpx
from helpers import TEST_DATABASE_URL, UserFactory
from sqlalchemy.engine import make_url

REGISTRATIONS = 500
WORKERS = 8


def _sql(statement: str) -> None:
    """Run DDL on the stack's database (the test owns it; the services never see this)."""
    dsn = make_url(TEST_DATABASE_URL).set(drivername="postgresql").render_as_string(False)

    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@contextmanager
def failing_commit(table: str, column: str, prefix: str) -> Iterator[None]:
    """Make PostgreSQL refuse, at COMMIT time, any transaction that wrote a row of `table`
    whose `column` starts with `prefix` (a deferred constraint trigger: statements and
    flushes succeed, only the commit fails, the way a lost connection or a failover would)."""
    name = f"e2e_fail_commit_{secrets.token_hex(4)}"
    _sql(f"""
        CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.{column} LIKE '{prefix}%' THEN
                RAISE EXCEPTION 'commit refused by test trigger';
            END IF;
            RETURN NULL;
        END $$;
        CREATE CONSTRAINT TRIGGER {name} AFTER INSERT OR UPDATE ON {table}
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {name}();
    """)
    try:
        yield
    finally:
        _sql(f"DROP TRIGGER IF EXISTS {name} ON {table}; DROP FUNCTION IF EXISTS {name}();")


def _register_then_login(client: httpx.Client, index: int) -> tuple[int, int]:
    name = f"rl_{index}_{secrets.token_hex(3)}"
    password = f"Passw0rd-{index}"
    created = client.post(
        "/auth/register",
        json={"email": f"{name}@example.com", "username": name, "password": password},
    )
    if created.status_code != 201:
        return created.status_code, 0
    login = client.post("/auth/login", json={"username": name, "password": password})
    return created.status_code, login.status_code


class TestReadYourWrites:
    def test_every_registered_user_can_log_in_at_once(self, base_url: str) -> None:
        limits = httpx.Limits(max_connections=WORKERS, max_keepalive_connections=WORKERS)
        with (
            httpx.Client(base_url=base_url, timeout=60, limits=limits) as client,
            ThreadPoolExecutor(WORKERS) as pool,
        ):
            results = list(
                pool.map(lambda i: _register_then_login(client, i), range(REGISTRATIONS))
            )
        failed = [result for result in results if result != (201, 200)]
        assert failed == [], (
            f"{len(failed)} of {REGISTRATIONS} register→login failed: {failed[:10]}"
        )

    def test_created_profile_is_readable_at_once(
        self, base_url: str, make_user: UserFactory
    ) -> None:
        user = make_user()
        body = {
            "name": "Jane",
            "sex": "Female",
            "age": 30,
            "annual_income": 50,
            "spending_score": 60,
            "purchase_frequency": 12,
        }

        def create_then_read(client: httpx.Client) -> tuple[int, int]:
            created = client.post("/profiles/", json=body, headers=user.headers)
            if created.status_code != 201:
                return created.status_code, 0
            read = client.get(f"/profiles/{created.json()['id']}", headers=user.headers)
            return created.status_code, read.status_code

        with (
            httpx.Client(base_url=base_url, timeout=60) as client,
            ThreadPoolExecutor(WORKERS) as pool,
        ):
            results = list(pool.map(lambda _: create_then_read(client), range(100)))
        assert [r for r in results if r != (201, 200)] == []

    def test_role_change_applies_to_the_very_next_login(
        self, gateway: httpx.Client, make_user: UserFactory, admin_headers: dict[str, str]
    ) -> None:
        for _ in range(20):
            user = make_user()
            changed = gateway.put(
                f"/admin/users/{user.id}/role", json={"role": "analyst"}, headers=admin_headers
            )
            assert changed.status_code == 200
            login = gateway.post(
                "/auth/login", json={"username": user.username, "password": user.password}
            )
            assert login.status_code == 200 and login.json()["user"]["role"] == "analyst"
            token = {"Authorization": f"Bearer {login.json()['access_token']}"}
            assert gateway.get("/models", headers=token).status_code == 200  # analyst route


class TestFailedCommit:
    def test_registration_whose_commit_fails_is_never_201(self, gateway: httpx.Client) -> None:
        name = f"nocommit_{secrets.token_hex(4)}"
        password = "Passw0rd-1"
        with failing_commit("auth.users", "username", "nocommit_"):
            response = gateway.post(
                "/auth/register",
                json={"email": f"{name}@example.com", "username": name, "password": password},
            )
        assert response.status_code == 503, response.text
        assert "postgres" in response.json()["detail"].lower()
        login = gateway.post("/auth/login", json={"username": name, "password": password})
        assert login.status_code == 401  # nothing was stored
        again = gateway.post(
            "/auth/register",
            json={"email": f"{name}@example.com", "username": name, "password": password},
        )
        assert again.status_code == 201

    def test_profile_write_whose_commit_fails_is_never_2xx(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        body = {
            "name": "kept",
            "sex": "Male",
            "age": 40,
            "annual_income": 20,
            "spending_score": 30,
            "purchase_frequency": 2,
        }
        kept = gateway.post("/profiles/", json=body, headers=user.headers).json()
        with failing_commit("profiles.customer_profiles", "name", "nocommit"):
            created = gateway.post(
                "/profiles/", json={**body, "name": "nocommit new"}, headers=user.headers
            )
            renamed = gateway.put(
                f"/profiles/{kept['id']}", json={"name": "nocommit rename"}, headers=user.headers
            )
        assert created.status_code == 503 and renamed.status_code == 503
        listed = gateway.get("/profiles/", headers=user.headers).json()
        assert [p["name"] for p in listed] == ["kept"]
