"""Pooled keep-alive HTTP/1.1 connections from the gateway to the services.

The proxy's outgoing side: a request is written in one call (a streamed body in chunked
encoding, concurrently with reading the answer, so a batch can answer while it uploads);
answers are parsed by httptools (uvicorn's parser) and handed over whole when small or as
chunks with back-pressure when large. aiohttp did the same at ~26 % of the gateway's CPU
per proxied request (py-spy, README Performance); this does only what the proxy needs.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any, cast
from urllib.parse import urlsplit

import httptools

# A reused connection that breaks before any answer is retried once, for these only
# (RFC 9112 §9.3.1): the service may have acted on anything else.
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# Reading from a service pauses while this much of its answer waits for the client.
_HIGH_WATER = 1 << 20
# Idle connections are dropped before the services' uvicorn closes them (its keep-alive is
# 5 s): reusing one the service is closing would fail the request.
KEEPALIVE_SECONDS = 4.0


class UpstreamError(Exception):
    """The exchange with a service failed."""


class ConnectFailed(UpstreamError):
    """No connection to the service (refused, or none within the connect timeout)."""


class Disconnected(UpstreamError):
    """The connection broke, or the service's answer was not valid HTTP."""


class UpstreamTimeout(UpstreamError):
    """The exchange did not finish within its deadline."""


