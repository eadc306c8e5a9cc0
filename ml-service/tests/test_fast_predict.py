"""The POST /predict fast path answers exactly as the documented FastAPI route does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from ml_service.serving.fast_predict import PredictFastPath
from segshared.errors import REDIS_UNAVAILABLE
from segshared.redis_client import make_redis
from segshared.testing import TokenSigner, free_port
from starlette.types import Receive, Scope, Send

from .helpers import CUSTOMER, auth


def reference(app: FastAPI) -> httpx.AsyncClient:
    """A client of the same app built without the fast path (so FastAPI's route answers)."""
    middleware = list(app.user_middleware)
    app.user_middleware[:] = [m for m in middleware if m.cls is not PredictFastPath]
    try:
        stack = app.build_middleware_stack()
    finally:
        app.user_middleware[:] = middleware

    async def without_fast_path(scope: Scope, receive: Receive, send: Send) -> None:
        await stack({**scope, "app": app}, receive, send)

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=without_fast_path), base_url="http://ml"
    )


def shape(response: httpx.Response) -> tuple[int, Any]:
    body = response.json()
    if "model_version" in body:
        return response.status_code, {k: v for k, v in body.items() if k != "confidence"}
    return response.status_code, body


@pytest.mark.parametrize(
    ("content", "with_token"),
    [
        (CUSTOMER, True),
        ({**CUSTOMER, "age": 12, "spending_score": 0}, True),
        ({**CUSTOMER, "sex": "robot"}, True),
        ({k: v for k, v in CUSTOMER.items() if k != "age"}, True),
        ({**CUSTOMER, "annual_income": "lots"}, True),
        (b"{not json", True),
        (b"\xe9\xe9 not utf-8", True),
        (b"", True),
        (CUSTOMER, False),
    ],
)
async def test_fast_path_matches_the_route(
    client: httpx.AsyncClient, app: FastAPI, signer: TokenSigner, content: Any, with_token: bool
) -> None:
    headers = {**(auth(signer, 5) if with_token else {}), "Content-Type": "application/json"}
    kwargs = {"content": content} if isinstance(content, bytes) else {"json": content}
    fast = await client.post("/predict", headers=headers, **kwargs)
    async with reference(app) as ref_client:
        slow = await ref_client.post("/predict", headers=headers, **kwargs)
    assert shape(fast) == shape(slow)
    if fast.status_code == 401:
        assert fast.headers["www-authenticate"] == slow.headers["www-authenticate"] == "Bearer"


@pytest.fixture
async def redis_down(app: FastAPI) -> AsyncIterator[None]:
    """The app's Redis replaced by one nothing listens on (as when Redis is stopped)."""
    alive = app.state
    dead = make_redis(f"redis://127.0.0.1:{free_port()}/0")
    app.state = replace(alive, redis=dead)
    try:
        yield
    finally:
        await dead.aclose()
        app.state = alive


@pytest.mark.usefixtures("redis_down")
async def test_redis_down_answers_503_on_both_paths(
    client: httpx.AsyncClient, app: FastAPI, signer: TokenSigner
) -> None:
    fast = await client.post("/predict", headers=auth(signer, 5), json=CUSTOMER)
    async with reference(app) as ref_client:
        slow = await ref_client.post("/predict", headers=auth(signer, 5), json=CUSTOMER)
    assert fast.status_code == slow.status_code == 503
    assert fast.json() == slow.json() == {"detail": REDIS_UNAVAILABLE}
