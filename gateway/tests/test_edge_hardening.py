"""Issue 12 at the edge: client address, scoped keys, quota before work, unknown credentials."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from gateway.main import create_app
from gateway.settings import GatewaySettings
from segshared.contracts.quota import usage_today
from segshared.contracts.revocation import invalidate_user_tokens
from segshared.redis_client import make_redis
from segshared.testing import TokenSigner

from .helpers import BURST_KEY, OFFICE_KEY, QUOTA_KEY, REDIS_URL, VALID_KEY


@pytest.fixture
async def behind_proxy(
    upstream_url: str, signer: TokenSigner
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """A gateway behind an Ingress at 10.0.0.0/8: clients as seen through it and directly."""
    settings = GatewaySettings(
        redis_url=REDIS_URL,
        auth_service_url=upstream_url,
        profile_service_url=upstream_url,
        ml_service_url=upstream_url,
        service_token="gw-test-token",
        trusted_proxies="10.0.0.0/8",
        rate_limit_ip_per_minute=3,
    )
    app = create_app(settings, token_verifier=signer.verifier())
    async with app.router.lifespan_context(app):
        clients = {}
        for name, peer in (("ingress", "10.1.2.3"), ("direct", "198.51.100.4")):
            transport = httpx.ASGITransport(app=app, client=(peer, 5555))
            clients[name] = httpx.AsyncClient(transport=transport, base_url="http://gw")
        yield clients
        for client in clients.values():
            await client.aclose()


async def _flush() -> None:
    redis = make_redis(REDIS_URL)
    await redis.flushdb()
    await redis.aclose()


class TestClientAddress:
    async def test_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing(
        self, client: httpx.AsyncClient, behind_proxy: dict[str, httpx.AsyncClient]
    ) -> None:
        spoof = {"X-Forwarded-For": "1.2.3.4"}
        echoed = (await client.get("/profiles/", headers={"X-API-Key": VALID_KEY, **spoof})).json()
        assert echoed["headers"]["x-forwarded-for"] == "203.0.113.7"
        await _flush()
        direct = behind_proxy["direct"]
        statuses = [
            (
                await direct.get("/auth/register", headers={"X-Forwarded-For": f"1.2.3.{i}"})
            ).status_code
            for i in range(4)
        ]
        assert statuses == [200, 200, 200, 429]  # one client, whatever it claims

    async def test_a_trusted_proxy_separates_its_clients(
        self, behind_proxy: dict[str, httpx.AsyncClient]
    ) -> None:
        await _flush()
        ingress = behind_proxy["ingress"]
        for i in range(4):  # four clients, one request each: none is limited
            hops = {"X-Forwarded-For": f"6.6.6.6, 203.0.113.{i}"}
            response = await ingress.get("/auth/register", headers=hops)
            assert response.status_code == 200
            assert response.json()["headers"]["x-forwarded-for"] == f"203.0.113.{i}"


class TestScopedKeys:
    async def test_key_outside_its_scope_or_addresses_is_403(
        self, client: httpx.AsyncClient
    ) -> None:
        predict_only = {"X-API-Key": BURST_KEY}
        assert (await client.get("/profiles/", headers=predict_only)).status_code == 403
        assert (await client.post("/profiles/", json={}, headers=predict_only)).status_code == 403
        office = {"X-API-Key": OFFICE_KEY}
        refused = await client.get("/profiles/", headers=office)  # client is 203.0.113.7
        assert refused.status_code == 403 and "address" in refused.json()["detail"]

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("POST", "/auth/api-keys"),
            ("GET", "/auth/api-keys"),
            ("PUT", "/users/me"),
            ("DELETE", "/users/me"),
            ("GET", "/users/"),
            ("GET", "/admin/users"),
        ],
    )
    async def test_a_key_never_manages_keys_the_account_or_admin(
        self, client: httpx.AsyncClient, method: str, path: str
    ) -> None:
        response = await client.request(method, path, headers={"X-API-Key": VALID_KEY})
        assert response.status_code == 403

    async def test_any_key_reads_auth_me(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/auth/me", headers={"X-API-Key": BURST_KEY})).status_code == 200


class TestQuotaBeforeWork:
    async def test_parallel_calls_cannot_overspend(self, client: httpx.AsyncClient) -> None:
        headers = {"X-API-Key": BURST_KEY}  # daily quota 10
        responses = await asyncio.gather(
            *(client.post("/profiles/7/predict", json={}, headers=headers) for _ in range(20))
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 10 + [429] * 10
        redis = make_redis(REDIS_URL)
        assert await usage_today(redis, 3) == 10
        await redis.aclose()

    async def test_failed_calls_are_refunded(self, client: httpx.AsyncClient) -> None:
        headers = {"X-API-Key": QUOTA_KEY}
        # ml-service is down here: 503, and the reserved row goes back.
        assert (await client.post("/predict", json={}, headers=headers)).status_code == 503
        redis = make_redis(REDIS_URL)
        assert await usage_today(redis, 2) == 0
        await redis.aclose()

    async def test_batch_larger_than_the_quota_is_refused_before_any_work(
        self, client: httpx.AsyncClient
    ) -> None:
        batch = {"customers": [{"age": 30}] * 3}  # quota 2
        refused = await client.post("/predict/batch", json=batch, headers={"X-API-Key": QUOTA_KEY})
        assert refused.status_code == 429
        assert refused.json()["detail"] == "Daily API key quota exceeded: 2 rows left today"


class TestUnknownCredentials:
    async def test_unknown_keys_are_rate_limited_before_reaching_auth(
        self, client: httpx.AsyncClient, gateway_app: FastAPI, echo: FastAPI
    ) -> None:
        gateway_app.state.guard.settings.api_key_exchanges_per_ip_per_minute = 5
        try:
            before = echo.state.exchanges
            statuses = [
                (
                    await client.get("/profiles/", headers={"X-API-Key": f"seg_unknown{i:04d}"})
                ).status_code
                for i in range(8)
            ]
            assert statuses == [401] * 5 + [429] * 3
            assert echo.state.exchanges - before == 5
        finally:
            gateway_app.state.guard.settings.api_key_exchanges_per_ip_per_minute = 300

    async def test_a_refused_key_is_not_asked_again_and_garbage_never_is(
        self, client: httpx.AsyncClient, echo: FastAPI
    ) -> None:
        before = echo.state.exchanges
        for _ in range(5):
            response = await client.get("/profiles/", headers={"X-API-Key": "seg_refused0001"})
            assert response.status_code == 401
        for _ in range(5):
            response = await client.get("/profiles/", headers={"Authorization": "Bearer x"})
            assert response.status_code == 401
        assert echo.state.exchanges - before == 1

    async def test_invalid_tokens_are_rate_limited_per_address(
        self, client: httpx.AsyncClient, gateway_app: FastAPI
    ) -> None:
        gateway_app.state.guard.settings.bad_tokens_per_ip_per_minute = 3
        try:
            bad = {"Authorization": "Bearer a.b.c"}
            statuses = [(await client.get("/profiles/", headers=bad)).status_code for _ in range(5)]
            assert statuses == [401, 401, 401, 429, 429]
        finally:
            gateway_app.state.guard.settings.bad_tokens_per_ip_per_minute = 300


class TestKeyTokenCache:
    async def test_cached_key_token_follows_a_password_change_at_once(
        self, client: httpx.AsyncClient, echo: FastAPI
    ) -> None:
        headers = {"X-API-Key": VALID_KEY}
        assert (await client.get("/profiles/", headers=headers)).status_code == 200
        redis = make_redis(REDIS_URL)
        await asyncio.sleep(0.01)
        await invalidate_user_tokens(redis, 42, 600)  # e.g. the owner changed the password
        await redis.aclose()
        await asyncio.sleep(0.01)
        before = echo.state.exchanges
        assert (await client.get("/profiles/", headers=headers)).status_code == 200
        assert echo.state.exchanges - before == 1  # re-exchanged once, not 401 for 270 s
