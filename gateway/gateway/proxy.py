"""Streaming reverse proxy to the services over a pooled aiohttp session.

aiohttp is used for the outgoing side because plain httpx measured ~8x fewer
proxied requests/s on this machine (ARCHITECTURE.md, decision 7).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
from segshared.errors import (
    BadGateway,
    DomainError,
    GatewayTimeout,
    PayloadTooLarge,
    ServiceUnavailable,
)
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from yarl import URL

from gateway.route_table import Route

logger = logging.getLogger("gateway.proxy")

# Hop-by-hop headers (RFC 9110 §7.6.1) and ones we set ourselves.
_DROP_REQUEST = {
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "x-service-token",
    "x-forwarded-for",
    "x-api-key",
    "authorization",
}
_DROP_RESPONSE = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "date",
    "server",
}
# Bodies up to this size are buffered (cheaper than chunked streaming); larger stream.
_BUFFER_LIMIT = 1 << 20
# Idle pooled connections are dropped before the services' uvicorn closes them (its
# keep-alive is 5 s): reusing one the service is closing fails the request (a 503 after
# a burst left many idle connections).
_KEEPALIVE_SECONDS = 4.0


class UpstreamPool:
    """One pooled client session per gateway process, with per-service base URLs."""

    def __init__(self, base_urls: dict[str, str], pool_size: int, connect_timeout: float) -> None:
        self.base_urls = base_urls
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the connection pool (inside the running loop)."""
        connector = aiohttp.TCPConnector(
            limit=self._pool_size,
            limit_per_host=self._pool_size,
            ttl_dns_cache=300,
            keepalive_timeout=_KEEPALIVE_SECONDS,
        )
        self._session = aiohttp.ClientSession(
            connector=connector, auto_decompress=False, skip_auto_headers=("User-Agent",)
        )

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "UpstreamPool.start() was not awaited"
        return self._session

    def timeout(self, total: float) -> aiohttp.ClientTimeout:
        """Connect fast (a dead service answers 503 quickly), read within `total`."""
        return aiohttp.ClientTimeout(total=total, sock_connect=self._connect_timeout)


class BodyTooLarge(Exception):
    """The request body exceeds the route's limit."""


ChunkCheck = Callable[[bytes], Awaitable[None]]


def forward_headers(request: Request, token: str | None, client_ip: str) -> dict[str, str]:
    """End-to-end headers, the caller's bearer token (an API key replaced by its token),
    and the client address as the gateway resolved it (never the client's own claim)."""
    headers = {k: v for k, v in request.headers.items() if k not in _DROP_REQUEST}
    headers["x-forwarded-for"] = client_ip
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return headers


class _LimitedBody:
    """A streamed (chunked) request body, refused past `limit` bytes or by `check`.

    aiohttp reports an error raised inside a streamed body as a connection error, so
    `exceeded` and `refusal` are what tell "too large" (413) or the check's own answer
    (a quota's 429) from "upstream unreachable" (503).
    """

    def __init__(self, stream: AsyncIterator[bytes], limit: int, check: ChunkCheck | None) -> None:
        self._stream = stream
        self._limit = limit
        self._check = check
        self.exceeded = False
        self.refusal: DomainError | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._stream:
            seen += len(chunk)
            if seen > self._limit:
                self.exceeded = True
                raise BodyTooLarge
            if self._check is not None:
                try:
                    await self._check(chunk)
                except DomainError as exc:
                    self.refusal = exc
                    raise
            yield chunk


async def _request_body(
    request: Request, limit: int, check: ChunkCheck | None
) -> bytes | _LimitedBody:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit():
        if int(length) > limit:
            raise BodyTooLarge
        if int(length) <= _BUFFER_LIMIT:
            body = await request.body()
            if check is not None:
                await check(body)
            return body
    elif "transfer-encoding" not in request.headers:
        return b""
    return _LimitedBody(request.stream(), limit, check)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Request body larger than {limit} bytes")


def _unavailable(route: Route) -> ServiceUnavailable:
    return ServiceUnavailable(f"{route.service} service unavailable")


async def forward(
    pool: UpstreamPool,
    request: Request,
    route: Route,
    headers: dict[str, str],
    timeout: float,
    max_body: int,
    *,
    body: bytes | None = None,
    check: ChunkCheck | None = None,
) -> Response:
    """Send the request to the route's service and relay its answer (streamed if large).

    `body` replaces the request's own (already read by the caller); `check` sees every
    chunk of the request body as it streams and may stop it by raising a `DomainError`.
    """
    # Forward the path and query exactly as received (no re-encoding).
    raw = pool.base_urls[route.service] + request.scope["raw_path"].decode("latin-1")
    query = request.scope["query_string"].decode("latin-1")
    url = URL(raw + "?" + query if query else raw, encoded=True)
    try:
        data = body if body is not None else await _request_body(request, max_body, check)
    except BodyTooLarge:
        raise _too_large(max_body) from None
    try:
        upstream = await pool.session.request(
            request.method,
            url,
            headers=headers,
            data=data,
            timeout=pool.timeout(timeout),
            allow_redirects=False,
        )
    except aiohttp.ConnectionTimeoutError:
        raise _unavailable(route) from None
    except TimeoutError:  # before OSError: TimeoutError is one
        raise GatewayTimeout(f"{route.service} service timed out") from None
    except (aiohttp.ClientConnectionError, OSError) as exc:
        if isinstance(data, _LimitedBody) and data.exceeded:
            raise _too_large(max_body) from None
        if isinstance(data, _LimitedBody) and data.refusal is not None:
            raise data.refusal from None
        logger.warning("upstream %s unreachable: %s", route.service, type(exc).__name__)
        raise _unavailable(route) from None

    response_headers = [
        (k, v) for k, v in upstream.headers.items() if k.lower() not in _DROP_RESPONSE
    ]
    length = upstream.content_length
    if length is not None and length <= _BUFFER_LIMIT:
        try:
            content = await upstream.read()
        except (aiohttp.ClientError, TimeoutError):
            raise BadGateway(f"{route.service} service failed") from None
        finally:
            upstream.release()
        response = Response(content, upstream.status)
        response.raw_headers = [
            *[(k.lower().encode(), v.encode()) for k, v in response_headers],
            (b"content-length", str(len(content)).encode()),
        ]
        return response

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.content.iter_chunked(64 * 1024):
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            logger.warning("upstream %s broke mid-stream: %s", route.service, type(exc).__name__)
        finally:
            upstream.release()

    streaming = StreamingResponse(relay(), upstream.status)
    streaming.raw_headers = [
        *[(k.lower().encode(), v.encode()) for k, v in response_headers],
    ]
    return streaming
