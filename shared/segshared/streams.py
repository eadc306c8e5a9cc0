"""At-least-once consumption of a Redis stream with a consumer group, and safe trimming.

The handler receives a batch of entries and must be idempotent; entries are acked only
after it returns, so a crash before commit leaves them pending, and pending entries of
a dead consumer are reclaimed (XAUTOCLAIM) by the next one.

Failures are of two kinds (`segshared.retry.is_transient`):
- a dependency is down (Redis, PostgreSQL): the same batch is retried with capped,
  jittered backoff, as long as it takes, without counting against its entries;
- the entries are at fault: the batch is bisected so the good entries are stored at
  once, and an entry that has failed `max_deliveries` times (Redis' delivery count)
  moves to the dead-letter stream `<stream>:dead` with its error, then is acked.
A lost group (NOGROUP after Redis lost its data) is recreated from the stream's start.

Producers trim only what every group has acknowledged (`trim_acknowledged`).

Producers add the trace context to an event's fields (`segshared.tracing.trace_fields`:
`traceparent`, ...); a batch is handled inside a span that continues those traces.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Gauge
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from segshared.retry import Backoff, RetryPolicy, is_transient, sleep_unless
from segshared.tracing import consumer_span

logger = logging.getLogger("segshared.streams")

Entry = tuple[str, dict[str, str]]
BatchHandler = Callable[[list[Entry]], Awaitable[None]]

DEAD_LETTER_SUFFIX = ":dead"
# Dead letters are for an operator to inspect and replay; keep the newest ones.
DEAD_LETTER_MAX_LENGTH = 100_000
# Consumer names are per process; names with nothing pending and idle this long are removed.
STALE_CONSUMER_MS = 3_600_000

DEAD_LETTERS = Counter(
    "stream_dead_letters_total",
    "Entries moved to the dead-letter stream after failing max_deliveries times",
    ["stream", "group"],
)
CONSUMER_FAILURES = Counter(
    "stream_consumer_failures_total",
    "Failed consumer steps: 'transient' (a dependency down) or 'entry' (an entry at fault)",
    ["stream", "group", "kind"],
)
MISSING_ENTRIES = Counter(
    "stream_missing_entries_total",
    "Pending entries that had been deleted from the stream before they were handled",
    ["stream", "group"],
)
CONSUMER_LAG = Gauge(
    "stream_consumer_lag", "Entries not yet delivered to the group", ["stream", "group"]
)
CONSUMER_PENDING = Gauge(
    "stream_consumer_pending", "Entries delivered to the group but not acked", ["stream", "group"]
)
STREAM_BACKLOG = Gauge(
    "stream_backlog_entries",
    "Entries the slowest consumer group has not acked (what trimming must keep)",
    ["stream"],
)


def dead_letter_stream(stream: str) -> str:
    """Where entries of `stream` that keep failing are moved."""
    return stream + DEAD_LETTER_SUFFIX


def _stream_id(value: str) -> tuple[int, int]:
    milliseconds, _, sequence = value.partition("-")
    return int(milliseconds), int(sequence or 0)


def _is_nogroup(exc: BaseException) -> bool:
    return isinstance(exc, ResponseError) and str(exc).startswith("NOGROUP")


class StreamConsumer:
    """Reads `stream` as a member of `group`, hands batches to `handler`, acks after."""

    def __init__(
        self,
        redis: Redis,
        stream: str,
        group: str,
        handler: BatchHandler,
        batch_size: int = 500,
        block_ms: int = 200,
        reclaim_idle_ms: int = 30_000,
        gather_seconds: float = 0.0,
        retry: RetryPolicy | None = None,
        reclaim_every_seconds: float = 5.0,
        metrics_every_seconds: float = 5.0,
        instance: int = 0,
    ) -> None:
        self.redis = redis
        self.stream = stream
        self.group = group
        self.handler = handler
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.reclaim_idle_ms = reclaim_idle_ms
        # After a partial batch, wait this long so the next one is bigger: under load,
        # fewer and larger transactions cost far less than one per trickling event.
        self.gather_seconds = gather_seconds
        self.retry = retry or RetryPolicy()
        self.reclaim_every_seconds = reclaim_every_seconds
        self.metrics_every_seconds = metrics_every_seconds
        # `instance` tells apart several consumers of one group in one process: while one
        # waits for its batch's database write, another reads and parses the next batch.
        self.consumer = f"{socket.gethostname()}-{os.getpid()}" + (
            f"-{instance}" if instance else ""
        )
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._group_ready = False
        # A batch a dependency outage interrupted: retried before anything new is read.
        self._held: list[Entry] = []
        # When own pending entries (failed ones) are due for another delivery.
        self._retry_at: float | None = None
        self._next_reclaim = 0.0
        self._next_metrics = 0.0

    async def ensure_group(self) -> None:
        """Create the group (from the stream's start, so a backlog is never skipped)."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def _process(self, entries: list[Entry]) -> None:
        """Handle and ack `entries`; bisect around entries at fault; raise on an outage."""
        missing = [entry_id for entry_id, fields in entries if not fields]
        if missing:
            # Pending but deleted from the stream (trimmed or XDEL'd by someone): nothing
            # can be done with them any more; say so loudly and stop redelivering them.
            logger.error(
                "stream %s: %d pending entries were deleted before being handled: %s",
                self.stream,
                len(missing),
                missing[:10],
            )
            MISSING_ENTRIES.labels(self.stream, self.group).inc(len(missing))
            await self.redis.xack(self.stream, self.group, *missing)
        self._held = [entry for entry in entries if entry[1]]
        with consumer_span(self.stream, [fields for _, fields in self._held]):
            await self._isolate(self._held)
        self._held = []

    async def _isolate(self, entries: list[Entry]) -> None:
        if not entries:
            return
        try:
            await self.handler(entries)
        except Exception as exc:
            if is_transient(exc):
                raise
            if len(entries) == 1:
                await self._entry_failed(entries[0], exc)
                return
            # Bisect: the good halves are stored now, the bad entry is found in log2(n) tries.
            middle = len(entries) // 2
            await self._isolate(entries[:middle])
            await self._isolate(entries[middle:])
            return
        await self.redis.xack(self.stream, self.group, *[entry_id for entry_id, _ in entries])

    async def _entry_failed(self, entry: Entry, exc: Exception) -> None:
        """Leave the entry pending for a later delivery, or dead-letter it after the last."""
        entry_id, fields = entry
        CONSUMER_FAILURES.labels(self.stream, self.group, "entry").inc()
        pending: Any = await self.redis.xpending_range(
            self.stream, self.group, entry_id, entry_id, 1
        )
        if not pending:
            return  # acked meanwhile (claimed and handled by another consumer)
        deliveries = int(pending[0]["times_delivered"])
        # The first line says what went wrong; drivers append the SQL and every parameter.
        error = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"[:1000]
        if deliveries < self.retry.max_deliveries:
            delay = self.retry.delay(deliveries)
            logger.warning(
                "stream %s: entry %s failed (delivery %d of %d), retrying in %.1fs: %s",
                self.stream,
                entry_id,
                deliveries,
                self.retry.max_deliveries,
                delay,
                error,
            )
            due = time.monotonic() + delay
            self._retry_at = due if self._retry_at is None else min(self._retry_at, due)
            return
        dead: dict[Any, Any] = {
            **fields,
            "dead.entry_id": entry_id,
            "dead.stream": self.stream,
            "dead.group": self.group,
            "dead.deliveries": str(deliveries),
            "dead.error": error,
            "dead.at": datetime.now(UTC).isoformat(),
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                dead_letter_stream(self.stream),
                dead,
                maxlen=DEAD_LETTER_MAX_LENGTH,
                approximate=True,
            )
            pipe.xack(self.stream, self.group, entry_id)
            await pipe.execute()
        DEAD_LETTERS.labels(self.stream, self.group).inc()
        logger.error(
            "stream %s: entry %s failed %d times, moved to %s: %s",
            self.stream,
            entry_id,
            deliveries,
            dead_letter_stream(self.stream),
            error,
        )

    async def retry_own_pending(self) -> int:
        """Deliver this consumer's failed entries again (each delivery is counted)."""
        response: Any = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: "0"}, count=self.batch_size
        )
        self._retry_at = None  # set again by entries that fail once more
        entries: list[Entry] = [e for _, batch in response or [] for e in batch]
        await self._process(entries)
        return len(entries)

    async def reclaim_pending(self) -> int:
        """Take over entries another consumer read but never acked; return how many."""
        handled = 0
        cursor = "0-0"
        while True:
            result: Any = await self.redis.xautoclaim(
                self.stream,
                self.group,
                self.consumer,
                self.reclaim_idle_ms,
                cursor,
                count=self.batch_size,
            )
            cursor, entries = result[0], [e for e in result[1] if e[0] is not None]
            deleted = result[2] if len(result) > 2 else []
            if deleted:
                logger.error(
                    "stream %s: %d pending entries were deleted before being handled",
                    self.stream,
                    len(deleted),
                )
                MISSING_ENTRIES.labels(self.stream, self.group).inc(len(deleted))
            await self._process(entries)
            handled += len(entries)
            if cursor in ("0-0", b"0-0"):
                break
        await self._forget_idle_consumers()
        return handled

    async def _forget_idle_consumers(self) -> None:
        consumers: Any = await self.redis.xinfo_consumers(self.stream, self.group)
        for consumer in consumers:
            name = consumer["name"]
            idle = int(consumer.get("inactive", consumer.get("idle", 0)) or 0)
            if name != self.consumer and not consumer["pending"] and idle > STALE_CONSUMER_MS:
                await self.redis.xgroup_delconsumer(self.stream, self.group, name)

    async def poll_once(self) -> int:
        """Read and handle one batch of new entries; return its size."""
        response: Any = await self.redis.xreadgroup(
            self.group,
            self.consumer,
            {self.stream: ">"},
            count=self.batch_size,
            block=self.block_ms,
        )
        entries: list[Entry] = [e for _, batch in response or [] for e in batch]
        await self._process(entries)
        return len(entries)

    async def update_metrics(self) -> None:
        """Publish the group's lag and pending count as gauges."""
        groups: Any = await self.redis.xinfo_groups(self.stream)
        for group in groups:
            if group["name"] == self.group:
                lag = group.get("lag")
                if lag is not None:  # unknown after deletions inside the unread range
                    CONSUMER_LAG.labels(self.stream, self.group).set(lag)
                CONSUMER_PENDING.labels(self.stream, self.group).set(group["pending"])

    async def step(self) -> int:
        """One unit of work; return how many new entries it read."""
        if not self._group_ready:
            await self.ensure_group()
        if self._held:
            await self._process(self._held)
            return 0
        now = time.monotonic()
        if now >= self._next_metrics:
            self._next_metrics = now + self.metrics_every_seconds
            await self.update_metrics()
        if now >= self._next_reclaim:
            self._next_reclaim = now + self.reclaim_every_seconds
            await self.reclaim_pending()
        if self._retry_at is not None and now >= self._retry_at:
            await self.retry_own_pending()
        return await self.poll_once()

    async def run(self) -> None:
        """Consume until stopped; every failure is logged and retried with backoff."""
        backoff = Backoff(self.retry.base_seconds, self.retry.cap_seconds)
        while not self._stopping.is_set():
            try:
                handled = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if _is_nogroup(exc):
                    # Redis lost the group (restart without persistence, failover, FLUSH):
                    # recreate it; entries of the old one are redelivered, handlers are
                    # idempotent.
                    logger.warning(
                        "stream %s: group %s is gone; recreating it", self.stream, self.group
                    )
                    self._group_ready, self._held, self._retry_at = False, [], None
                delay = backoff.next()
                kind = "transient" if is_transient(exc) or _is_nogroup(exc) else "entry"
                CONSUMER_FAILURES.labels(self.stream, self.group, kind).inc()
                log = logger.warning if kind == "transient" else logger.exception
                log(
                    "stream %s: consumer step failed (%s: %s); retrying in %.1fs",
                    self.stream,
                    type(exc).__name__,
                    exc,
                    delay,
                )
                await sleep_unless(self._stopping, delay)
                continue
            backoff.reset()
            if 0 < handled < self.batch_size and self.gather_seconds:
                await sleep_unless(self._stopping, self.gather_seconds)

    def start(self) -> None:
        """Run in the background of the current event loop."""
        self._stopping.clear()
        self._task = asyncio.create_task(self.run(), name=f"consumer:{self.stream}")
        self._task.add_done_callback(self._ended)

    @property
    def running(self) -> bool:
        """Whether the background loop is alive."""
        return self._task is not None and not self._task.done()

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("stream %s: consumer ended", self.stream, exc_info=task.exception())

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Finish the batch in hand, then stop; cancel only if that takes too long.

        Cancelling in the middle of a database transaction can leave its connection
        hanging, so the loop is asked to stop between batches first.
        """
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_seconds + self.block_ms / 1000)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        except Exception as exc:  # already logged with its traceback by _ended
            logger.debug("stream %s: consumer ended with %r", self.stream, exc)
        self._task = None


@dataclass(frozen=True)
class TrimResult:
    """What one trim pass did: entries removed, and entries still needed by some group."""

    removed: int
    backlog: int


async def trim_acknowledged(redis: Redis, stream: str) -> TrimResult:
    """Delete the entries every consumer group has acked (XTRIM MINID).

    The floor is the oldest entry some group still needs: its oldest pending entry, or
    the first one after its last delivered. Without any group nothing is trimmed (a
    consumer that has not started yet will want the backlog).
    """
    try:
        groups: Any = await redis.xinfo_groups(stream)
    except ResponseError:
        return TrimResult(0, 0)  # no such stream yet
    if not groups:
        return TrimResult(0, await redis.xlen(stream))
    floor: tuple[int, int] | None = None
    backlog = 0
    for group in groups:
        low = _stream_id(group["last-delivered-id"])
        low = (low[0], low[1] + 1)
        if group["pending"]:
            summary: Any = await redis.xpending(stream, group["name"])
            if summary["min"]:
                low = min(low, _stream_id(summary["min"]))
        floor = low if floor is None else min(floor, low)
        lag = group.get("lag")
        if lag is None:
            lag = await redis.xlen(stream)
        backlog = max(backlog, int(lag) + int(group["pending"]))
    assert floor is not None
    # Approximate: Redis drops whole internal nodes below the floor, never an entry at
    # or above it.
    removed: Any = await redis.xtrim(stream, minid=f"{floor[0]}-{floor[1]}", approximate=True)
    return TrimResult(int(removed), backlog)


async def trim_loop(
    redis: Redis,
    streams: tuple[str, ...],
    interval_seconds: float,
    backlog_alarm: int,
    stop: asyncio.Event | None = None,
) -> None:
    """Trim `streams` every interval; warn when a backlog passes `backlog_alarm` entries."""
    stop = stop or asyncio.Event()
    backoff = Backoff(interval_seconds, max(30.0, interval_seconds))
    while not stop.is_set():
        delay = interval_seconds
        try:
            for stream in streams:
                result = await trim_acknowledged(redis, stream)
                STREAM_BACKLOG.labels(stream).set(result.backlog)
                if result.backlog > backlog_alarm:
                    logger.warning(
                        "stream %s: %d entries not yet acked by every consumer group "
                        "(alarm at %d); is a consumer down?",
                        stream,
                        result.backlog,
                        backlog_alarm,
                    )
            backoff.reset()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            delay = backoff.next()
            logger.warning(
                "stream trimming failed (%s: %s); retrying in %.1fs", type(exc).__name__, exc, delay
            )
        await sleep_unless(stop, delay)
