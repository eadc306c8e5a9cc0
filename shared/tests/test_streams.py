"""StreamConsumer: batches, ack after handling, retry on failure, reclaim of pending."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from segshared import streams
from segshared.redis_client import make_redis
from segshared.retry import RetryPolicy
from segshared.streams import Entry, StreamConsumer, dead_letter_stream, trim_acknowledged
from segshared.testing import free_port

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
                raise ConnectionError("database down")

        consumer = StreamConsumer(redis, STREAM, "g", flaky, block_ms=10, reclaim_idle_ms=0)
        await consumer.ensure_group()
        await add(redis, 3)
        with pytest.raises(ConnectionError):
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


class TestConsumerNames:
    async def test_idle_consumers_with_nothing_pending_are_removed(
        self, redis: Redis, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Review L13: every process adds a `host-pid` name to the group; dead ones go."""
        monkeypatch.setattr(streams, "STALE_CONSUMER_MS", 50)

        async def handle(entries: list[Entry]) -> None:
            pass

        consumer = StreamConsumer(redis, STREAM, "g", handle, block_ms=10)
        await consumer.ensure_group()
        await add(redis, 2)
        # Two processes that are gone: one acked what it read, one died holding an entry.
        finished = await redis.xreadgroup("g", "gone-host-1", {STREAM: ">"}, count=1)
        await redis.xack(STREAM, "g", finished[0][1][0][0])
        await redis.xreadgroup("g", "gone-host-2", {STREAM: ">"}, count=1)
        await asyncio.sleep(0.1)
        consumer.reclaim_idle_ms = 60_000  # not claimed yet: its entry stays with it
        await consumer.reclaim_pending()
        names = {c["name"] for c in await redis.xinfo_consumers(STREAM, "g")}
        assert "gone-host-1" not in names
        assert "gone-host-2" in names  # still holds an entry until it is reclaimed
        consumer.reclaim_idle_ms = 0
        await consumer.reclaim_pending()
        await asyncio.sleep(0.1)
        await consumer.reclaim_pending()
        names = {c["name"] for c in await redis.xinfo_consumers(STREAM, "g")}
        assert "gone-host-2" not in names


FAST_RETRY = RetryPolicy(max_deliveries=3, base_seconds=0.05, cap_seconds=0.2)


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not true within {seconds}s")


def metric(name: str, stream: str = STREAM, group: str = "g") -> float:
    return REGISTRY.get_sample_value(name, {"stream": stream, "group": group}) or 0.0


