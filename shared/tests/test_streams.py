"""StreamConsumer: batches, ack after handling, retry on failure, reclaim of pending."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from segshared.streams import Entry, StreamConsumer

STREAM = "test:stream"


async def add(redis: Redis, n: int) -> None:
    for i in range(n):
        await redis.xadd(STREAM, {"n": str(i)})


class TestStreamConsumer:
    async def test_batch_is_handled_then_acked(self, redis: Redis) -> None:
        seen: list[str] = []

        async def handle(entries: list[Entry]) -> None:
            seen.extend(fields["n"] for _, fields in entries)

        consumer = StreamConsumer(redis, STREAM, "g", handle, block_ms=10)
        await consumer.ensure_group()
        await add(redis, 5)
        assert await consumer.poll_once() == 5
        assert seen == ["0", "1", "2", "3", "4"]
        assert (await redis.xpending(STREAM, "g"))["pending"] == 0

    async def test_failed_batch_stays_pending_and_is_replayed(self, redis: Redis) -> None:
        attempts: list[int] = []

        async def flaky(entries: list[Entry]) -> None:
            attempts.append(len(entries))
            if len(attempts) == 1:
                raise RuntimeError("database down")

        consumer = StreamConsumer(redis, STREAM, "g", flaky, block_ms=10, reclaim_idle_ms=0)
        await consumer.ensure_group()
        await add(redis, 3)
        with pytest.raises(RuntimeError):
            await consumer.poll_once()
        assert (await redis.xpending(STREAM, "g"))["pending"] == 3
        assert await consumer.reclaim_pending() == 3
        assert (await redis.xpending(STREAM, "g"))["pending"] == 0

    async def test_backlog_written_before_the_group_exists_is_consumed(self, redis: Redis) -> None:
        await add(redis, 4)
        seen: list[Entry] = []

        async def handle(entries: list[Entry]) -> None:
            seen.extend(entries)

        consumer = StreamConsumer(redis, STREAM, "late", handle, block_ms=10)
        await consumer.ensure_group()
        await consumer.poll_once()
        assert len(seen) == 4
