"""Test helpers: a fresh database per run built by the real migrations, clean state per test."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from segshared.contracts.quota import seconds_until_utc_midnight, usage_key
from segshared.migrations import apply_migrations
from segshared.retry import Backoff
from segshared.settings import ServiceSettings
from segshared.tokens import TokenVerifier

T = TypeVar("T")


@dataclass(frozen=True)
class Account:
    """A registered, logged-in user as tests use it."""

    user: dict[str, Any]  # the API's user body
    token: str
    refresh: str | None
    headers: dict[str, str]  # Bearer `token`
    password: str

    @classmethod
    def logged_in(
        cls, user: dict[str, Any], token: str, password: str, refresh: str | None = None
    ) -> Account:
        return cls(user, token, refresh, {"Authorization": f"Bearer {token}"}, password)

    def with_token(self, token: str) -> Account:
        """The same account after logging in again."""
        return replace(self, token=token, headers={"Authorization": f"Bearer {token}"})

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def username(self) -> str:
        return str(self.user["username"])


async def eventually(
    check: Callable[[], Awaitable[T]], what: str, timeout: float = 120.0, every: float = 0.05
) -> T:
    """Poll `check` until it returns a truthy value, and return it; fail after `timeout` s.

    The timeout is generous on purpose: it bounds a hang on a loaded machine, it does not
    measure speed.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if loop.time() >= deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        await asyncio.sleep(every)


def database_url_for_tests(name: str) -> str:
    """The URL of test database `seg_test_<name>`.

    `SEG_TEST_SUFFIX` is appended to the name and `SEG_TEST_PG` replaces the server part,
    so several checkouts can run their suites at once without sharing databases.
    """
    server = os.environ.get("SEG_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    return f"{server}/seg_test_{name}{os.environ.get('SEG_TEST_SUFFIX', '')}"


def redis_url_for_tests(db: int) -> str:
    """The URL of Redis database `db` for tests; `SEG_TEST_REDIS_PORT` picks the server."""
    return f"redis://127.0.0.1:{os.environ.get('SEG_TEST_REDIS_PORT', '6379')}/{db}"


def _admin_dsn(url: str) -> tuple[str, str]:
    parsed = make_url(url)
    database = parsed.database or ""
    admin = parsed.set(drivername="postgresql", database="postgres")
    return admin.render_as_string(hide_password=False), database


async def _recreate_database(url: str) -> None:
    dsn, database = _admin_dsn(url)
    if not database.startswith(("seg_test", "segmentation_test")):
        raise RuntimeError(f"refusing to recreate non-test database {database!r}")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


def recreate_database(url: str) -> None:
    """Drop and create a test database (names must start with `seg_test`)."""
    asyncio.run(_recreate_database(ServiceSettings(database_url=url).database_url))


def migrated_test_database(url: str, alembic_ini: Path) -> str:
    """A fresh test database at `url` built by the service's real migrations; its URL."""
    recreate_database(url)
    apply_migrations(alembic_ini, url)
    return url


async def truncate_schema(url: str, schema: str, *, restart_identity: bool = True) -> None:
    """Empty every table of one schema (except Alembic's) and, unless told not to, reset
    identities (ml keeps counting: its model ids name artifacts that outlive the rows).

    A running app's background work (job heartbeats, consumers) may hold a lock on one
    table while it waits for another; the TRUNCATE, taking them one by one, can then be
    the side PostgreSQL cancels as a deadlock. It is simply run again.
    """
    target = make_url(ServiceSettings(database_url=url).database_url).set(drivername="postgresql")
    conn = await asyncpg.connect(target.render_as_string(hide_password=False))
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1"
            " AND tablename != 'alembic_version' ORDER BY tablename",
            schema,
        )
        if tables:
            names = ", ".join(f'"{schema}"."{t["tablename"]}"' for t in tables)
            identities = "RESTART IDENTITY" if restart_identity else "CONTINUE IDENTITY"
            backoff = Backoff(base=0.05, cap=1.0)
            for attempt in range(5):
                try:
                    await conn.execute(f"TRUNCATE {names} {identities} CASCADE")
                    break
                except asyncpg.DeadlockDetectedError:
                    if attempt == 4:
                        raise
                    await asyncio.sleep(backoff.next())
    finally:
        await conn.close()


class TokenSigner:
    """Mints access tokens the way auth-service does, for other services' tests."""

    def __init__(
        self, issuer: str = "segmentation-auth", audience: str = "segmentation-api"
    ) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.kid = "test-key"
        self.issuer = issuer
        self.audience = audience

    def jwks(self) -> dict[str, Any]:
        """The public key as a JWKS document."""
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "EdDSA"}]}

    def verifier(self) -> TokenVerifier:
        """A verifier that trusts this signer's key."""

        async def load() -> dict[str, Any]:
            return self.jwks()

        return TokenVerifier(load, self.issuer, self.audience)

    def token(
        self,
        user_id: int,
        role: str = "user",
        username: str | None = None,
        expires_in: int = 1800,
        **extra: Any,
    ) -> str:
        """A signed access token for `user_id` with `role`."""
        now = time.time()
        payload = {
            "sub": str(user_id),
            "username": username or f"user{user_id}",
            "role": role,
            "jti": uuid.uuid4().hex,
            "iat": int(now),
            "iat_ms": int(now * 1000),
            "exp": int(now) + expires_in,
            "iss": self.issuer,
            "aud": self.audience,
            **extra,
        }
        return jwt.encode(payload, self.key, algorithm="EdDSA", headers={"kid": self.kid})


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free port in a thread; yields its base URL.

    For stand-ins of services a test can't have running (an upstream, a peer service).
    """
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


class WebhookReceiver:
    """A loopback HTTP receiver for webhook tests, in a thread.

    It answers the statuses in `statuses` in turn (then 200), after `delay` seconds each,
    and keeps every request it got (`received`: headers and body). `start(port)` binds
    a given port, so a test can let deliveries fail first and open the receiver later.
    """

    def __init__(self, statuses: tuple[int, ...] = (), delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        self._server: Any = None
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> WebhookReceiver:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                time.sleep(receiver.delay)
                with receiver._lock:
                    receiver.received.append((dict(self.headers.items()), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies received so far."""
        with self._lock:
            return [json.loads(body) for _, body in self.received]


async def record_usage(redis: Redis, api_key_id: int, rows: int) -> int:
    """Add `rows` to an API key's counter for today, as if calls had used them (production
    meters through the gateway's `QuotaMeter`); return the new total."""
    key = usage_key(api_key_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incrby(key, rows)
        pipe.expire(key, seconds_until_utc_midnight() + 3600)
        total, _ = await pipe.execute()
    return int(total)
