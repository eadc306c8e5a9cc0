"""Domain errors and the one handler that renders them as `{"detail": ...}`.

Failures of a dependency (PostgreSQL, Redis) are domain errors too: `dependency_failure`
maps them to 503 (naming the dependency) or 409, so no outage or race answers 500.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import redis.exceptions
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
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


# What FastAPI answers (400) for a body it cannot even decode (e.g. not UTF-8).
BODY_NOT_PARSED = "There was an error parsing the body"


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


class InvalidField(Unprocessable):
    """A request field that breaks a rule checked in code rather than by its schema.

    Raised by services with the field's name; it answers FastAPI's own 422 item for
    that body field, so clients see one shape whichever check refused the value.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__([{"type": "value_error", "loc": ["body", field], "msg": message}])


class TooManyRequests(DomainError):
    status_code = 429
    default_detail = "Too many requests"

    def __init__(self, detail: Any = None, retry_after: int = 1) -> None:
        super().__init__(detail, {"Retry-After": str(max(1, int(retry_after)))})


class BadGateway(DomainError):
    status_code = 502
    default_detail = "Upstream service failed"


class ServiceUnavailable(DomainError):
    status_code = 503
    default_detail = "Service unavailable"


class GatewayTimeout(DomainError):
    status_code = 504
    default_detail = "Upstream service timed out"


DATABASE_UNAVAILABLE = "Database unavailable (postgres); try again shortly"
REDIS_UNAVAILABLE = "Redis unavailable; try again shortly"
# Seconds a client should wait when a connection pool is exhausted (a burst, not an outage).
POOL_RETRY_AFTER = 1
_DEFAULT_CONFLICT = "Conflicts with an existing record"
# SQLSTATEs: unique violation; serialization failure and deadlock (a concurrent change won).
_UNIQUE_VIOLATION = "23505"
_RETRYABLE = {"40001", "40P01"}
# asyncpg raises these unwrapped while connecting (SQLAlchemy wraps only DBAPI errors);
# Redis and the HTTP clients wrap their own, so in a service a bare one is PostgreSQL's.
_POSTGRES_CONNECT_ERRORS = (
    ConnectionError,
    socket.gaierror,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
)
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
DEPENDENCY_ERRORS: tuple[type[Exception], ...] = (
    *REDIS_ERRORS,
    sqlalchemy.exc.DBAPIError,
    sqlalchemy.exc.TimeoutError,
    *_POSTGRES_CONNECT_ERRORS,
)


def _sqlstate(exc: sqlalchemy.exc.DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def _constraint(exc: sqlalchemy.exc.DBAPIError) -> str | None:
    return getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)


def dependency_failure(
    exc: BaseException, conflicts: Mapping[str, str] | None = None
) -> DomainError | None:
    """The answer for a failed dependency call, or None when `exc` is not one.

    `conflicts` maps unique-index names to their 409 message (e.g. "Username already taken").
    """
    if isinstance(exc, REDIS_ERRORS):
        # A blocking pool that waited its whole timeout raises ConnectionError from a timeout.
        if isinstance(exc.__cause__, asyncio.TimeoutError):
            return ServiceUnavailable(
                "Redis connection pool exhausted; retry shortly",
                {"Retry-After": str(POOL_RETRY_AFTER)},
            )
        return ServiceUnavailable(REDIS_UNAVAILABLE)
    if isinstance(exc, sqlalchemy.exc.TimeoutError):
        return ServiceUnavailable(
            "Database connection pool exhausted (postgres); retry shortly",
            {"Retry-After": str(POOL_RETRY_AFTER)},
        )
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        state = _sqlstate(exc)
        if state == _UNIQUE_VIOLATION:
            return Conflict((conflicts or {}).get(_constraint(exc) or "", _DEFAULT_CONFLICT))
        if state in _RETRYABLE:
            return Conflict("A concurrent change got there first; try again")
        cause = getattr(exc.orig, "__cause__", None)
        if (
            exc.connection_invalidated
            or isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError)
            or isinstance(cause, _POSTGRES_CONNECT_ERRORS)
        ):
            return ServiceUnavailable(DATABASE_UNAVAILABLE)
        return None
    if isinstance(exc, _POSTGRES_CONNECT_ERRORS):
        return ServiceUnavailable(DATABASE_UNAVAILABLE)
    return None


