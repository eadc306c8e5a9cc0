"""Boot the real stack once per run (real processes, free ports, fresh test database).

Tests talk to it only through the gateway (`gateway` fixture / `base_url`).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import pytest
from helpers import TEST_DATABASE_URL, UserFactory
from segshared.testing import Account, recreate_database, redis_url_for_tests

from devstack import Stack, isolated_environment, running

TEST_REDIS_URL = os.environ.get("E2E_REDIS_URL", redis_url_for_tests(15))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fuzzing runs last: its throwaway accounts and random writes can't disturb other tests."""
    items.sort(key=lambda item: item.get_closest_marker("fuzz") is not None)


@pytest.fixture(scope="session")
def admin_credentials() -> dict[str, str]:
    return {"username": "e2e_admin", "password": "Adm1n-" + secrets.token_urlsafe(12)}


@contextmanager
def running_stack(
    database_url: str,
    redis_url: str,
    admin: dict[str, str],
    extra_env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """A fresh database and Redis db, migrated, with the first admin; the stack, healthy."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    recreate_database(database_url)
    workdir = Path(tempfile.mkdtemp(prefix="seg-e2e-"))
    env = isolated_environment(
        {
            "ENVIRONMENT": "test",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "MODEL_DIR": str(workdir / "models"),
            "AUTH_KEY_DIR": str(workdir / "keys"),
            "ADMIN_USERNAME": admin["username"],
            "ADMIN_PASSWORD": admin["password"],
            "ADMIN_EMAIL": admin["username"] + "@example.com",
            "DEFAULT_DATASET_ROWS": "2000",
            # The volume warning has its own tests; here the health must be green.
            "MODEL_DIR_MIN_FREE_MB": "1",
            "LOG_LEVEL": "INFO",
            # Every request comes from 127.0.0.1: the per-address login/registration
            # limits (their own tests are in auth-service) would cut the load tests short.
            "LOGIN_RATE_LIMIT": "100000",
            "REGISTER_RATE_LIMIT": "100000",
            "FAILED_LOGIN_RATE_LIMIT": "100000",
            # Webhook tests use loopback receivers and retry within seconds.
            "WEBHOOK_ALLOW_PRIVATE": "true",
            "WEBHOOK_POLL_SECONDS": "0.2",
            "WEBHOOK_BACKOFF_BASE_SECONDS": "0.5",
            "WEBHOOK_BACKOFF_CAP_SECONDS": "2",
            **(extra_env or {}),
        }
    )
    with running(env, workdir / "logs") as stack:
        yield stack


@pytest.fixture(scope="session")
def stack_runner() -> Callable[..., AbstractContextManager[Stack]]:
    """`running_stack`, for a test module that needs a stack of its own."""
    return running_stack


@pytest.fixture(scope="session")
def stack(admin_credentials: dict[str, str]) -> Iterator[Stack]:
    # Tracing has its own stack (test_tracing.py): this one exports nothing.
    quiet = {k: "" for k in os.environ if k.startswith("OTEL_EXPORTER_OTLP")}
    with running_stack(TEST_DATABASE_URL, TEST_REDIS_URL, admin_credentials, quiet) as started:
        yield started


@pytest.fixture(scope="session")
def base_url(stack: Stack) -> str:
    return stack.gateway_url


@pytest.fixture
def gateway(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def admin_headers(base_url: str, admin_credentials: dict[str, str]) -> dict[str, str]:
    """Bearer headers of the first admin (created by the stack from ADMIN_*)."""
    response = httpx.post(base_url + "/auth/login", json=admin_credentials, timeout=30)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="session")
def make_user(base_url: str, admin_headers: dict[str, str]) -> UserFactory:
    """Register a unique user (optionally promote it to `role`) and log in."""

    def factory(role: str = "user") -> Account:
        suffix = secrets.token_hex(4)
        password = f"Passw0rd-{suffix}"
        created = httpx.post(
            base_url + "/auth/register",
            json={
                "username": f"u_{suffix}",
                "email": f"u_{suffix}@example.com",
                "password": password,
                "full_name": f"User {suffix}",
            },
            timeout=30,
        )
        assert created.status_code == 201, created.text
        user = created.json()
        if role != "user":
            promoted = httpx.put(
                f"{base_url}/users/{user['id']}/role",
                json={"role": role},
                headers=admin_headers,
                timeout=30,
            )
            assert promoted.status_code == 200, promoted.text
            user = promoted.json()
        login = httpx.post(
            base_url + "/auth/login",
            json={"username": user["username"], "password": password},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        body = login.json()
        return Account.logged_in(user, body["access_token"], password, body["refresh_token"])

    return factory
