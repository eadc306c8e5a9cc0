"""Every error leaves as {"detail": ...}; 401s carry WWW-Authenticate; no stack traces."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, Field
from segshared.errors import (
    Conflict,
    InvalidField,
    TooManyRequests,
    Unauthorized,
    install_error_handlers,
)


class Body(BaseModel):
    password: str
    age: int = Field(ge=18)


def build() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("Username already taken")

    @app.get("/unauthorized")
    async def unauthorized() -> None:
        raise Unauthorized()

    @app.get("/limited")
    async def limited() -> None:
        raise TooManyRequests("slow down", retry_after=42)

    @app.get("/invalid-field")
    async def invalid_field() -> None:
        raise InvalidField("k_min", "k_min must not exceed k_max")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @app.post("/validate")
    async def validate(body: Body) -> None:
        return None

    return app


async def call(method: str, path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=build(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, path, **kwargs)  # type: ignore[arg-type]


class TestErrorRendering:
    async def test_domain_error_keeps_status_and_detail(self) -> None:
        response = await call("GET", "/conflict")
        assert response.status_code == 409
        assert response.json() == {"detail": "Username already taken"}

    async def test_unauthorized_carries_bearer_challenge(self) -> None:
        response = await call("GET", "/unauthorized")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_rate_limit_carries_retry_after(self) -> None:
        response = await call("GET", "/limited")
        assert response.status_code == 429 and response.headers["retry-after"] == "42"

    async def test_invalid_field_answers_the_422_item_of_that_body_field(self) -> None:
        response = await call("GET", "/invalid-field")
        assert response.status_code == 422
        assert response.json() == {
            "detail": [
                {
                    "type": "value_error",
                    "loc": ["body", "k_min"],
                    "msg": "k_min must not exceed k_max",
                }
            ]
        }

    async def test_unhandled_error_is_a_plain_500(self) -> None:
        response = await call("GET", "/boom")
        assert response.status_code == 500
        assert response.json() == {"detail": "Internal server error"}
        assert "secret" not in response.text

    async def test_validation_keeps_list_and_never_echoes_input(self) -> None:
        response = await call("POST", "/validate", json={"password": "hunter2", "age": 3})
        assert response.status_code == 422
        detail = response.json()["detail"]
        assert isinstance(detail, list) and detail[0]["loc"] == ["body", "age"]
        assert "hunter2" not in response.text
