"""Async engine, session factory and the one-transaction-per-request dependency."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import MetaData, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from starlette.requests import Request

from segshared.errors import DomainError, ServiceUnavailable, dependency_failure

logger = logging.getLogger("segshared.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
COMMIT_FAILED = "The change could not be saved: postgres refused the commit; nothing was stored"


def utcnow() -> datetime:
    """Timezone-aware now (UTC): every stored timestamp is UTC."""
    return datetime.now(UTC)


def schema_metadata(schema: str) -> MetaData:
    """Metadata for one service's schema, with stable constraint names for Alembic."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def make_engine(url: str, pool_size: int = 10, pool_timeout: float = 20.0) -> AsyncEngine:
    """An asyncpg engine: `pool_size` connections plus as many overflow ones; a request
    waits up to `pool_timeout` s for one (then 503), and pre-ping means a restarted
    PostgreSQL costs no failed request once it is back."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def _commit(session: AsyncSession, request: Request) -> None:
    try:
        await session.commit()
    except DBAPIError as exc:
        conflicts = getattr(request.app.state, "unique_conflicts", None)
        failure = dependency_failure(exc, conflicts)
        if failure is None:
            logger.warning("commit failed on %s: %s", request.url.path, exc.orig)
            failure = ServiceUnavailable(COMMIT_FAILED)
        raise failure from exc


async def _rollback(session: AsyncSession) -> None:
    # On a lost connection the rollback fails too; the original error is what matters.
    try:
        await session.rollback()
    except Exception:
        logger.warning("rollback failed", exc_info=True)


async def session_dependency(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: commit on success, roll back on any error.

    Declared with `scope="function"` (`SessionDep`), so the commit runs before the
    response is sent: a 2xx means committed, and a failed commit answers 409/503.
    A `DomainError(keep_changes=True)` still commits (security events must persist).
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except DomainError as exc:
            if exc.keep_changes:
                await _commit(session, request)
                await _run_after_commit(session)
            else:
                await _rollback(session)
            raise
        except BaseException:
            await _rollback(session)
            raise
        await _commit(session, request)
        await _run_after_commit(session)


async def read_connection_dependency(request: Request) -> AsyncIterator[AsyncConnection]:
    """A pooled connection in autocommit mode, for an endpoint that only reads, in one
    statement: that statement sees one snapshot on its own, and a transaction around it
    would cost two more round trips (BEGIN, COMMIT)."""
    engine: AsyncEngine = request.app.state.engine
    async with engine.connect() as connection:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")


def after_commit(session: AsyncSession, hook: Callable[[], Awaitable[None]]) -> None:
    """Run `hook` once this request's transaction has committed (before the answer is
    sent); e.g. revocation that must not precede the change it revokes for."""
    session.info.setdefault("after_commit", []).append(hook)


async def _run_after_commit(session: AsyncSession) -> None:
    for hook in session.info.pop("after_commit", []):
        await hook()


async def ping_database(engine: AsyncEngine) -> None:
    """Raise if PostgreSQL does not answer a trivial query."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
