"""Identity through the gateway: tokens, revocation, roles, lockout, API keys."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
from helpers import UserFactory


def _forge(token: str, **changes: object) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


class TestTokens:
    def test_login_token_verifies_against_published_jwks(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        jwks = gateway.get("/auth/.well-known/jwks.json").json()
        header = jwt.get_unverified_header(user.token)
        key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
        claims = jwt.decode(
            user.token, jwt.PyJWK(key).key, algorithms=["EdDSA"], audience="segmentation-api"
        )
        assert claims["sub"] == str(user.id) and claims["role"] == "user"

    def test_tampered_alg_none_and_expired_tokens_are_401(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        now = int(time.time())
        none_token = jwt.encode(
            {"sub": str(user.id), "role": "admin", "jti": "x", "iat": now, "exp": now + 60},
            key=None,
            algorithm="none",
        )
        for token in (_forge(user.token, role="admin"), none_token, "not.a.jwt"):
            response = gateway.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"

    def test_logout_ends_that_session_only(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        second = gateway.post(
            "/auth/login", json={"username": user.username, "password": user.password}
        ).json()
        assert gateway.post("/auth/logout", headers=user.headers).status_code == 200
        assert gateway.get("/auth/me", headers=user.headers).status_code == 401
        other = {"Authorization": f"Bearer {second['access_token']}"}
        assert gateway.get("/auth/me", headers=other).status_code == 200


class TestRevocationAndRoles:
    def test_role_change_takes_effect_on_next_request(
        self, gateway: httpx.Client, make_user: UserFactory, admin_headers: dict[str, str]
    ) -> None:
        user = make_user()
        assert gateway.post("/train", json={}, headers=user.headers).status_code == 403
        changed = gateway.put(
            f"/admin/users/{user.id}/role", json={"role": "analyst"}, headers=admin_headers
        )
        assert changed.status_code == 200
        assert gateway.get("/auth/me", headers=user.headers).status_code == 401
        relogin = gateway.post(
            "/auth/login", json={"username": user.username, "password": user.password}
        )
        assert relogin.json()["user"]["role"] == "analyst"

    def test_deactivated_user_is_locked_out_at_once(
        self, gateway: httpx.Client, make_user: UserFactory, admin_headers: dict[str, str]
    ) -> None:
        user = make_user()
        gateway.put(f"/admin/users/{user.id}/toggle-active", headers=admin_headers)
        assert gateway.get("/auth/me", headers=user.headers).status_code == 401
        login = gateway.post(
            "/auth/login", json={"username": user.username, "password": user.password}
        )
        assert login.status_code == 403

    def test_deleted_user_tokens_fail(self, gateway: httpx.Client, make_user: UserFactory) -> None:
        user = make_user()
        assert gateway.delete("/users/me", headers=user.headers).json() == {
            "message": "Account deleted successfully"
        }
        assert gateway.get("/auth/me", headers=user.headers).status_code == 401

    def test_password_change_ends_other_sessions(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        other = gateway.post(
            "/auth/login", json={"username": user.username, "password": user.password}
        ).json()
        changed = gateway.put(
            "/users/me",
            json={"password": "An0ther-pass", "current_password": user.password},
            headers=user.headers,
        )
        assert changed.status_code == 200
        assert gateway.get("/auth/me", headers=user.headers).status_code == 200
        stale = {"Authorization": f"Bearer {other['access_token']}"}
        assert gateway.get("/auth/me", headers=stale).status_code == 401

    def test_user_is_403_on_admin_routes(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        for path in ("/users/", "/admin/users", "/admin/stats"):
            assert gateway.get(path, headers=user.headers).status_code == 403


class TestLockout:
    def test_five_failures_lock_the_account_not_the_address(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        victim, bystander = make_user(), make_user()
        for _ in range(5):
            wrong = gateway.post(
                "/auth/login", json={"username": victim.username, "password": "Wrong-pass1"}
            )
            assert wrong.status_code == 401
        locked = gateway.post(
            "/auth/login", json={"username": victim.username, "password": victim.password}
        )
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
        ok = gateway.post(
            "/auth/login",
            json={"username": bystander.username, "password": bystander.password},
        )
        assert ok.status_code == 200


class TestApiKeys:
    def test_key_acts_as_its_owner_until_revoked(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        key = gateway.post("/auth/api-keys", json={"name": "script"}, headers=user.headers).json()
        for headers in ({"X-API-Key": key["key"]}, {"Authorization": f"Bearer {key['key']}"}):
            me = gateway.get("/auth/me", headers=headers)
            assert me.status_code == 200 and me.json()["id"] == user.id
        gateway.delete(f"/auth/api-keys/{key['id']}", headers=user.headers)
        assert gateway.get("/auth/me", headers={"X-API-Key": key["key"]}).status_code == 401

    def test_other_users_key_id_is_404(self, gateway: httpx.Client, make_user: UserFactory) -> None:
        owner, other = make_user(), make_user()
        key = gateway.post("/auth/api-keys", json={"name": "k"}, headers=owner.headers).json()
        assert (
            gateway.delete(f"/auth/api-keys/{key['id']}", headers=other.headers).status_code == 404
        )

    def test_bad_key_is_401(self, gateway: httpx.Client) -> None:
        response = gateway.get("/auth/me", headers={"X-API-Key": "seg_bad_key"})
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
