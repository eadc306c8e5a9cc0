"""Registration, login, refresh rotation, logout and the caller's own account."""

from __future__ import annotations

import asyncio
import logging

import httpx
import jwt
import pytest
from redis.asyncio import Redis
from segshared.contracts.events import USER_EVENTS_STREAM
from segshared.contracts.revocation import revoked_jti_key, valid_after_key

from .helpers import PASSWORD, Register


class TestRegister:
    async def test_register_returns_the_public_user(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/auth/register",
            json={"email": "Ann@Example.com", "username": "ann", "password": PASSWORD},
        )
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {
            "id",
            "email",
            "username",
            "full_name",
            "role",
            "is_active",
            "created_at",
        }
        assert body["role"] == "user" and body["is_active"] is True
        assert body["created_at"].endswith(("Z", "+00:00"))

    @pytest.mark.parametrize(
        ("field", "value", "detail"),
        [
            ("email", "ANN@example.com", "Email already registered"),
            ("username", "ANN", "Username already taken"),
        ],
    )
    async def test_duplicates_ignore_case(
        self, client: httpx.AsyncClient, field: str, value: str, detail: str
    ) -> None:
        first = {"email": "ann@example.com", "username": "ann", "password": PASSWORD}
        assert (await client.post("/auth/register", json=first)).status_code == 201
        second = {"email": "other@example.com", "username": "other", "password": PASSWORD}
        second[field] = value
        response = await client.post("/auth/register", json=second)
        assert response.status_code == 409
        assert response.json() == {"detail": detail}

    @pytest.mark.parametrize(
        ("field", "message"),
        [("username", "Username already taken"), ("email", "Email already registered")],
    )
    async def test_simultaneous_duplicates_get_one_201_and_409s_never_500(
        self, client: httpx.AsyncClient, field: str, message: str
    ) -> None:
        def body(i: int) -> dict[str, str]:
            # Only `field` is shared (differing in case); the other one is unique.
            same = {"username": "Racer", "email": "Racer@example.com"}[field]
            other = {"username": f"racer{i}", "email": f"racer{i}@example.com"}
            return {**other, field: same.upper() if i % 2 else same, "password": PASSWORD}

        responses = await asyncio.gather(
            *(client.post("/auth/register", json=body(i)) for i in range(20))
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * 19  # review L12: never a 500
        assert {r.json()["detail"] for r in responses if r.status_code == 409} == {message}

    @pytest.mark.parametrize(
        ("username", "password"),
        [
            ("ab", PASSWORD),
            ("bad name", PASSWORD),
            ("x" * 51, PASSWORD),
            ("fine", "short1"),
            ("fine", "lettersonly"),
            ("fine", "12345678"),
            ("fine", "a1" * 65),
        ],
    )
    async def test_username_and_password_rules_are_422_lists(
        self, client: httpx.AsyncClient, username: str, password: str
    ) -> None:
        response = await client.post(
            "/auth/register",
            json={"email": "x@example.com", "username": username, "password": password},
        )
        assert response.status_code == 422
        assert isinstance(response.json()["detail"], list)
        assert password not in response.text


class TestLogin:
    async def test_login_by_username_email_or_form(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register("bob")
        for attempt in (
            client.post("/auth/login", json={"username": "bob", "password": PASSWORD}),
            client.post("/auth/login", json={"username": "BOB@example.com", "password": PASSWORD}),
            client.post("/auth/login", data={"username": "bob", "password": PASSWORD}),
        ):
            response = await attempt
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["token_type"] == "bearer"
            assert body["user"]["id"] == account.id
            assert body["refresh_token"]

    async def test_access_token_claims(self, client: httpx.AsyncClient, register: Register) -> None:
        account = await register()
        login = await client.post(
            "/auth/login", json={"username": account.username, "password": PASSWORD}
        )
        body = login.json()
        header = jwt.get_unverified_header(body["access_token"])
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        jwks = (await client.get("/auth/.well-known/jwks.json")).json()
        assert header["alg"] == "EdDSA"
        assert header["kid"] in {k["kid"] for k in jwks["keys"]}
        assert claims["exp"] - claims["iat"] == body["expires_in"] == 1800
        assert {"sub", "username", "role", "jti", "iat", "exp", "iss", "aud"} <= set(claims)

    async def test_wrong_password_is_401_with_challenge(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        await register("carl")
        for username in ("carl", "nobody"):
            response = await client.post(
                "/auth/login", json={"username": username, "password": "Wrong1234"}
            )
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"

    async def test_missing_fields_are_422(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/auth/login", json={"username": "x"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "password"]

    async def test_login_form_with_a_file_part_is_400_and_spools_nothing(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        """Review L4: the public login form accepted (and spooled) up to 1000 file parts."""
        user = await register()
        form = {"username": user.username, "password": PASSWORD}
        files = {"upload": ("big.bin", b"x" * 10_000, "application/octet-stream")}
        response = await client.post("/auth/login", data=form, files=files)
        assert response.status_code == 400
        assert (await client.post("/auth/login", data=form)).status_code == 200

    async def test_lockout_after_five_failures_is_per_account(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        await register("dora")
        await register("eve")
        for _ in range(5):
            wrong = await client.post(
                "/auth/login", json={"username": "dora", "password": "Wrong1234"}
            )
            assert wrong.status_code == 401
        locked = await client.post("/auth/login", json={"username": "dora", "password": PASSWORD})
        assert locked.status_code == 429
        assert 0 < int(locked.headers["retry-after"]) <= 900
        other = await client.post("/auth/login", json={"username": "eve", "password": PASSWORD})
        assert other.status_code == 200

    async def test_passwords_never_reach_logs(
        self, client: httpx.AsyncClient, register: Register, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        await register("fred", password="S3cret-Unique-99")
        await client.post("/auth/login", json={"username": "fred", "password": "Wr0ng-Unique-77"})
        assert "S3cret-Unique-99" not in caplog.text
        assert "Wr0ng-Unique-77" not in caplog.text


class TestRefresh:
    async def test_refresh_rotates_and_reuse_revokes_the_family(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        first = await client.post("/auth/refresh", json={"refresh_token": account.refresh})
        assert first.status_code == 200
        rotated = first.json()["refresh_token"]
        assert rotated != account.refresh
        reuse = await client.post("/auth/refresh", json={"refresh_token": account.refresh})
        assert reuse.status_code == 401
        assert reuse.headers["www-authenticate"] == "Bearer"
        # The thief's reuse also ended the legitimate rotated token.
        after = await client.post("/auth/refresh", json={"refresh_token": rotated})
        assert after.status_code == 401

    async def test_unknown_refresh_token_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/auth/refresh", json={"refresh_token": "nope"})
        assert response.status_code == 401


def _refresh_cookie(response: httpx.Response) -> tuple[str, str]:
    """(value, attributes) of the refresh cookie that `response` sets."""
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith("seg_refresh=")]
    value, _, attributes = header.partition(";")
    return value.removeprefix("seg_refresh=").strip('"'), attributes.lower()


class TestRefreshCookie:
    async def test_login_can_put_the_refresh_token_in_a_strict_http_only_cookie(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        await register("cookie_user")
        login = await client.post(
            "/auth/login?refresh_cookie=true",
            json={"username": "cookie_user", "password": PASSWORD},
        )
        assert login.status_code == 200
        assert login.json()["refresh_token"] is None
        assert login.json()["access_token"]
        value, attributes = _refresh_cookie(login)
        assert len(value) > 40
        for attribute in ("httponly", "secure", "samesite=strict", "path=/auth", "max-age="):
            assert attribute in attributes, attribute

    async def test_refresh_reads_and_rotates_the_cookie(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        await register("cookie_rot")
        login = await client.post(
            "/auth/login?refresh_cookie=true", json={"username": "cookie_rot", "password": PASSWORD}
        )
        first, _ = _refresh_cookie(login)
        rotated = await client.post("/auth/refresh", headers={"Cookie": f"seg_refresh={first}"})
        assert rotated.status_code == 200, rotated.text
        assert rotated.json()["refresh_token"] is None
        assert rotated.json()["user"]["username"] == "cookie_rot"
        second, _ = _refresh_cookie(rotated)
        assert second != first
        # Rotation and reuse detection work as with the JSON token.
        reuse = await client.post("/auth/refresh", headers={"Cookie": f"seg_refresh={first}"})
        assert reuse.status_code == 401
        after = await client.post("/auth/refresh", headers={"Cookie": f"seg_refresh={second}"})
        assert after.status_code == 401

    async def test_refresh_without_body_or_cookie_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/auth/refresh")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_json_clients_are_unchanged(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        response = await client.post("/auth/refresh", json={"refresh_token": account.refresh})
        assert response.status_code == 200
        assert isinstance(response.json()["refresh_token"], str)
        assert "set-cookie" not in response.headers

    async def test_logout_clears_the_cookie_and_ends_its_family(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        await register("cookie_out")
        login = await client.post(
            "/auth/login?refresh_cookie=true", json={"username": "cookie_out", "password": PASSWORD}
        )
        token, _ = _refresh_cookie(login)
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        logout = await client.post("/auth/logout", headers=headers)
        assert logout.status_code == 200
        cleared, attributes = _refresh_cookie(logout)
        assert cleared == "" and "max-age=0" in attributes and "path=/auth" in attributes
        refresh = await client.post("/auth/refresh", headers={"Cookie": f"seg_refresh={token}"})
        assert refresh.status_code == 401


class TestLogout:
    async def test_logout_revokes_this_session_only(
        self, client: httpx.AsyncClient, register: Register, redis: Redis
    ) -> None:
        account = await register("gina")
        other = (
            await client.post("/auth/login", json={"username": "gina", "password": PASSWORD})
        ).json()
        response = await client.post("/auth/logout", headers=account.headers)
        assert response.json() == {"message": "Successfully logged out"}
        jti = jwt.decode(account.token, options={"verify_signature": False})["jti"]
        assert await redis.exists(revoked_jti_key(jti))
        assert (
            await client.post("/auth/refresh", json={"refresh_token": account.refresh})
        ).status_code == 401
        assert (
            await client.post("/auth/refresh", json={"refresh_token": other["refresh_token"]})
        ).status_code == 200

    async def test_logout_needs_a_token(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/auth/logout")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


class TestMe:
    async def test_me_and_profile_degrade_without_profile_service(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        me = await client.get("/auth/me", headers=account.headers)
        assert me.json()["id"] == account.id
        profile = await client.get("/users/me/profile", headers=account.headers)
        assert profile.status_code == 200
        body = profile.json()
        assert body["total_predictions"] is None and body["total_saved_profiles"] is None

    async def test_changing_password_or_email_needs_current_password(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        for body in (
            {"password": "N3w-password"},
            {"email": "new@example.com"},
            {"password": "N3w-password", "current_password": "Wrong1234"},
        ):
            response = await client.put("/users/me", json=body, headers=account.headers)
            assert response.status_code == 400, body

    async def test_role_and_is_active_are_never_applied(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        account = await register()
        response = await client.put(
            "/users/me",
            json={"full_name": "New Name", "role": "admin", "is_active": False},
            headers=account.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["full_name"] == "New Name"
        me = (await client.get("/auth/me", headers=account.headers)).json()
        assert me["role"] == "user" and me["is_active"] is True

    async def test_password_change_ends_other_sessions(
        self, client: httpx.AsyncClient, register: Register, redis: Redis
    ) -> None:
        account = await register("hank")
        other = (
            await client.post("/auth/login", json={"username": "hank", "password": PASSWORD})
        ).json()
        response = await client.put(
            "/users/me",
            json={"password": "N3w-password", "current_password": PASSWORD},
            headers=account.headers,
        )
        assert response.status_code == 200
        assert await redis.get(valid_after_key(account.id))
        assert (
            await client.post("/auth/refresh", json={"refresh_token": other["refresh_token"]})
        ).status_code == 401
        assert (
            await client.post("/auth/login", json={"username": "hank", "password": "N3w-password"})
        ).status_code == 200

    async def test_duplicate_username_on_update_is_409(
        self, client: httpx.AsyncClient, register: Register
    ) -> None:
        await register("ivy")
        account = await register()
        response = await client.put("/users/me", json={"username": "IVY"}, headers=account.headers)
        assert response.status_code == 409

    async def test_delete_me_relays_user_deleted(
        self, client: httpx.AsyncClient, register: Register, redis: Redis
    ) -> None:
        account = await register()
        response = await client.delete("/users/me", headers=account.headers)
        assert response.json() == {"message": "Account deleted successfully"}
        assert await redis.get(valid_after_key(account.id))
        for _ in range(50):
            events = await redis.xrange(USER_EVENTS_STREAM)
            if events:
                break
            await asyncio.sleep(0.1)
        assert [e[1]["type"] for e in events] == ["user.deleted"]
        assert events[0][1]["user_id"] == str(account.id)
        assert (await client.get("/auth/me", headers=account.headers)).status_code == 401
