"""Graceful overload: a burst beyond an upstream's concurrency limit and queue is shed with
503 + Retry-After before admission; never a 500; every slot is given back."""

from __future__ import annotations

import asyncio

import httpx
from segshared.testing import TokenSigner

from .test_dependency_failures import gateway_with


async def _burst(
    client: httpx.AsyncClient, signer: TokenSigner, count: int
) -> list[httpx.Response]:
    bearer = {"Authorization": f"Bearer {signer.token(8)}"}
    return await asyncio.gather(
        *(client.get("/profiles/slow", headers=bearer) for _ in range(count))
    )


class TestUpstreamLimit:
    async def test_burst_beyond_limit_and_queue_is_shed_with_retry_after(
        self, upstream_url: str, signer: TokenSigner
    ) -> None:
        async with gateway_with(upstream_url, signer)(
            upstream_concurrency_limit=2,
            upstream_queue_limit=2,
            upstream_queue_timeout_seconds=10,
        ) as client:
            responses = await _burst(client, signer, 10)
            limiter = client.app.state.limiter  # type: ignore[attr-defined]
            assert limiter.in_flight("profile") == 0
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 4 + [503] * 6  # 2 in flight + 2 queued are served
        for shed in (r for r in responses if r.status_code == 503):
            assert shed.headers["retry-after"] == "1"
            assert shed.json()["detail"] == "profile service overloaded; retry shortly"

    async def test_queued_request_waits_at_most_the_queue_timeout(
        self, upstream_url: str, signer: TokenSigner
    ) -> None:
        async with gateway_with(upstream_url, signer)(
            upstream_concurrency_limit=1,
            upstream_queue_limit=10,
            upstream_queue_timeout_seconds=0.05,
        ) as client:
            responses = await _burst(client, signer, 3)
            assert client.app.state.limiter.in_flight("profile") == 0  # type: ignore[attr-defined]
            # The limit is per service: auth routes are not held up by a busy profile service.
            assert (await client.post("/auth/login", json={})).status_code == 200
        assert sorted(r.status_code for r in responses) == [200, 503, 503]

    async def test_rejected_callers_get_their_own_answer_not_a_slot_leak(
        self, upstream_url: str, signer: TokenSigner
    ) -> None:
        async with gateway_with(upstream_url, signer)(upstream_concurrency_limit=1) as client:
            unauthenticated = await client.get("/profiles/slow")
            served = await _burst(client, signer, 3)  # queued one by one, all served
            assert client.app.state.limiter.in_flight("profile") == 0  # type: ignore[attr-defined]
        assert unauthenticated.status_code == 401
        assert [r.status_code for r in served] == [200, 200, 200]

    async def test_unexpected_error_is_a_json_500_and_frees_the_slot(
        self, upstream_url: str, signer: TokenSigner
    ) -> None:
        async with gateway_with(upstream_url, signer)() as client:
            app = client.app  # type: ignore[attr-defined]

            async def broken(*_: object) -> None:
                raise RuntimeError("a bug")

            app.state.guard.admit = broken
            response = await client.get("/profiles/slow")
            assert app.state.limiter.in_flight("profile") == 0
        assert response.status_code == 500
        assert response.json() == {"detail": "Internal server error"}
        assert response.headers["x-request-id"]
