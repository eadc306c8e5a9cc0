"""The gateway's upstream connections: kept alive and reused, a reused connection that
broke before any answer retried for idempotent methods only, a streamed body's own error
winning over the broken connection, bounded exchanges, and batched admission."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from gateway.proxy import BodyTooLarge
from gateway.upstream import Disconnected, UpstreamPool, UpstreamTimeout
from segshared.redis_client import make_redis
from segshared.testing import TokenSigner

from .helpers import REDIS_URL

OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"


class OneAnswerServer:
    """A raw HTTP/1.1 server that answers the first request of each connection (keeping it
    open, as keep-alive allows) and closes the connection without a word on the second, as
    a service closing an idle connection just as a request arrives."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            self.requests += 1
            writer.write(OK)
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")
            self.requests += 1
        except asyncio.IncompleteReadError:
            pass
        writer.close()


@pytest.fixture
async def one_answer() -> AsyncIterator[tuple[OneAnswerServer, str]]:
    server = OneAnswerServer()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield server, f"http://127.0.0.1:{port}"


async def exchange(pool: UpstreamPool, method: str, body: bytes = b"") -> tuple[int, bytes]:
    response = await pool.request("svc", method, "/x", {}, body, 2.0)
    return response.status, await response.read()


class TestConnections:
    async def test_sequential_requests_share_one_connection(self, upstream_url: str) -> None:
        pool = UpstreamPool({"svc": upstream_url}, 10, 1.0)
        try:
            ports = set()
            for _ in range(5):
                status, body = await exchange(pool, "GET")
                assert status == 200
                ports.add(httpx.Response(200, content=body).json()["peer_port"])
            assert len(ports) == 1
        finally:
            await pool.close()

    async def test_get_on_a_connection_closed_under_it_is_retried_once(
        self, one_answer: tuple[OneAnswerServer, str]
    ) -> None:
        server, url = one_answer
        pool = UpstreamPool({"svc": url}, 10, 1.0)
        try:
            assert await exchange(pool, "GET") == (200, b"ok")
            assert await exchange(pool, "GET") == (200, b"ok")  # reused, dropped, retried
            assert (server.connections, server.requests) == (2, 3)
        finally:
            await pool.close()

    async def test_post_on_a_connection_closed_under_it_is_not_repeated(
        self, one_answer: tuple[OneAnswerServer, str]
    ) -> None:
        server, url = one_answer
        pool = UpstreamPool({"svc": url}, 10, 1.0)
        try:
            assert await exchange(pool, "POST", b"{}") == (200, b"ok")
            with pytest.raises(Disconnected):
                await exchange(pool, "POST", b"{}")  # the service may have acted on it
            assert (server.connections, server.requests) == (1, 2)
        finally:
            await pool.close()

    async def test_head_answer_ends_without_a_body(self, upstream_url: str) -> None:
        pool = UpstreamPool({"svc": upstream_url}, 10, 1.0)
        try:
            async with asyncio.timeout(2):
                status, body = await exchange(pool, "HEAD")
            assert (status, body) == (405, b"")  # a Content-Length, but no body
            assert (await exchange(pool, "GET"))[0] == 200  # and the pool still works
        finally:
            await pool.close()

    async def test_exchange_past_its_deadline_times_out(self, upstream_url: str) -> None:
        pool = UpstreamPool({"svc": upstream_url}, 10, 1.0)
        try:
            with pytest.raises(UpstreamTimeout):
                await pool.request("svc", "GET", "/profiles/slow", {}, b"", 0.1)
        finally:
            await pool.close()

    async def test_a_streamed_bodys_own_error_is_what_the_caller_sees(
        self, upstream_url: str
    ) -> None:
        async def body() -> AsyncIterator[bytes]:
            yield b"x" * 1024
            raise BodyTooLarge

        pool = UpstreamPool({"svc": upstream_url}, 10, 1.0)
        try:
            with pytest.raises(BodyTooLarge):
                await pool.request("svc", "POST", "/x", {}, body(), 2.0)
            assert (await exchange(pool, "GET"))[0] == 200
        finally:
            await pool.close()


class TestBatchedAdmission:
    async def test_concurrent_requests_are_each_admitted_and_counted(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        headers = {"Authorization": f"Bearer {signer.token(77)}"}
        responses = await asyncio.gather(
            *(client.get("/profiles/", headers=headers) for _ in range(60))
        )
        statuses = sorted(r.status_code for r in responses)
        # RATE_LIMIT_USER_PER_MINUTE is 50 in these tests: exactly 50 pass.
        assert statuses == [200] * 50 + [429] * 10

    async def test_a_redis_that_forgot_the_script_still_admits(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        redis = make_redis(REDIS_URL)
        try:
            await redis.script_flush()
        finally:
            await redis.aclose()
        response = await client.get(
            "/profiles/", headers={"Authorization": f"Bearer {signer.token(78)}"}
        )
        assert response.status_code == 200
