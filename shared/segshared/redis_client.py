"""Redis client factory (redis-py asyncio)."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError


def make_redis(url: str, pool_size: int = 100, pool_timeout: float = 5.0) -> Redis:
    """A pooled client returning str values, with short timeouts so a dead Redis fails fast.

    The pool blocks: a burst beyond `pool_size` concurrent commands waits up to
    `pool_timeout` s for a connection instead of failing at once (redis-py's default
    pool raises "Too many connections"); only then does the caller get a 503.

    A command that fails on a broken connection is sent again, once, on a new one: after
    a Redis restart every pooled connection is dead, and without this each would fail one
    request before being replaced. Timeouts are not retried (a hung Redis still fails in
    `socket_timeout`); a replayed write is one whose connection broke, which readers of
    our streams already deduplicate by event id.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=pool_size,
        timeout=pool_timeout,
        decode_responses=True,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=30,
        retry=Retry(
            ExponentialWithJitterBackoff(cap=0.2, base=0.02),
            retries=1,
            supported_errors=(RedisConnectionError,),
        ),
    )
    return Redis.from_pool(pool)