class TestSelfHealing:
    async def test_poison_entry_is_dead_lettered_and_the_rest_is_stored(self, redis: Redis) -> None:
        stored: list[str] = []

        async def handle(entries: list[Entry]) -> None:
            if any(fields["n"] == "3" for _, fields in entries):
                raise ValueError("value out of range for type integer")
            stored.extend(fields["n"] for _, fields in entries)

        dead_before = metric("stream_dead_letters_total")
        consumer = StreamConsumer(redis, STREAM, "g", handle, block_ms=10, retry=FAST_RETRY)
        await add(redis, 8)
        consumer.start()
        try:
            await eventually(lambda: redis.xlen(dead_letter_stream(STREAM)))
            await add(redis, 2)  # later entries still flow
            await eventually(lambda: asyncio.sleep(0, len(stored) == 9))
        finally:
            await consumer.stop()
        assert sorted(stored) == sorted(["0", "1", "2", "4", "5", "6", "7", "0", "1"])
        [(_, dead)] = await redis.xrange(dead_letter_stream(STREAM))
        assert dead["n"] == "3" and dead["dead.group"] == "g"
        assert dead["dead.deliveries"] == "3"
        assert dead["dead.error"].startswith("ValueError: value out of range")
        assert (await redis.xpending(STREAM, "g"))["pending"] == 0
        assert metric("stream_dead_letters_total") == dead_before + 1

    async def test_an_outage_is_retried_without_using_up_deliveries(self, redis: Redis) -> None:
        calls: list[int] = []

        async def down_for_a_while(entries: list[Entry]) -> None:
            calls.append(len(entries))
            if len(calls) <= 6:  # more failures than max_deliveries allows
                raise ConnectionRefusedError("connection refused")

        consumer = StreamConsumer(
            redis, STREAM, "g", down_for_a_while, block_ms=10, retry=FAST_RETRY
        )
        await add(redis, 4)
        consumer.start()
        try:
            await eventually(lambda: asyncio.sleep(0, len(calls) > 6))
            await eventually(lambda: _nothing_pending(redis))
        finally:
            await consumer.stop()
        assert calls[-1] == 4  # the whole batch, once the dependency was back
        assert await redis.xlen(dead_letter_stream(STREAM)) == 0

    async def test_a_lost_group_is_recreated(self, redis: Redis) -> None:
        seen: list[str] = []

        async def handle(entries: list[Entry]) -> None:
            seen.extend(fields["n"] for _, fields in entries)

        consumer = StreamConsumer(redis, STREAM, "g", handle, block_ms=10, retry=FAST_RETRY)
        consumer.start()
        try:
            await add(redis, 1)
            await eventually(lambda: asyncio.sleep(0, len(seen) == 1))
            await redis.flushdb()  # what a Redis restart without persistence looks like
            await redis.xadd(STREAM, {"n": "after"})
            await eventually(lambda: asyncio.sleep(0, "after" in seen))
        finally:
            await consumer.stop()

    async def test_redis_down_at_start_then_up(self, tmp_path: Path) -> None:
        port = free_port()
        client = make_redis(f"redis://127.0.0.1:{port}/0")
        seen: list[str] = []

        async def handle(entries: list[Entry]) -> None:
            seen.extend(fields["n"] for _, fields in entries)

        consumer = StreamConsumer(client, STREAM, "g", handle, block_ms=10, retry=FAST_RETRY)
        consumer.start()
        server = None
        try:
            await asyncio.sleep(0.5)  # several failed attempts while nothing listens
            assert consumer.running
            server = await asyncio.create_subprocess_exec(
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
                stdout=subprocess.DEVNULL,
            )
            await eventually(lambda: _answers(client))
            await client.xadd(STREAM, {"n": "1"})
            await eventually(lambda: asyncio.sleep(0, seen == ["1"]))
        finally:
            await consumer.stop()
            await client.aclose()
            if server is not None:
                server.terminate()
                await asyncio.wait_for(server.wait(), 10)

    async def test_lag_and_pending_are_exported(self, redis: Redis) -> None:
        async def handle(entries: list[Entry]) -> None:
            return None

        consumer = StreamConsumer(redis, STREAM, "g", handle, block_ms=10, batch_size=2)
        await consumer.ensure_group()
        await add(redis, 5)
        await consumer.update_metrics()
        assert metric("stream_consumer_lag") == 5
        await consumer.poll_once()
        await consumer.update_metrics()
        assert metric("stream_consumer_lag") == 3
        assert metric("stream_consumer_pending") == 0


class TestTrimming:
    async def test_only_entries_every_group_acked_are_trimmed(self, redis: Redis) -> None:
        await add(redis, 300)
        assert (await trim_acknowledged(redis, STREAM)).removed == 0  # no group yet: keep all
        ids = [entry_id for entry_id, _ in await redis.xrange(STREAM)]
        for group in ("fast", "slow"):
            await redis.xgroup_create(STREAM, group, id="0")
        fast = await redis.xreadgroup("fast", "c", {STREAM: ">"}, count=300)
        await redis.xack(STREAM, "fast", *[e[0] for e in fast[0][1]])
        # "slow" has read 250 entries and acked only the first 120: 130 are pending.
        slow = await redis.xreadgroup("slow", "c", {STREAM: ">"}, count=250)
        await redis.xack(STREAM, "slow", *[e[0] for e in slow[0][1][:120]])

        result = await trim_acknowledged(redis, STREAM)
        remaining = [entry_id for entry_id, _ in await redis.xrange(STREAM)]
        assert ids[120:] == remaining[-180:]  # every entry "slow" still needs is there
        assert result.removed > 0 and result.backlog == 50 + 130
        await redis.xack(STREAM, "slow", *[e[0] for e in slow[0][1][120:]])
        rest = await redis.xreadgroup("slow", "c", {STREAM: ">"}, count=100)
        await redis.xack(STREAM, "slow", *[e[0] for e in rest[0][1]])
        assert (await trim_acknowledged(redis, STREAM)).backlog == 0
        assert await redis.xlen(STREAM) < 100  # all acked: only the newest node may remain


async def _nothing_pending(redis: Redis) -> bool:
    return (await redis.xpending(STREAM, "g"))["pending"] == 0


async def _answers(client: Redis) -> bool:
    try:
        return bool(await client.ping())
    except (ConnectionError, OSError, RedisConnectionError):
        return False
