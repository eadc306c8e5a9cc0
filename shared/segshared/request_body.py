"""Reading a request body within a size limit, before anything parses it."""

from __future__ import annotations

from starlette.requests import Request

from segshared.errors import PayloadTooLarge


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` bytes (declared or counted
    while streamed), so an oversized body is never held whole or parsed."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"Request body larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"Request body larger than {limit} bytes")
    return bytes(body)
