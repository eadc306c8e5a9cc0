"""API keys, quota, rate limits, body limits, CORS and security headers at the edge."""

from __future__ import annotations

import httpx
from segshared.contracts.revocation import revoked_api_key_key
from segshared.redis_client import make_redis
from segshared.testing import TokenSigner, record_usage

from .helpers import QUOTA_KEY, REDIS_URL, VALID_KEY


class TestApiKeys:
    async def test_api_key_header_is_exchanged_for_a_bearer_token(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/profiles/", headers={"X-API-Key": VALID_KEY})
        assert response.status_code == 200
        forwarded = response.json()["headers"]
        assert forwarded["authorization"].startswith("Bearer ey")
        assert "x-api-key" not in forwarded

    async def test_api_key_as_bearer_works_too(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/profiles/", headers={"Authorization": f"Bearer {VALID_KEY}"})
        assert response.status_code == 200

    async def test_unknown_key_is_401_with_challenge(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/profiles/", headers={"X-API-Key": "seg_nope_nope"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_revoked_key_stops_at_once(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/profiles/", headers={"X-API-Key": VALID_KEY})).status_code == 200
        redis = make_redis(REDIS_URL)
        await redis.set(revoked_api_key_key(1), "1")
        await redis.aclose()
        assert (await client.get("/profiles/", headers={"X-API-Key": VALID_KEY})).status_code == 401

    async def test_quota_exhausted_is_429_until_midnight(self, client: httpx.AsyncClient) -> None:
        headers = {"X-API-Key": QUOTA_KEY}
        redis = make_redis(REDIS_URL)
        await record_usage(redis, 2, 1)
        assert (await client.get("/profiles/", headers=headers)).status_code == 200
        assert (await client.post("/auth/register", headers=headers)).status_code == 200
        await record_usage(redis, 2, 1)
        await redis.aclose()
        limited = await client.post("/predict", json={}, headers=headers)
        assert limited.status_code == 429
        assert limited.json()["detail"] == "Daily API key quota exceeded: 0 rows left today"
        assert 0 < int(limited.headers["retry-after"]) <= 86400
        # Quota meters prediction routes only.
        assert (await client.get("/profiles/", headers=headers)).status_code == 200


class TestLimits:
    async def test_per_user_rate_limit(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        headers = {"Authorization": f"Bearer {signer.token(77)}"}
        statuses = [
            (await client.get("/profiles/", headers=headers)).status_code for _ in range(52)
        ]
        assert statuses[:50] == [200] * 50
        assert statuses[-1] == 429
        other = {"Authorization": f"Bearer {signer.token(78)}"}
        assert (await client.get("/profiles/", headers=other)).status_code == 200

    async def test_oversized_body_is_413(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/auth/register", content=b"x" * (3 * 1024 * 1024 + 1))
        assert response.status_code == 413


class TestHeaders:
    async def test_security_headers(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"

    async def test_cors_allows_configured_origin_only(self, client: httpx.AsyncClient) -> None:
        preflight = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}
        allowed = await client.options("/predict", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
        denied = await client.options(
            "/predict", headers={**preflight, "Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in denied.headers
