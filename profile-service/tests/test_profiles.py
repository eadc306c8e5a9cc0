"""Profiles: CRUD, owner-only access, search, paging, quick predict."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from profile_service.deps import ml_client
from segshared.internal_client import InternalClient
from segshared.testing import TokenSigner

from .helpers import CUSTOMER, SERVICE_TOKEN, auth


async def create(client: httpx.AsyncClient, headers: dict[str, str], **fields: object) -> dict:
    response = await client.post(
        "/profiles/", json={"name": "Jane", **CUSTOMER, **fields}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


class TestProfileCrud:
    async def test_create_returns_the_profile(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        body = await create(client, auth(signer, 1), sex="female", notes="VIP")
        assert body["user_id"] == 1 and body["sex"] == "Female" and body["notes"] == "VIP"
        assert set(body) == {
            "id",
            "user_id",
            "name",
            "notes",
            "sex",
            "age",
            "annual_income",
            "spending_score",
            "purchase_frequency",
            "created_at",
            "updated_at",
        }

    @pytest.mark.parametrize(
        "bad",
        [
            {"name": ""},
            {"name": "x" * 256},
            {"notes": "x" * 2001},
            {"age": 17},
            {"age": 101},
            {"annual_income": -1},
            {"annual_income": 10001},
            {"spending_score": 0},
            {"purchase_frequency": 366},
            {"sex": "other"},
        ],
    )
    async def test_out_of_range_fields_are_422(
        self, client: httpx.AsyncClient, signer: TokenSigner, bad: dict
    ) -> None:
        response = await client.post(
            "/profiles/", json={"name": "J", **CUSTOMER, **bad}, headers=auth(signer, 1)
        )
        assert response.status_code == 422
        assert isinstance(response.json()["detail"], list)

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("GET", "/profiles/400242058371482451422706925568", None),
            ("GET", f"/profiles/{2**31}", None),
            ("GET", f"/profiles/?skip={2**63}", None),
            ("GET", "/profiles/?q=a%00b", None),
            ("POST", "/profiles/", {"name": "a\u0000b", **CUSTOMER}),
            ("PUT", "/profiles/1", {"notes": "\u0000"}),
            ("DELETE", f"/history/{2**63}", None),
        ],
    )
    async def test_values_postgres_cannot_take_are_422(
        self, client: httpx.AsyncClient, signer: TokenSigner, method: str, path: str, body: Any
    ) -> None:
        response = await client.request(method, path, json=body, headers=auth(signer, 1))
        assert response.status_code == 422, response.text

    async def test_list_is_own_newest_first_with_total(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        for name in ("first", "second", "third"):
            await create(client, auth(signer, 1), name=name)
        await create(client, auth(signer, 2), name="someone else's")
        response = await client.get("/profiles/?limit=2", headers=auth(signer, 1))
        assert response.headers["x-total-count"] == "3"
        assert [p["name"] for p in response.json()] == ["third", "second"]
        no_slash = await client.get("/profiles?skip=2", headers=auth(signer, 1))
        assert [p["name"] for p in no_slash.json()] == ["first"]

    async def test_search_matches_name_or_notes(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        await create(client, auth(signer, 1), name="Alice Shop", notes=None)
        await create(client, auth(signer, 1), name="Bob", notes="met at the ALICE conference")
        await create(client, auth(signer, 1), name="Carol", notes="100% loyal")
        found = await client.get("/profiles/?q=alice", headers=auth(signer, 1))
        assert {p["name"] for p in found.json()} == {"Alice Shop", "Bob"}
        literal = await client.get("/profiles/?q=100%25", headers=auth(signer, 1))
        assert [p["name"] for p in literal.json()] == ["Carol"]

    async def test_partial_update(self, client: httpx.AsyncClient, signer: TokenSigner) -> None:
        profile = await create(client, auth(signer, 1), notes="keep")
        response = await client.put(
            f"/profiles/{profile['id']}", json={"age": 40, "sex": "MALE"}, headers=auth(signer, 1)
        )
        body = response.json()
        assert (body["age"], body["sex"], body["notes"], body["name"]) == (
            40,
            "Male",
            "keep",
            "Jane",
        )
        bad = await client.put(
            f"/profiles/{profile['id']}", json={"age": 5}, headers=auth(signer, 1)
        )
        assert bad.status_code == 422

    async def test_delete(self, client: httpx.AsyncClient, signer: TokenSigner) -> None:
        profile = await create(client, auth(signer, 1))
        response = await client.delete(f"/profiles/{profile['id']}", headers=auth(signer, 1))
        assert response.json() == {"message": "Profile deleted successfully"}
        assert (
            await client.get(f"/profiles/{profile['id']}", headers=auth(signer, 1))
        ).status_code == 404

    async def test_other_users_profile_is_not_found_on_every_route(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        profile = await create(client, auth(signer, 1))
        intruder = auth(signer, 2)
        for method, path, body in (
            ("GET", f"/profiles/{profile['id']}", None),
            ("PUT", f"/profiles/{profile['id']}", {"name": "mine"}),
            ("DELETE", f"/profiles/{profile['id']}", None),
            ("POST", f"/profiles/{profile['id']}/predict", None),
        ):
            response = await client.request(method, path, json=body, headers=intruder)
            assert response.status_code == 404, (method, path)
        assert (await client.get(f"/profiles/{profile['id']}", headers=auth(signer, 1))).json()[
            "name"
        ] == "Jane"

    async def test_missing_token_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/profiles/")
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


class TestQuickPredict:
    async def test_predict_sends_the_profile_to_ml_service(
        self, client: httpx.AsyncClient, signer: TokenSigner, ml: tuple[FastAPI, str]
    ) -> None:
        profile = await create(client, auth(signer, 7))
        response = await client.post(f"/profiles/{profile['id']}/predict", headers=auth(signer, 7))
        assert response.status_code == 200
        assert response.json()["cluster_name"] == "High Value Customers"
        call = ml[0].state.calls[-1]
        assert call["token"] == SERVICE_TOKEN
        assert call["body"] == {"user_id": 7, "profile_id": profile["id"], "customer": CUSTOMER}

    async def test_ml_down_is_503_with_a_clear_detail(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI
    ) -> None:
        profile = await create(client, auth(signer, 7))
        dead = InternalClient("http://127.0.0.1:9", SERVICE_TOKEN, 0.5)

        async def dead_ml() -> InternalClient:
            return dead

        app.dependency_overrides[ml_client] = dead_ml
        try:
            response = await client.post(
                f"/profiles/{profile['id']}/predict", headers=auth(signer, 7)
            )
        finally:
            del app.dependency_overrides[ml_client]
            await dead.aclose()
        assert response.status_code == 503
        assert "unavailable" in response.json()["detail"]
