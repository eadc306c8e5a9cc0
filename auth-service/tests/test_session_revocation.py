"""Whole-session revocation (`sid`), revocation re-checked in the service, and revocation
written after the change commits (issue 12 items 6-8)."""

from __future__ import annotations

import asyncio

import httpx
import jwt
from redis.asyncio import Redis
from segshared.contracts.revocation import ensure_not_revoked
from segshared.tokens import Claims, claims_from_payload
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from .helpers import Register


def _claims(token: str) -> Claims:
    return claims_from_payload(jwt.decode(token, options={"verify_signature": False}))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestWholeSession:
    async def test_logout_ends_every_access_token_of_the_session(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        first = account.token
        refreshed = await client.post("/auth/refresh", json={"refresh_token": account.refresh})
        second = refreshed.json()["access_token"]
        assert _claims(first).session_id == _claims(second).session_id
        assert (await client.post("/auth/logout", headers=_bearer(second))).status_code == 200
        # auth-service itself re-checks revocation on account routes (not only the gateway).
        stale = await client.get("/auth/api-keys", headers=_bearer(first))
        assert stale.status_code == 401

    async def test_refresh_reuse_ends_the_access_tokens_already_minted(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        thief = await client.post("/auth/refresh", json={"refresh_token": account.refresh})
        stolen_access = thief.json()["access_token"]
        reuse = await client.post("/auth/refresh", json={"refresh_token": account.refresh})
        assert reuse.status_code == 401
        assert (await client.get("/auth/api-keys", headers=_bearer(stolen_access))).status_code == (
            401
        )

    async def test_other_sessions_survive_a_logout(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        other = await client.post(
            "/auth/login",
            json={"username": account.username, "password": account.password},
        )
        await client.post("/auth/logout", headers=account.headers)
        token = other.json()["access_token"]
        assert (await client.get("/auth/api-keys", headers=_bearer(token))).status_code == 200


class TestRevocationOrdering:
    async def test_a_token_minted_while_a_demotion_commits_is_void(
        self,
        client: httpx.AsyncClient,
        register: Register,
        make_admin: Register,
        database: str,
        redis: Redis,
    ) -> None:
        admin = await make_admin()
        analyst = await register()
        user_id = analyst.id
        promoted = await client.put(
            f"/admin/users/{user_id}/role", json={"role": "analyst"}, headers=admin.headers
        )
        assert promoted.status_code == 200
        login = await client.post(
            "/auth/login",
            json={"username": analyst.username, "password": analyst.password},
        )
        refresh_token = login.json()["refresh_token"]
        engine = create_async_engine(database)
        try:
            async with engine.connect() as locker:
                # Hold the user's row: the demotion's UPDATE waits at commit, while a refresh
                # still reads the committed (analyst) row and mints a token from it.
                lock = await locker.begin()
                await locker.execute(
                    text("SELECT id FROM auth.users WHERE id = :i FOR NO KEY UPDATE"),
                    {"i": user_id},
                )
                demotion = asyncio.create_task(
                    client.put(
                        f"/admin/users/{user_id}/role", json={"role": "user"}, headers=admin.headers
                    )
                )
                await asyncio.sleep(0.3)
                assert not demotion.done()
                await asyncio.sleep(0.01)
                between = await client.post("/auth/refresh", json={"refresh_token": refresh_token})
                assert between.status_code == 200
                minted = _claims(between.json()["access_token"])
                assert minted.role == "analyst"
                await lock.commit()
                assert (await demotion).status_code == 200
        finally:
            await engine.dispose()
        try:
            await ensure_not_revoked(redis, minted)
        except Exception as exc:
            assert "revoked" in str(exc)
        else:
            raise AssertionError("a token minted with the old role survived the demotion")
