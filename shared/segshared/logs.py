"""JSON logging that carries the request id (and trace id), and the middleware that sets it."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from contextvars import ContextVar
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from segshared.tracing import trace_log_fields

REQUEST_ID_HEADER = "X-Request-ID"
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_SENSITIVE_KEYS = ("password", "token", "secret", "authorization", "api_key", "key")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request and trace ids, extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            payload["request_id"] = request_id
        trace_ids = trace_log_fields()
        if trace_ids:
            payload["trace_id"], payload["span_id"] = trace_ids
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            payload.update(
                {
                    k: ("[redacted]" if any(s in k.lower() for s in _SENSITIVE_KEYS) else v)
                    for k, v in extra.items()
                }
            )
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(payload, default=str).decode()


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every logger's records to stdout as JSON lines."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log costs a line per request on the hot path; errors still log.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every URL at INFO: noise on hot paths, and URLs may carry secrets.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


# A client's id is kept only if it looks like one (review L6): otherwise a client could
# choose ids that collide with or impersonate other requests' traces.
_VALID_REQUEST_ID = re.compile(rb"[A-Za-z0-9-]{1,64}")


class RequestIdMiddleware:
    """Take a well-formed `X-Request-ID` (`[A-Za-z0-9-]{1,64}`) from the request, else
    assign one (replacing the client's), and echo it on the response.

    `extra_headers` are added to every response too (one send wrapper instead of two).
    """

    def __init__(
        self, app: ASGIApp, extra_headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        self.app = app
        self.extra_headers = extra_headers or []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = [value for name, value in scope["headers"] if name == b"x-request-id"]
        if len(given) == 1 and _VALID_REQUEST_ID.fullmatch(given[0]):
            request_id = given[0].decode("ascii")
        else:
            request_id = os.urandom(16).hex()  # as unique as uuid4, a fraction of the cost
            headers = [h for h in scope["headers"] if h[0] != b"x-request-id"]
            scope["headers"] = [*headers, (b"x-request-id", request_id.encode())]
        token = request_id_var.set(request_id)
        raw_id = request_id.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != b"x-request-id"]
                headers.append((b"x-request-id", raw_id))
                headers.extend(self.extra_headers)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
