"""Domain errors and the one handler that renders them as `{"detail": ...}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("segshared.errors")


class DomainError(Exception):
    """A business-rule failure carrying the HTTP status it maps to."""

    status_code = 400
    default_detail: Any = "Bad request"

    def __init__(
        self,
        detail: Any = None,
        headers: dict[str, str] | None = None,
        *,
        keep_changes: bool = False,
    ) -> None:
        self.detail = self.default_detail if detail is None else detail
        self.headers = headers
        # The request's transaction commits anyway (e.g. an audit entry of a failed login).
        self.keep_changes = keep_changes
        super().__init__(str(self.detail))


class BadRequest(DomainError):
    status_code = 400


class Unauthorized(DomainError):
    status_code = 401
    default_detail = "Could not validate credentials"

    def __init__(
        self,
        detail: Any = None,
        headers: dict[str, str] | None = None,
        *,
        keep_changes: bool = False,
    ) -> None:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
        super().__init__(detail, headers, keep_changes=keep_changes)


class Forbidden(DomainError):
    status_code = 403
    default_detail = "Not enough permissions"


class NotFound(DomainError):
    status_code = 404
    default_detail = "Not found"


class Conflict(DomainError):
    status_code = 409
    default_detail = "Conflict"


class PayloadTooLarge(DomainError):
    status_code = 413
    default_detail = "Payload too large"


class Unprocessable(DomainError):
    status_code = 422
    default_detail = "Unprocessable entity"


class TooManyRequests(DomainError):
    status_code = 429
    default_detail = "Too many requests"

    def __init__(self, detail: Any = None, retry_after: int = 1) -> None:
        super().__init__(detail, {"Retry-After": str(max(1, int(retry_after)))})


class ServiceUnavailable(DomainError):
    status_code = 503
    default_detail = "Service unavailable"


def validation_error(loc: list[str | int], msg: str, type_: str = "value_error") -> Unprocessable:
    """A 422 shaped like FastAPI's own list, for rules checked in code."""
    return Unprocessable([{"type": type_, "loc": loc, "msg": msg, "input": None}])


async def _domain_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)


async def _http_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=headers)


async def _validation_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {k: v for k, v in err.items() if k != "ctx" and k != "url"}
        | ({"ctx": {k: str(v) for k, v in err["ctx"].items()}} if "ctx" in err else {})
        for err in exc.errors()
    ]
    # Inputs may hold passwords: never echo them back.
    for err in errors:
        err.pop("input", None)
    return JSONResponse({"detail": errors}, 422)


async def _unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "Internal server error"}, 500)


def install_error_handlers(app: FastAPI) -> None:
    """Render every error as `{"detail": ...}`; never leak a stack trace."""
    app.add_exception_handler(DomainError, _domain_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(Exception, _unhandled_error_handler)
