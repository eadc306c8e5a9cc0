"""Streaming reverse proxy to the services over the gateway's pooled upstream connections."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from segshared.errors import (
    BadGateway,
    GatewayTimeout,
    PayloadTooLarge,
    ServiceUnavailable,
)
from segshared.tracing import client_span
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.route_table import Route
from gateway.upstream import ConnectFailed, UpstreamError, UpstreamPool, UpstreamTimeout

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
    "expect",  # the gateway has the body already
}
_DROP_RESPONSE = {
    b"connection",
    b"keep-alive",
    b"transfer-encoding",
    b"te",
    b"trailer",
    b"upgrade",
    b"content-length",
    b"date",
    b"server",
}
# Bodies up to this size are buffered (cheaper than chunked streaming); larger stream.
_BUFFER_LIMIT = 1 << 20


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


async def _limited(
    stream: AsyncIterator[bytes], limit: int, check: ChunkCheck | None
) -> AsyncIterator[bytes]:
    """A streamed (chunked) request body, refused past `limit` bytes or by `check`."""
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if seen > limit:
            raise BodyTooLarge
        if check is not None:
            await check(chunk)
        yield chunk


async def _request_body(
    request: Request, limit: int, check: ChunkCheck | None
) -> bytes | AsyncIterator[bytes]:
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
    return _limited(request.stream(), limit, check)


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
    target = request.scope["raw_path"].decode("latin-1")
    if query := request.scope["query_string"]:
        target += "?" + query.decode("latin-1")
    try:
        data = body if body is not None else await _request_body(request, max_body, check)
        with client_span(request.method, pool.base_urls[route.service] + target, headers):
            upstream = await pool.request(
                route.service, request.method, target, headers, data, timeout
            )
    except BodyTooLarge:
        raise _too_large(max_body) from None
    except UpstreamTimeout:
        raise GatewayTimeout(f"{route.service} service timed out") from None
    except UpstreamError as exc:
        if not isinstance(exc, ConnectFailed):
            logger.warning("upstream %s failed: %s", route.service, exc)
        raise _unavailable(route) from None

    response_headers = [(k, v) for k, v in upstream.headers if k.lower() not in _DROP_RESPONSE]
    length = upstream.content_length
    if length is not None and length <= _BUFFER_LIMIT:
        try:
            content = await upstream.read()
        except UpstreamError:
            raise BadGateway(f"{route.service} service failed") from None
        response = Response(content, upstream.status)
        response.raw_headers = [*response_headers, (b"content-length", b"%d" % len(content))]
        return response

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.iter_chunks():
                yield chunk
        except UpstreamError as exc:
            logger.warning("upstream %s broke mid-stream: %s", route.service, exc)
        finally:
            upstream.release()

    streaming = StreamingResponse(relay(), upstream.status)
    streaming.raw_headers = response_headers
    return streaming
