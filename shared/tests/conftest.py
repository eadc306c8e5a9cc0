"""Shared-library tests run against a real Redis (db 5)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from segshared.redis_client import make_redis

REDIS_URL = "redis://127.0.0.1:6379/5"


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = make_redis(REDIS_URL)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()
