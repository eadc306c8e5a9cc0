"""API keys: shown once, listed without secrets, exchanged internally, revoked at once."""

from __future__ import annotations

import httpx
from redis.asyncio import Redis
from segshared.contracts.revocation import revoked_api_key_key
from segshared.testing import record_usage
from segshared.tokens import API_KEY_SCOPES as ALL
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from .helpers import Register

SERVICE = {"X-Service-Token": "test-service-token"}


class TestApiKeys:
    async def test_create_list_and_revoke(
        self, client: httpx.AsyncClient, register: Register, redis: Redis
    ) -> None:
        account = await register()
        created = await client.post(
            "/auth/api-keys", json={"name": "etl", "daily_quota": 100}, headers=account.headers
        )
        assert created.status_code == 201
        body = created.json()
        assert set(body) == {
            "id",
            "name",
            "key",
            "prefix",
            "daily_quota",
            "created_at",
            "scopes",
            "expires_at",
            "allowed_ips",
        }
        assert body["key"].startswith(body["prefix"]) and body["daily_quota"] == 100
        # Least privilege by default: predictions only, no expiry or address list set.
        assert body["scopes"] == ["predict"]
        assert body["expires_at"] is None and body["allowed_ips"] is None
        listed = (await client.get("/auth/api-keys", headers=account.headers)).json()
        assert listed == [
            {k: v for k, v in body.items() if k != "key"} | {"used_today": 0, "last_used_at": None}
        ]
        await record_usage(redis, body["id"], 3)
        assert (await client.get("/auth/api-keys", headers=account.headers)).json()[0][
            "used_today"
        ] == 3
        revoked = await client.delete(f"/auth/api-keys/{body['id']}", headers=account.headers)
        assert revoked.status_code == 200 and "message" in revoked.json()
        assert await redis.exists(revoked_api_key_key(body["id"]))
        assert (await client.get("/auth/api-keys", headers=account.headers)).json() == []

    async def test_other_users_key_is_404(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        owner = await register()
        other = await register()
        key = (
            await client.post("/auth/api-keys", json={"name": "k"}, headers=owner.headers)
        ).json()
        assert (
            await client.delete(f"/auth/api-keys/{key['id']}", headers=other.headers)
        ).status_code == 404
        assert (
            await client.delete("/auth/api-keys/999999", headers=owner.headers)
        ).status_code == 404

    async def test_invalid_bodies_are_422(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        for body in (
            {},
            {"name": ""},
            {"name": "x", "daily_quota": 0},
            {"name": "nul\u0000"},
            {"name": "x", "scopes": []},
            {"name": "x", "scopes": ["admin"]},
            {"name": "x", "expires_at": "2001-01-01T00:00:00Z"},
            {"name": "x", "expires_at": "2999-01-01T00:00:00"},  # no time zone
            {"name": "x", "allowed_ips": ["10.0.0.0/33"]},
            {"name": "x", "allowed_ips": []},
        ):
            response = await client.post("/auth/api-keys", json=body, headers=account.headers)
            assert response.status_code == 422

    async def test_ids_beyond_the_column_are_422(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        for key_id in ("0", str(2**31), "400242058371482451422706925568"):
            response = await client.delete(f"/auth/api-keys/{key_id}", headers=account.headers)
            assert response.status_code == 422, key_id

    async def test_exchange_mints_a_short_token_for_the_owner(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        key = (
            await client.post(
                "/auth/api-keys", json={"name": "k", "daily_quota": 5}, headers=account.headers
            )
        ).json()
        exchanged = await client.post(
            "/internal/api-keys/exchange", json={"key": key["key"]}, headers=SERVICE
        )
        assert exchanged.status_code == 200
        body = exchanged.json()
        assert body["user_id"] == account.id and body["api_key_id"] == key["id"]
        assert body["daily_quota"] == 5 and body["expires_in"] == 300
        me = await client.get(
            "/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert me.json()["id"] == account.id
        listed = (await client.get("/auth/api-keys", headers=account.headers)).json()
        assert listed[0]["last_used_at"] is not None

    async def test_exchange_refuses_bad_or_revoked_keys(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        key = (
            await client.post("/auth/api-keys", json={"name": "k"}, headers=account.headers)
        ).json()
        await client.delete(f"/auth/api-keys/{key['id']}", headers=account.headers)
        for candidate in (key["key"], "seg_nope_nope"):
            response = await client.post(
                "/internal/api-keys/exchange", json={"key": candidate}, headers=SERVICE
            )
            assert response.status_code == 401

    async def test_internal_routes_need_the_service_credential(
        self, client: httpx.AsyncClient
    ) -> None:
        for headers in ({}, {"X-Service-Token": "guess"}):
            response = await client.post(
                "/internal/api-keys/exchange", json={"key": "x"}, headers=headers
            )
            assert response.status_code == 404


class TestScopedKeys:
    async def test_scopes_expiry_and_addresses_are_kept_and_exchanged(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        asked = {
            "name": "reporting",
            "scopes": ["profiles:read", "history:read", "profiles:read"],
            "expires_at": "2999-01-01T00:00:00Z",
            "allowed_ips": ["192.0.2.7", " 10.0.0.0/8 "],
        }
        key = (await client.post("/auth/api-keys", json=asked, headers=account.headers)).json()
        assert key["scopes"] == ["history:read", "profiles:read"]
        assert key["allowed_ips"] == ["192.0.2.7/32", "10.0.0.0/8"]
        assert key["expires_at"].startswith("2999-01-01")
        exchanged = (
            await client.post(
                "/internal/api-keys/exchange", json={"key": key["key"]}, headers=SERVICE
            )
        ).json()
        assert exchanged["scopes"] == key["scopes"]
        assert exchanged["allowed_ips"] == key["allowed_ips"]

    async def test_an_expired_key_is_refused(
        self, client: httpx.AsyncClient, register: Register, database: str
    ) -> None:
        account = await register()
        key = (
            await client.post("/auth/api-keys", json={"name": "old"}, headers=account.headers)
        ).json()
        await _expire(database, key["id"])
        response = await client.post(
            "/internal/api-keys/exchange", json={"key": key["key"]}, headers=SERVICE
        )
        assert response.status_code == 401 and response.json()["detail"] == "API key has expired"

    async def test_key_tokens_never_manage_keys_the_account_or_admin(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        key = (
            await client.post(
                "/auth/api-keys", json={"name": "k", "scopes": list(ALL)}, headers=account.headers
            )
        ).json()
        token = (
            await client.post(
                "/internal/api-keys/exchange", json={"key": key["key"]}, headers=SERVICE
            )
        ).json()["access_token"]
        as_key = {"Authorization": f"Bearer {token}"}
        for method, path in (
            ("POST", "/auth/api-keys"),
            ("GET", "/auth/api-keys"),
            ("DELETE", f"/auth/api-keys/{key['id']}"),
            ("PUT", "/users/me"),
            ("DELETE", "/users/me"),
            ("GET", "/users/me/profile"),
            ("GET", "/admin/users"),
        ):
            response = await client.request(method, path, headers=as_key, json={"name": "x"})
            assert response.status_code == 403, (method, path)
        assert (await client.get("/auth/me", headers=as_key)).status_code == 200


async def _expire(database: str, key_id: int) -> None:
    engine = create_async_engine(database)
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE auth.api_keys SET expires_at = now() - interval '1 second' WHERE id = :i"),
            {"i": key_id},
        )
    await engine.dispose()
