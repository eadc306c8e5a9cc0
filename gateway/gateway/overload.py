"""Load shedding at the edge: a concurrency limit per upstream service.

Past the limit a request waits in a bounded queue for at most a bounded time; beyond
either bound it is answered at once with 503 + Retry-After — before admission, so a
flood costs neither Redis nor a token check — instead of piling up on the upstream
until its timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from segshared.errors import ServiceUnavailable

RETRY_AFTER_SECONDS = 1


class Overloaded(ServiceUnavailable):
    """The service's concurrency limit and queue are full (503 + Retry-After)."""

    def __init__(self, service: str) -> None:
        super().__init__(
            f"{service} service overloaded; retry shortly",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


class _Slots:
    __slots__ = ("active", "waiters")

    def __init__(self) -> None:
        self.active = 0
        self.waiters: deque[asyncio.Future[None]] = deque()


class UpstreamLimiter:
    """At most `limit` requests in flight per service, `queue` more waiting ≤ `max_wait` s."""

    def __init__(self, limit: int, queue: int, max_wait: float) -> None:
        self.limit = limit
        self.queue = queue
        self.max_wait = max_wait
        self._slots: dict[str, _Slots] = {}

    def in_flight(self, service: str) -> int:
        """Requests holding a slot of `service` right now."""
        slots = self._slots.get(service)
        return slots.active if slots else 0

    async def enter(self, service: str) -> None:
        """Take a slot of `service` (waiting in its queue); raise Overloaded when full."""
        slots = self._slots.get(service)
        if slots is None:
            slots = self._slots[service] = _Slots()
        if slots.active < self.limit and not slots.waiters:
            slots.active += 1
            return
        if len(slots.waiters) >= self.queue:
            raise Overloaded(service)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        slots.waiters.append(waiter)
        try:
            async with asyncio.timeout(self.max_wait):
                await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                self.leave(service)  # handed a slot just as the wait ended: pass it on
            else:
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    slots.waiters.remove(waiter)
            if isinstance(exc, TimeoutError):
                raise Overloaded(service) from None
            raise

    def leave(self, service: str) -> None:
        """Give the slot back: to the longest waiter, or to the pool."""
        slots = self._slots[service]
        while slots.waiters:
            waiter = slots.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot moves to the waiter; `active` unchanged
                return
        slots.active -= 1
