"""At-least-once consumption of a Redis stream with a consumer group.

The handler receives a batch of entries and must be idempotent; entries are acked only
after it returns, so a crash before commit leaves them pending, and pending entries of
a dead consumer are reclaimed (XAUTOCLAIM) by the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

logger = logging.getLogger("segshared.streams")

Entry = tuple[str, dict[str, str]]
BatchHandler = Callable[[list[Entry]], Awaitable[None]]


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
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def ensure_group(self) -> None:
        """Create the group (from the stream's start, so a backlog is never skipped)."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _handle(self, entries: list[Entry]) -> None:
        if not entries:
            return
        await self.handler(entries)
        await self.redis.xack(self.stream, self.group, *[entry_id for entry_id, _ in entries])

    async def reclaim_pending(self) -> int:
        """Take over entries another consumer read but never acked; return how many."""
        handled = 0
        cursor = "0-0"
        while True:
            result: Any = await self.redis.xautoclaim(
                self.stream, self.group, self.consumer, self.reclaim_idle_ms, cursor,
                count=self.batch_size,
            )  # fmt: skip
            cursor, entries = result[0], [e for e in result[1] if e[1] is not None]
            await self._handle(entries)
            handled += len(entries)
            if cursor in ("0-0", b"0-0"):
                return handled

    async def poll_once(self) -> int:
        """Read and handle one batch (own pending entries first); return its size."""
        response: Any = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=self.batch_size,
            block=self.block_ms,
        )  # fmt: skip
        entries: list[Entry] = [e for _, batch in response or [] for e in batch]
        await self._handle(entries)
        return len(entries)

    async def run(self) -> None:
        """Consume forever; errors are logged and retried after a pause, never fatal."""
        await self.ensure_group()
        # Own entries read before a crash (same consumer name) come back with id "0".
        while not self._stopping.is_set():
            try:
                response: Any = await self.redis.xreadgroup(
                    self.group, self.consumer, {self.stream: "0"}, count=self.batch_size
                )
                entries = [e for _, batch in response or [] for e in batch]
                if not entries:
                    break
                await self._handle(entries)
            except Exception:
                logger.exception("stream %s: replaying own pending entries failed", self.stream)
                await asyncio.sleep(1)
        polls = 0
        while not self._stopping.is_set():
            try:
                if polls % 100 == 0:
                    await self.reclaim_pending()
                polls += 1
                handled = await self.poll_once()
                if 0 < handled < self.batch_size and self.gather_seconds:
                    await asyncio.sleep(self.gather_seconds)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("stream %s: batch failed, retrying", self.stream)
                await asyncio.sleep(1)

    def start(self) -> None:
        """Run in the background of the current event loop."""
        self._stopping.clear()
        self._task = asyncio.create_task(self.run(), name=f"consumer:{self.stream}")

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
        except Exception:
            logger.exception("stream %s: consumer ended with an error", self.stream)
        self._task = None
