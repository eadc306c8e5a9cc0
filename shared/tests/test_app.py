"""App assembly: the lifespan's typed state is `app.state` while the app runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import FrozenInstanceError, dataclass

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from segshared.app import AppState, build_app
from segshared.settings import ServiceSettings
from segshared.testing import TokenSigner


@dataclass(frozen=True)
class DemoState(AppState[ServiceSettings]):
    greeting: str


async def test_the_lifespan_state_is_app_state_until_shutdown(redis: Redis) -> None:
    settings = ServiceSettings(environment="test")
    verifier = TokenSigner().verifier()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[DemoState]:
        checks = {"redis": redis.ping}
        yield DemoState(settings, redis, verifier, checks, greeting="hello")

    app = build_app("demo", "1", settings, lifespan)

    @app.get("/greeting")
    async def greeting() -> dict[str, str]:
        return {"greeting": app.state.greeting}

    before = app.state
    async with app.router.lifespan_context(app):
        state = app.state
        assert isinstance(state, DemoState) and state.token_verifier is verifier
        with pytest.raises(FrozenInstanceError):
            state.greeting = "changed"  # type: ignore[misc]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            assert (await client.get("/greeting")).json() == {"greeting": "hello"}
            ready = await client.get("/ready")
            assert ready.status_code == 200
            assert ready.json()["components"]["redis"]["status"] == "ok"
    assert app.state is before
