"""Shared-library tests run against a real Redis (db 5)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from segshared.redis_client import make_redis
from segshared.testing import redis_url_for_tests

REDIS_URL = redis_url_for_tests(5)


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = make_redis(REDIS_URL)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()
