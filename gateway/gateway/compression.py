"""gzip for JSON and CSV answers, for clients that accept it.

Kept off the proxy's hot path: a client that doesn't accept gzip costs one header
scan; a small body with a Content-Length (most API answers) is passed on untouched;
a streamed body is compressed chunk by chunk and flushed, never buffered whole.
"""

from __future__ import annotations

import zlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_COMPRESSIBLE = ("application/json", "text/csv")


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value allows gzip (`gzip` or `*`, not with q=0)."""
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip() not in ("gzip", "*"):
            continue
        q = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            if float(q) > 0:
                return True
        except ValueError:
            return False
    return False


class GzipJsonCsv:
    """Compresses `application/json` and `text/csv` responses of at least `minimum_size`."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1024, level: int = 6) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.level = level

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        if not accepts_gzip(Headers(scope=scope).get("accept-encoding", "")):
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _GzipSender(send, self.minimum_size, self.level).send)


class _GzipSender:
    """Decides at the response start, then passes through or compresses each chunk."""

    def __init__(self, send: Send, minimum_size: int, level: int) -> None:
        self._send = send
        self._minimum_size = minimum_size
        self._level = level
        self._start: Message | None = None
        self._passthrough = False
        self._compressor: zlib._Compress | None = None

    async def send(self, message: Message) -> None:
        if self._passthrough:
            await self._send(message)
        elif message["type"] == "http.response.start":
            self._start = message
            headers = Headers(raw=message["headers"])
            length = headers.get("content-length")
            self._passthrough = (
                "content-encoding" in headers
                or not headers.get("content-type", "").startswith(_COMPRESSIBLE)
                or (length is not None and int(length) < self._minimum_size)
            )
            if self._passthrough:
                await self._send(message)
        elif message["type"] == "http.response.body":
            await self._body(message)
        else:
            await self._send(message)

    async def _body(self, message: Message) -> None:
        assert self._start is not None
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        if self._compressor is None:
            if not more and len(body) < self._minimum_size:
                await self._send(self._start)
                await self._send(message)
                self._passthrough = True
                return
            self._compressor = zlib.compressobj(self._level, zlib.DEFLATED, 31)
            headers = MutableHeaders(raw=self._start["headers"])
            headers["content-encoding"] = "gzip"
            headers.add_vary_header("Accept-Encoding")
            if more:
                del headers["content-length"]
            else:
                compressed = self._compressor.compress(body) + self._compressor.flush()
                headers["content-length"] = str(len(compressed))
                await self._send(self._start)
                await self._send({"type": "http.response.body", "body": compressed})
                return
            await self._send(self._start)
        chunk = self._compressor.compress(body)
        chunk += self._compressor.flush(zlib.Z_SYNC_FLUSH if more else zlib.Z_FINISH)
        await self._send({"type": "http.response.body", "body": chunk, "more_body": more})
