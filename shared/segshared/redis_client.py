"""Redis client factory (redis-py asyncio)."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis


def make_redis(url: str, pool_size: int = 100, pool_timeout: float = 5.0) -> Redis:
    """A pooled client returning str values, with short timeouts so a dead Redis fails fast.

    The pool blocks: a burst beyond `pool_size` concurrent commands waits up to
    `pool_timeout` s for a connection instead of failing at once (redis-py's default
    pool raises "Too many connections"); only then does the caller get a 503.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=pool_size,
        timeout=pool_timeout,
        decode_responses=True,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)