class _Connection(asyncio.Protocol):
    """One connection to a service, carrying one exchange at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._reading_paused = False
        self._writing_paused = False
        self._drained: asyncio.Future[None] | None = None
        self.closed = False
        self.idle_since = 0.0
        self.begin(head_only=False)

    def begin(self, head_only: bool) -> None:
        """Start an exchange (a HEAD's answer has no body)."""
        if self._reading_paused and self._transport is not None:
            self._reading_paused = False  # the last answer's unread rest is dropped below
            self._transport.resume_reading()
        self.busy = True
        self.head_only = head_only
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head: asyncio.Future[None] = self._loop.create_future()
        self.chunks: deque[bytes] = deque()
        self._buffered = 0
        self._waiter: asyncio.Future[None] | None = None
        self._informational = False
        self.received = False
        self.complete = False
        self.keep_alive = False
        self.error: UpstreamError | None = None

    # --- asyncio.Protocol ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if not self.busy:  # bytes on an idle connection: nothing can be trusted on it
            self.abort()
            return
        self.received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self.fail(Disconnected("the service's answer is not valid HTTP"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.complete:
            self._set_error(Disconnected("the service closed the connection"))
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    # --- httptools callbacks ------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:  # 100 Continue and friends: the real answer follows
            self._informational = True
            self.headers = []
            return
        self.status = status
        if not self.head.done():
            self.head.set_result(None)
        if self.head_only:  # a HEAD answer has no body, whatever its headers say
            self.complete = True
            self.closed = True  # the parser would wait for that body: never reuse
            self._wake()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self._buffered += len(body)
        if self._buffered > _HIGH_WATER and not self._reading_paused and self._transport:
            self._reading_paused = True
            self._transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self._informational:
            self._informational = False
            return
        self.complete = True
        self.keep_alive = self._parser.should_keep_alive()  # valid only until the next one
        self._wake()

    # --- the exchange -------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        if self.closed or self._transport is None:
            raise Disconnected("the service closed the connection")
        self._transport.write(data)

    async def drain(self) -> None:
        """Wait while the service is not reading what was written."""
        if self._writing_paused and not self.closed:
            self._drained = self._loop.create_future()
            await self._drained
        if self.closed:
            raise self.error or Disconnected("the service closed the connection")

    async def next_chunk(self) -> bytes | None:
        """The answer's next body chunk; None once it is complete."""
        while not self.chunks:
            if self.complete:
                return None
            if self.error is not None:
                raise self.error
            self._waiter = self._loop.create_future()
            await self._waiter
        chunk = self.chunks.popleft()
        self._buffered -= len(chunk)
        if self._reading_paused and self._buffered <= _HIGH_WATER // 2 and self._transport:
            self._reading_paused = False
            self._transport.resume_reading()
        return chunk

    def reusable(self) -> bool:
        return self.complete and self.keep_alive and not self.closed

    def fail(self, error: UpstreamError) -> None:
        """End the exchange with `error` and drop the connection."""
        self._set_error(error)
        self.abort()

    def abort(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.abort()

    def _set_error(self, error: UpstreamError) -> None:
        if self.error is None:
            self.error = error
        if not self.head.done():
            self.head.set_exception(self.error)
            self.head.exception()  # retrieved: an exchange that never awaits it logs nothing
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class UpstreamResponse:
    """A service's answer: status and headers now, the body by `read` or `iter_chunks`.

    The connection returns to the pool once the body was read to its end; `release`
    before that drops it.
    """

    def __init__(
        self,
        pool: UpstreamPool,
        service: str,
        connection: _Connection,
        timer: asyncio.TimerHandle,
        writer: asyncio.Task[None] | None,
    ) -> None:
        self.status = connection.status
        self.headers = connection.headers
        self._pool = pool
        self._service = service
        self._connection: _Connection | None = connection
        self._timer = timer
        self._writer = writer

    @property
    def content_length(self) -> int | None:
        """The answer's Content-Length, if it sent one."""
        for name, value in self.headers:
            if len(name) == 14 and name.lower() == b"content-length":
                return int(value) if value.isdigit() else None
        return None

    async def read(self) -> bytes:
        """The whole body."""
        return b"".join([chunk async for chunk in self.iter_chunks()])

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives."""
        connection = self._connection
        assert connection is not None, "the body was already read or released"
        try:
            while (chunk := await connection.next_chunk()) is not None:
                yield chunk
        finally:
            self.release()

    def release(self) -> None:
        """Hand the connection back (idle, if its exchange ended cleanly) or close it."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        self._timer.cancel()
        if self._writer is not None:
            if self._writer.done():
                if not self._writer.cancelled() and self._writer.exception() is not None:
                    connection.abort()  # the body broke off after the answer began
            else:
                self._writer.cancel()
                connection.abort()
        self._pool.put_back(self._service, connection)


class UpstreamPool:
    """Keep-alive connections per service, reused most-recent first."""

    def __init__(self, base_urls: dict[str, str], pool_size: int, connect_timeout: float) -> None:
        self.base_urls = base_urls
        self._addresses: dict[str, tuple[str, int, bytes]] = {}
        for service, url in base_urls.items():
            parts = urlsplit(url)
            port = parts.port or 80
            self._addresses[service] = (parts.hostname or "", port, parts.netloc.encode())
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._idle: dict[str, deque[_Connection]] = {s: deque() for s in base_urls}
        self._open: set[_Connection] = set()

    async def close(self) -> None:
        """Close every connection, idle or busy."""
        for connection in list(self._open):
            connection.abort()
        self._open.clear()
        for idle in self._idle.values():
            idle.clear()

    async def request(
        self,
        service: str,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | AsyncIterable[bytes],
        timeout: float,
    ) -> UpstreamResponse:
        """Send one request to `service` (path and query exactly as given in `target`)
        and return its answer once the status and headers arrived; the whole exchange,
        body included, must end within `timeout` seconds.

        An error raised by a streamed `body` while it is sent ends the exchange and
        propagates as it is.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        host, port, host_header = self._addresses[service]
        head = [f"{method} {target} HTTP/1.1\r\nhost: ".encode("latin-1"), host_header, b"\r\n"]
        for name, value in headers.items():
            head.append(f"{name}: {value}\r\n".encode("latin-1"))
        chunks: AsyncIterable[bytes] | None = None
        if isinstance(body, bytes):
            head.append(b"content-length: %d\r\n\r\n%b" % (len(body), body))
        else:
            head.append(b"transfer-encoding: chunked\r\n\r\n")
            chunks = body
        payload = b"".join(head)
        retry = chunks is None and method in _IDEMPOTENT
        while True:
            connection = self._idle_connection(service, loop.time())
            reused = connection is not None
            if connection is None:
                connection = await self._connect(service, host, port, deadline)
            connection.begin(head_only=method == "HEAD")
            timer = loop.call_at(deadline, connection.fail, UpstreamTimeout("timed out"))
            writer = None
            try:
                connection.write(payload)
                if chunks is None:
                    await connection.head
                else:
                    writer = loop.create_task(_send_chunked(connection, chunks))
                    await _head_or_body_error(connection, writer)
            except BaseException as exc:
                timer.cancel()
                connection.abort()
                self._open.discard(connection)
                if writer is not None:
                    writer.cancel()
                if isinstance(exc, Disconnected) and reused and retry and not connection.received:
                    retry = False
                    continue
                raise
            return UpstreamResponse(self, service, connection, timer, writer)

    async def get_json(self, service: str, path: str, timeout: float) -> tuple[int, Any]:
        """GET `path` of `service`: its status and decoded JSON body (ValueError if none)."""
        response = await self.request(service, "GET", path, {}, b"", timeout)
        return response.status, json.loads(await response.read())

    def put_back(self, service: str, connection: _Connection) -> None:
        """Keep a connection whose exchange ended cleanly; close any other."""
        idle = self._idle[service]
        connection.busy = False
        if connection.reusable() and len(idle) < self._pool_size:
            connection.idle_since = asyncio.get_running_loop().time()
            idle.append(connection)
        else:
            connection.abort()
            self._open.discard(connection)

    def _idle_connection(self, service: str, now: float) -> _Connection | None:
        idle = self._idle[service]
        while idle:  # newest first: a stale one means every older one is stale too
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < KEEPALIVE_SECONDS:
                return connection
            connection.abort()
            self._open.discard(connection)
        return None

    async def _connect(self, service: str, host: str, port: int, deadline: float) -> _Connection:
        loop = asyncio.get_running_loop()
        wait = min(self._connect_timeout, max(0.0, deadline - loop.time()))
        try:
            async with asyncio.timeout(wait):
                _, connection = await loop.create_connection(lambda: _Connection(loop), host, port)
        except (OSError, TimeoutError) as exc:
            raise ConnectFailed(f"{service}: {type(exc).__name__}") from None
        self._open.add(connection)
        # Connections idle past their keep-alive are closed as new ones open.
        for idle in self._idle.values():
            while idle and loop.time() - idle[0].idle_since >= KEEPALIVE_SECONDS:
                stale = idle.popleft()
                stale.abort()
                self._open.discard(stale)
        return connection


async def _send_chunked(connection: _Connection, body: AsyncIterable[bytes]) -> None:
    try:
        async for chunk in body:
            if chunk:
                connection.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                await connection.drain()
        connection.write(b"0\r\n\r\n")
    except BaseException:
        connection.abort()  # a half-sent body: the exchange is over
        raise


async def _head_or_body_error(connection: _Connection, writer: asyncio.Task[None]) -> None:
    """Wait for the answer's head while the body streams; the body's own error (a limit,
    a refused quota) wins over the broken connection it causes."""
    await asyncio.wait((connection.head, writer), return_when=asyncio.FIRST_COMPLETED)
    if writer.done() and not writer.cancelled() and (error := writer.exception()) is not None:
        raise error
    await connection.head
