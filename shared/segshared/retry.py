"""Retrying background work: capped, jittered backoff and telling outages from bad input."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from dataclasses import dataclass, field

import redis.exceptions
import sqlalchemy.exc

# SQLSTATE classes that describe the server or the connection, not the statement:
# 08 connection exception, 40 transaction rollback (serialization, deadlock),
# 53 insufficient resources, 57 operator intervention (shutdown, restart, cancel).
_TRANSIENT_SQLSTATE_CLASSES = {"08", "40", "53", "57"}
_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,  # a name that does not resolve (yet)
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.ReadOnlyError,  # failover: connected to a replica for a moment
    sqlalchemy.exc.TimeoutError,  # connection pool exhausted
)


def is_transient(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) says a dependency is unavailable, so the same
    work can succeed later; False when the work itself is at fault (bad data, a bug)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _TRANSIENT_TYPES):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES:
            return True
        # asyncpg's InterfaceError ("connection is closed") has no SQLSTATE.
        if type(current).__name__ in {"InterfaceError", "ConnectionDoesNotExistError"}:
            return True
        current = current.__cause__ or current.__context__
    return False


@dataclass
class Backoff:
    """Exponential delays from `base` to `cap` seconds with jitter (half fixed, half random),
    so replicas that failed together do not retry together."""

    base: float = 0.2
    cap: float = 30.0
    attempts: int = field(default=0, init=False)

    def next(self) -> float:
        """The delay before the next attempt (grows with each call until reset)."""
        ceiling = min(self.cap, self.base * 2 ** min(self.attempts, 30))
        self.attempts += 1
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (timing, not secrets)

    def reset(self) -> None:
        """After a success: start again from `base`."""
        self.attempts = 0


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Sleep up to `seconds`, returning early once `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """When an entry is given up on, and how long to wait between attempts."""

    max_deliveries: int = 5
    base_seconds: float = 0.5
    cap_seconds: float = 30.0

    def delay(self, deliveries: int) -> float:
        """Seconds before the next delivery of an entry that failed `deliveries` times."""
        return min(self.cap_seconds, self.base_seconds * 2 ** max(0, deliveries - 1))
