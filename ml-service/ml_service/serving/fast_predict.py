"""`POST /predict` without FastAPI's per-request machinery: same contract, same errors.

Single predictions are the platform's hottest call; dependency resolution and body
handling cost more than the prediction itself. This ASGI middleware (the innermost
one, so request ids and metrics still apply) serves exactly that route and passes
everything else on. The FastAPI route stays as the documented contract and the
reference the tests hold this path to.
"""

from __future__ import annotations

import json

import orjson
from pydantic import ValidationError
from segshared.contracts.customer import CustomerInput
from segshared.errors import (
    BODY_NOT_PARSED,
    REDIS_ERRORS,
    BadRequest,
    DomainError,
    PayloadTooLarge,
    Unauthorized,
    dependency_failure,
    error_response,
    from_validation_error,
    invalid_json,
    missing,
)
from segshared.tokens import bearer_token
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ml_service.serving import predictions

MAX_BODY = 64 * 1024


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge("Request body too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def parse_customer(body: bytes) -> CustomerInput:
    """The request body as a `CustomerInput`, or a FastAPI-shaped 422."""
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError as exc:
        # FastAPI reports the standard library's position and reason: ask it (error path only).
        try:
            json.loads(body)
        except json.JSONDecodeError as std:
            raise invalid_json(("body", std.pos), "JSON decode error", std.msg) from exc
        except ValueError:  # not UTF-8 text at all: FastAPI answers 400, and so do we
            raise BadRequest(BODY_NOT_PARSED) from exc
        raise invalid_json(("body", exc.pos), "JSON decode error", exc.msg) from exc
    if data is None:
        raise missing(("body",))
    try:
        return CustomerInput.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


class PredictFastPath:
    """Serves `POST /predict`; every other request goes to the FastAPI app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/predict" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        response: Response
        try:
            token = bearer_token(_header(scope, b"authorization"))
            if token is None:
                raise Unauthorized("Not authenticated")
            claims = await state.token_verifier.verify(token)
            customer = parse_customer(await _read_body(receive))
            payload = await predictions.predict_customer(
                state.store.require(), state.redis, customer, claims.user_id
            )
            response = Response(payload, media_type="application/json")
        except DomainError as exc:
            response = error_response(exc)
        except REDIS_ERRORS as exc:  # Redis down: 503 like the FastAPI route, not 500
            failure = dependency_failure(exc)
            assert failure is not None
            response = error_response(failure)
        await response(scope, receive, send)
