"""The proxy forwards faithfully, enforces roles, and fails fast and closed."""

from __future__ import annotations

import time

import httpx
import pytest
from segshared.contracts.revocation import invalidate_user_tokens, revoke_jti
from segshared.redis_client import make_redis
from segshared.testing import TokenSigner

from .helpers import REDIS_URL


def bearer(signer: TokenSigner, role: str = "user", user_id: int = 1) -> dict[str, str]:
    return {"Authorization": f"Bearer {signer.token(user_id, role)}"}


class TestForwarding:
    async def test_public_route_forwards_method_path_query_body(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/auth/login?next=%2Fhome&x=1", json={"username": "ann"})
        assert response.status_code == 200
        echo = response.json()
        assert echo["method"] == "POST"
        assert echo["path"] == "/auth/login"
        assert echo["query"] == "next=%2Fhome&x=1"
        assert echo["body_head"] == '{"username":"ann"}'
        assert response.headers["x-upstream"] == "echo"

    async def test_request_id_is_assigned_and_forwarded(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/auth/login")
        request_id = response.headers["x-request-id"]
        assert request_id and response.json()["headers"]["x-request-id"] == request_id
        given = await client.get("/auth/login", headers={"X-Request-ID": "abc-123"})
        assert given.json()["headers"]["x-request-id"] == "abc-123"
        assert given.headers["x-request-id"] == "abc-123"

    @pytest.mark.parametrize(
        "spoofed", ["a" * 65, "abc 123", "abc_123", "trace\u00e9", "../../x", "id,other"]
    )
    async def test_malformed_request_id_is_replaced_by_a_minted_one(
        self, client: httpx.AsyncClient, spoofed: str
    ) -> None:
        """Review L6: only `[A-Za-z0-9-]{1,64}` is kept, on proxied and gateway routes alike."""
        headers = [("X-Request-ID", spoofed.encode("latin-1"))]
        proxied = await client.get("/auth/login", headers=headers)
        minted = proxied.headers["x-request-id"]
        assert minted != spoofed and len(minted) == 32 and minted.isalnum()
        assert proxied.json()["headers"]["x-request-id"] == minted
        own = await client.get("/", headers=headers)
        assert own.headers["x-request-id"] not in (spoofed, minted)
        assert len(own.headers["x-request-id"]) == 32

    async def test_a_second_request_id_header_is_not_kept(self, client: httpx.AsyncClient) -> None:
        headers = [("X-Request-ID", "first"), ("X-Request-ID", "second")]
        response = await client.get("/auth/login", headers=headers)
        assert response.headers["x-request-id"] not in ("first", "second")
        assert response.json()["headers"]["x-request-id"] == response.headers["x-request-id"]

    async def test_service_credential_from_clients_is_dropped(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/auth/login", headers={"X-Service-Token": "guess"})
        assert "x-service-token" not in response.json()["headers"]
        assert response.json()["headers"]["x-forwarded-for"] == "203.0.113.7"

    async def test_large_body_is_streamed_through(self, client: httpx.AsyncClient) -> None:
        body = b"a,b\n" + b"1,2\n" * 600_000  # ~2.4 MB: above the buffering limit
        response = await client.post("/auth/register", content=body)
        assert response.json()["body_length"] == len(body)

    async def test_large_response_is_streamed_back(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        response = await client.get("/profiles/stream", headers=bearer(signer))
        assert response.status_code == 200
        assert response.text.count("row-999") == 200


class TestEdgeAuthorization:
    async def test_missing_token_is_401_with_challenge(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/profiles/")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_garbage_token_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/profiles/", headers={"Authorization": "Bearer a.b.c"})
        assert response.status_code == 401

    @pytest.mark.parametrize(
        ("role", "path", "status"),
        [
            ("user", "/users/", 403),
            ("analyst", "/admin/stats", 403),
            ("user", "/train", 403),
            ("analyst", "/users/me", 200),
            ("admin", "/users/", 200),
            ("user", "/profiles/", 200),
        ],
    )
    async def test_route_minimum_role(
        self, client: httpx.AsyncClient, signer: TokenSigner, role: str, path: str, status: int
    ) -> None:
        response = await client.get(path, headers=bearer(signer, role))
        assert response.status_code == status

    async def test_revoked_jti_is_refused(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        token = signer.token(5)
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/profiles/", headers=headers)).status_code == 200
        claims = await signer.verifier().verify(token)
        redis = make_redis(REDIS_URL)
        await revoke_jti(redis, claims.jti, claims.expires_at)
        await redis.aclose()
        assert (await client.get("/profiles/", headers=headers)).status_code == 401

    async def test_tokens_before_valid_after_are_refused(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        headers = bearer(signer, user_id=9)
        redis = make_redis(REDIS_URL)
        await invalidate_user_tokens(redis, 9, 60)
        await redis.aclose()
        assert (await client.get("/profiles/", headers=headers)).status_code == 401


class TestFailures:
    async def test_dead_service_answers_503_fast(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        started = time.monotonic()
        response = await client.post("/predict", json={}, headers=bearer(signer))
        assert response.status_code == 503
        assert response.json() == {"detail": "ml service unavailable"}
        assert time.monotonic() - started < 3

    async def test_slow_service_answers_504_within_timeout(self, client: httpx.AsyncClient) -> None:
        started = time.monotonic()
        response = await client.get("/auth/register/slow")
        assert response.status_code == 504
        assert response.json() == {"detail": "auth service timed out"}
        assert time.monotonic() - started < 3

    async def test_internal_is_never_forwarded(self, client: httpx.AsyncClient) -> None:
        for path in ("/internal", "/internal/users/1/stats"):
            response = await client.get(path)
            assert response.status_code == 404
            assert response.json() == {"detail": "Not Found"}

    async def test_health_reports_dead_service(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/health")
        assert response.status_code == 503
        assert response.json()["status"] == "degraded"
        components = response.json()["components"]
        assert components["auth"]["status"] == "ok"
        assert components["ml"]["status"] == "error"
        assert {"gateway", "auth", "profile", "ml", "postgres", "redis", "model"} <= set(components)
