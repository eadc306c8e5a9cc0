"""Redis down or its pool exhausted: the edge answers 503 naming Redis, never 500; a burst
beyond the pool waits for a connection; an oversized chunked body is 413."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
from fastapi import FastAPI
from gateway.main import create_app
from gateway.settings import GatewaySettings
from segshared.testing import TokenSigner, free_port

from .helpers import REDIS_URL

GatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def gateway_with(upstream_url: str, signer: TokenSigner) -> GatewayFactory:
    @asynccontextmanager
    async def running(**overrides: object) -> AsyncIterator[httpx.AsyncClient]:
        settings = GatewaySettings(
            **{
                "redis_url": REDIS_URL,
                "auth_service_url": upstream_url,
                "profile_service_url": upstream_url,
                "ml_service_url": upstream_url,
                "service_token": "gw-test-token",
                **overrides,
            }
        )
        app: FastAPI = create_app(settings, token_verifier=signer.verifier())
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5555))
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
                http.app = app  # type: ignore[attr-defined]
                yield http

    return running


class TestRedisDown:
    async def test_proxied_requests_answer_503_naming_redis(
        self, upstream_url: str, signer: TokenSigner
    ) -> None:
        dead = f"redis://127.0.0.1:{free_port()}/0"
        async with gateway_with(upstream_url, signer)(redis_url=dead) as client:
            bearer = {"Authorization": f"Bearer {signer.token(5)}"}
            for response in (
                await client.get("/profiles/", headers=bearer),  # authenticated admission
                await client.post("/auth/login", json={}),  # public route's IP counter
            ):
                assert response.status_code == 503
                assert "redis" in response.json()["detail"].lower()


class TestRedisPool:
    async def test_burst_beyond_the_pool_waits_instead_of_failing(
        self, upstream_url: str, signer: TokenSigner
    ) -> None:
        async with gateway_with(upstream_url, signer)(redis_pool_size=2) as client:
            bearer = {"Authorization": f"Bearer {signer.token(6)}"}
            responses = await asyncio.gather(
                *(client.get("/profiles/", headers=bearer) for _ in range(60))
            )
        assert [r.status_code for r in responses] == [200] * 60

    async def test_exhausted_pool_answers_503_with_retry_after(
        self, upstream_url: str, signer: TokenSigner
    ) -> None:
        async with gateway_with(upstream_url, signer)(
            redis_pool_size=1, redis_pool_timeout_seconds=0.2
        ) as client:
            # Hold the only connection in a blocking pop, as a stuck command would.
            held = asyncio.create_task(client.app.state.redis.blpop(["gw-test:never"], timeout=2))  # type: ignore[attr-defined]
            await asyncio.sleep(0.1)
            response = await client.get(
                "/profiles/", headers={"Authorization": f"Bearer {signer.token(7)}"}
            )
            await held
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert "redis" in response.json()["detail"].lower()


class TestChunkedBody:
    async def test_chunked_body_over_the_limit_is_413(
        self, upstream_url: str, signer: TokenSigner
    ) -> None:
        def chunks(count: int) -> AsyncIterator[bytes]:
            async def stream() -> AsyncIterator[bytes]:
                for _ in range(count):
                    yield b"x" * 64 * 1024  # no Content-Length: sent chunked

            return stream()

        async with gateway_with(upstream_url, signer)(max_body_bytes=1024 * 1024) as client:
            over = await client.post("/auth/register", content=chunks(40))
            under = await client.post("/auth/register", content=chunks(8))
        assert over.status_code == 413
        assert over.json() == {"detail": "Request body larger than 1048576 bytes"}
        assert under.status_code == 200 and under.json()["body_length"] == 8 * 64 * 1024
