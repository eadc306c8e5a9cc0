"""`create-admin` runs at every start: it creates the first admin and never silently
restores, promotes or re-passwords an existing account (security review M3)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from auth_service import cli
from auth_service.cli import AdminRequest, bootstrap_admin
from auth_service.settings import AuthSettings
from fastapi import FastAPI
from segshared.contracts.revocation import valid_after_key

from .helpers import PASSWORD, Register

ADMIN_PASSWORD = "Adm1n-first-password"


def ask(
    username: str = "root", password: str | None = ADMIN_PASSWORD, reset: bool = False
) -> AdminRequest:
    return AdminRequest(username, f"{username}@example.com", password, reset)


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/auth/login", json={"username": username, "password": password})


async def set_account(app: FastAPI, user_id: int, **changes: Any) -> None:
    from auth_service.tables import User

    async with app.state.sessionmaker() as session, session.begin():
        user = await session.get(User, user_id)
        assert user is not None
        for name, value in changes.items():
            setattr(user, name, value)


class TestFirstStart:
    async def test_creates_the_admin_with_the_given_password(
        self, settings: AuthSettings, client: httpx.AsyncClient
    ) -> None:
        outcome = await bootstrap_admin(settings, ask())
        assert outcome.action == "created" and outcome.generated_password is None
        assert outcome.describe() == "Created admin 'root'."
        response = await login(client, "root", ADMIN_PASSWORD)
        assert response.status_code == 200
        assert response.json()["user"]["role"] == "admin"

    async def test_generates_a_password_shown_once(
        self, settings: AuthSettings, client: httpx.AsyncClient
    ) -> None:
        outcome = await bootstrap_admin(settings, ask(password=None))
        assert outcome.action == "created" and outcome.generated_password
        assert outcome.generated_password in outcome.describe()
        assert (await login(client, "root", outcome.generated_password)).status_code == 200
        again = await bootstrap_admin(settings, ask(password=None))
        assert again.action == "unchanged" and again.generated_password is None


class TestLaterStarts:
    async def test_an_existing_admin_keeps_its_password(
        self, settings: AuthSettings, client: httpx.AsyncClient
    ) -> None:
        await bootstrap_admin(settings, ask())
        outcome = await bootstrap_admin(settings, ask(password="Another-passw0rd"))
        assert outcome.action == "unchanged"
        assert "the given password was not applied" in outcome.describe()
        assert (await login(client, "root", ADMIN_PASSWORD)).status_code == 200
        assert (await login(client, "root", "Another-passw0rd")).status_code == 401

    async def test_a_demoted_and_deactivated_admin_stays_so(
        self, app: FastAPI, settings: AuthSettings, client: httpx.AsyncClient
    ) -> None:
        await bootstrap_admin(settings, ask())
        me = (await login(client, "root", ADMIN_PASSWORD)).json()["user"]
        await set_account(app, me["id"], role="user", is_active=False)
        outcome = await bootstrap_admin(settings, ask())
        assert outcome.action == "unchanged"
        assert "it is not an active admin" in outcome.describe()
        assert (await login(client, "root", ADMIN_PASSWORD)).status_code == 403

    async def test_a_user_holding_the_admin_name_is_not_promoted(
        self, settings: AuthSettings, client: httpx.AsyncClient, register: Register
    ) -> None:
        squatter = await register("root")
        outcome = await bootstrap_admin(settings, ask())
        assert outcome.action == "unchanged"
        me = await client.get("/auth/me", headers=squatter.headers)
        assert me.json()["role"] == "user"
        assert (await login(client, "root", PASSWORD)).json()["user"]["role"] == "user"

    async def test_nothing_is_created_once_an_admin_exists(
        self, settings: AuthSettings, client: httpx.AsyncClient, make_admin: Register
    ) -> None:
        await make_admin()
        outcome = await bootstrap_admin(settings, ask("admin"))
        assert outcome.action == "skipped"
        assert "1 active admin(s) exist" in outcome.describe()
        assert (await login(client, "admin", ADMIN_PASSWORD)).status_code == 401


class TestReset:
    async def test_reset_restores_the_account_and_ends_its_sessions(
        self, app: FastAPI, settings: AuthSettings, client: httpx.AsyncClient, redis: Any
    ) -> None:
        await bootstrap_admin(settings, ask())
        me = (await login(client, "root", ADMIN_PASSWORD)).json()["user"]
        await set_account(app, me["id"], role="user", is_active=False)
        outcome = await bootstrap_admin(settings, ask(password=None, reset=True))
        assert outcome.action == "reset" and outcome.generated_password
        assert await redis.get(valid_after_key(me["id"]))
        assert (await login(client, "root", ADMIN_PASSWORD)).status_code == 401
        relogin = await login(client, "root", outcome.generated_password)
        assert relogin.status_code == 200 and relogin.json()["user"]["role"] == "admin"

    async def test_reset_creates_a_missing_account_even_beside_other_admins(
        self, settings: AuthSettings, client: httpx.AsyncClient, make_admin: Register
    ) -> None:
        await make_admin()
        outcome = await bootstrap_admin(settings, ask(reset=True))
        assert outcome.action == "created"
        assert (await login(client, "root", ADMIN_PASSWORD)).status_code == 200


class TestCommandLine:
    def test_a_weak_password_is_refused_before_touching_anything(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert cli.main(["create-admin", "--username", "root", "--password", "short"]) == 2
        assert "create-admin:" in capsys.readouterr().err