def error_response(exc: DomainError) -> JSONResponse:
    """The `{"detail": ...}` answer of a domain error."""
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)


Loc = Sequence[str | int]


def field_errors(errors: Sequence[Mapping[str, Any]], prefix: Loc = ()) -> list[dict[str, Any]]:
    """Pydantic/FastAPI error items in the one 422 shape: type, loc, msg and a stringified
    ctx; never the input (it may hold a password) nor a docs url."""
    items = []
    for err in errors:
        item: dict[str, Any] = {
            "type": err["type"],
            "loc": [*prefix, *err["loc"]],
            "msg": err["msg"],
        }
        if "ctx" in err:
            item["ctx"] = {k: str(v) for k, v in err["ctx"].items()}
        items.append(item)
    return items


def validation_error(loc: Loc, msg: str, type_: str = "value_error") -> Unprocessable:
    """A 422 shaped like FastAPI's own list, for rules checked in code."""
    return Unprocessable([{"type": type_, "loc": list(loc), "msg": msg}])


def from_validation_error(exc: ValidationError, prefix: Loc = ("body",)) -> Unprocessable:
    """The 422 of a model validated in code (a fast path, a hand-parsed body)."""
    return Unprocessable(field_errors(exc.errors(include_url=False), prefix))


def invalid_json(
    loc: Loc = ("body",), msg: str = "Invalid JSON", reason: str | None = None
) -> Unprocessable:
    """The 422 of a body that is not JSON (`reason`: the parser's, as FastAPI's `ctx.error`)."""
    error = validation_error(loc, msg, "json_invalid")
    if reason is not None:
        error.detail[0]["ctx"] = {"error": reason}
    return error


def missing(loc: Loc) -> Unprocessable:
    """The 422 of a required field (or body) that is absent."""
    return validation_error(loc, "Field required", "missing")


async def _domain_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return error_response(exc)


async def _dependency_error_handler(request: Request, exc: Exception) -> JSONResponse:
    failure = dependency_failure(exc, getattr(request.app.state, "unique_conflicts", None))
    if failure is None:
        return await _unhandled_error_handler(request, exc)
    logger.warning(
        "%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, failure.detail
    )
    return error_response(failure)


async def _http_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    failure = DomainError(exc.detail, headers)
    failure.status_code = exc.status_code
    return error_response(failure)


async def _validation_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(Unprocessable(field_errors(exc.errors())))


async def _unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    failure = DomainError("Internal server error")
    failure.status_code = 500
    return error_response(failure)


def install_error_handlers(app: FastAPI) -> None:
    """Render every error as `{"detail": ...}`; never leak a stack trace."""
    app.add_exception_handler(DomainError, _domain_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    for dependency_error in DEPENDENCY_ERRORS:
        app.add_exception_handler(dependency_error, _dependency_error_handler)
    app.add_exception_handler(Exception, _unhandled_error_handler)


class ErrorBody(BaseModel):
    """Every error answer: a message, or FastAPI's list of field errors for a 422."""

    detail: str | list[dict[str, Any]]


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated (missing, invalid, expired or revoked credentials)",
    403: "Not enough permissions",
    404: "Not found (or not yours)",
    409: "Conflicts with existing data or a running operation",
    413: "Request body too large",
    422: "Invalid input",
    429: "Too many requests (see Retry-After)",
    502: "The upstream service failed mid-answer",
    503: "A dependency is unavailable (the detail names it); nothing was changed",
    504: "The upstream service timed out",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route can answer."""
    return {
        code: {"model": ErrorBody, "description": _DESCRIPTIONS.get(code, "Error")}
        for code in sorted(set(codes))
    }
