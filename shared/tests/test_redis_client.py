"""The pooled Redis client against a private Redis server that the tests restart."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from segshared.redis_client import make_redis
from segshared.testing import eventually, free_port

POOLED = 4


@asynccontextmanager
async def redis_server(port: int, directory: Path) -> AsyncIterator[None]:
    """A redis-server on `port` (no persistence) for the duration of the block."""
    server = await asyncio.create_subprocess_exec(
        "redis-server",
        *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
        *("--dir", str(directory)),
        stdout=subprocess.DEVNULL,
    )
    probe = Redis(port=port, socket_connect_timeout=1)
    try:
        await eventually(lambda: _pings(probe), "redis-server up", timeout=20)
        yield
    finally:
        await probe.aclose()
        server.terminate()
        await asyncio.wait_for(server.wait(), 10)


async def _pings(client: Redis) -> bool:
    try:
        return bool(await client.ping())
    except (RedisConnectionError, OSError):
        return False


async def _hold_connections(client: Redis) -> list[object]:
    """Run POOLED blocking commands at once, so the pool holds POOLED connections."""
    return list(await asyncio.gather(*(client.blpop([f"nothing:{i}"], 0.1) for i in range(POOLED))))


@pytest.fixture
def port() -> int:
    return free_port()


async def test_pooled_connections_survive_a_restart(port: int, tmp_path: Path) -> None:
    client = make_redis(f"redis://127.0.0.1:{port}/0")
    try:
        async with redis_server(port, tmp_path):
            await _hold_connections(client)
            clients = await client.client_list()
            assert len(clients) >= POOLED
        async with redis_server(port, tmp_path):
            # Every pooled connection is to the old server; each command still succeeds.
            assert await _hold_connections(client) == [None] * POOLED
            assert await client.set("after", "restart")
            assert await client.get("after") == "restart"
    finally:
        await client.aclose()


@pytest.mark.parametrize("command", [lambda c: c.get("k"), lambda c: c.xadd("s", {"a": "1"})])
async def test_a_dead_redis_still_fails_fast(
    port: int, tmp_path: Path, command: Callable[[Redis], object]
) -> None:
    client = make_redis(f"redis://127.0.0.1:{port}/0")
    try:
        async with redis_server(port, tmp_path):
            await client.ping()
        with pytest.raises(RedisConnectionError):
            # An error, not a hang: the connect timeout bounds each of the two tries.
            await asyncio.wait_for(command(client), 15)  # type: ignore[arg-type]
    finally:
        await client.aclose()
