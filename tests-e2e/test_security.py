"""Security hardening through the gateway (issue 12): limits under concurrency, sessions,
scoped API keys, quota before work, unauthenticated abuse."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from conftest import UserFactory


async def _burst(base_url: str, n: int, method: str, path: str, **kwargs: object) -> Counter[int]:
    """`n` simultaneous requests; the count of each status code."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        responses = await asyncio.gather(
            *(client.request(method, path, **kwargs) for _ in range(n))  # type: ignore[arg-type]
        )
    return Counter(r.status_code for r in responses)


class TestLockoutUnderConcurrency:
    @pytest.mark.parametrize("burst", [50, 200])
    def test_simultaneous_wrong_passwords_get_at_most_five_guesses(
        self, base_url: str, make_user: UserFactory, burst: int
    ) -> None:
        victim = make_user()
        wrong = {"username": victim["username"], "password": "Wrong-pass1"}
        statuses = asyncio.run(_burst(base_url, burst, "POST", "/auth/login", json=wrong))
        assert statuses[401] <= 5
        assert statuses[401] + statuses[429] == burst, statuses
        right = {"username": victim["username"], "password": victim["password"]}
        assert httpx.post(base_url + "/auth/login", json=right).status_code == 429
