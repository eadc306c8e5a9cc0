"""Security hardening through the gateway (issue 12): limits under concurrency, sessions,
scoped API keys, quota before work, unauthenticated abuse."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from helpers import UserFactory
from segshared.testing import Account


async def _burst(base_url: str, n: int, method: str, path: str, **kwargs: object) -> Counter[int]:
    """`n` simultaneous requests; the count of each status code."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        responses = await asyncio.gather(
            *(client.request(method, path, **kwargs) for _ in range(n))  # type: ignore[arg-type]
        )
    return Counter(r.status_code for r in responses)


class TestLockoutUnderConcurrency:
    @pytest.mark.parametrize("burst", [50, 200])
    def test_simultaneous_wrong_passwords_get_at_most_five_guesses(
        self, base_url: str, make_user: UserFactory, burst: int
    ) -> None:
        victim = make_user()
        wrong = {"username": victim.username, "password": "Wrong-pass1"}
        statuses = asyncio.run(_burst(base_url, burst, "POST", "/auth/login", json=wrong))
        assert statuses[401] <= 5
        assert statuses[401] + statuses[429] == burst, statuses
        right = {"username": victim.username, "password": victim.password}
        assert httpx.post(base_url + "/auth/login", json=right).status_code == 429


CUSTOMER = {
    "sex": "Male",
    "age": 28,
    "annual_income": 88.0,
    "spending_score": 77,
    "purchase_frequency": 30,
}


def _key(gateway: httpx.Client, user: Account, **fields: object) -> dict:
    created = gateway.post("/auth/api-keys", json={"name": "k", **fields}, headers=user.headers)
    assert created.status_code == 201, created.text
    return created.json()


class TestQuotaBeforeWork:
    def test_twenty_parallel_calls_with_quota_ten_exactly_ten_succeed(
        self, base_url: str, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        key = _key(gateway, user, daily_quota=10)
        headers = {"X-API-Key": key["key"]}
        statuses = asyncio.run(
            _burst(base_url, 20, "POST", "/predict", json=CUSTOMER, headers=headers)
        )
        assert statuses == Counter({200: 10, 429: 10})
        listed = gateway.get("/auth/api-keys", headers=user.headers).json()
        assert listed[0]["used_today"] == 10

    def test_csv_batch_is_counted_while_streaming_and_unused_rows_refunded(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        # Lines are reserved as they stream (the multipart framing's too), then refunded
        # down to the rows predicted.
        key = _key(gateway, user, daily_quota=20)
        headers = {"X-API-Key": key["key"]}
        header = "sex,age,annual_income,spending_score,purchase_frequency\n"
        rows = "Female,30,50,60,12\n" * 5 + "Female,999,1,1,1\n"  # the last row is refused
        csv = (header + rows).encode()
        answer = gateway.post(
            "/predict/batch", files={"file": ("x.csv", csv, "text/csv")}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        listed = gateway.get("/auth/api-keys", headers=user.headers).json()
        assert listed[0]["used_today"] == 5  # predicted rows only
        too_many = (header + "Female,30,50,60,12\n" * 16).encode()  # 15 rows left
        refused = gateway.post(
            "/predict/batch", files={"file": ("x.csv", too_many, "text/csv")}, headers=headers
        )
        assert refused.status_code == 429
        listed = gateway.get("/auth/api-keys", headers=user.headers).json()
        assert listed[0]["used_today"] == 5  # the refused upload is refunded

    def test_profile_predictions_are_metered(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        profile = gateway.post("/profiles/", json={"name": "Ann", **CUSTOMER}, headers=user.headers)
        assert profile.status_code == 201, profile.text
        key = _key(gateway, user, daily_quota=1, scopes=["predict"])
        path = f"/profiles/{profile.json()['id']}/predict"
        assert gateway.post(path, headers={"X-API-Key": key["key"]}).status_code == 200
        assert gateway.post(path, headers={"X-API-Key": key["key"]}).status_code == 429


class TestScopedKeys:
    def test_least_privilege_key(self, gateway: httpx.Client, make_user: UserFactory) -> None:
        user = make_user()
        key = _key(gateway, user)  # default scopes: ["predict"]
        assert key["scopes"] == ["predict"]
        headers = {"X-API-Key": key["key"]}
        assert gateway.post("/predict", json=CUSTOMER, headers=headers).status_code == 200
        assert gateway.get("/profiles", headers=headers).status_code == 403
        assert gateway.get("/auth/me", headers=headers).status_code == 200
        for method, path in (
            ("POST", "/auth/api-keys"),
            ("DELETE", "/users/me"),
            ("GET", "/admin/users"),
        ):
            response = gateway.request(method, path, headers=headers, json={"name": "x"})
            assert response.status_code == 403, (method, path)

    def test_addresses_are_enforced(self, gateway: httpx.Client, make_user: UserFactory) -> None:
        user = make_user()
        office = _key(gateway, user, allowed_ips=["192.0.2.0/24"])
        assert (
            gateway.post(
                "/predict", json=CUSTOMER, headers={"X-API-Key": office["key"]}
            ).status_code
            == 403
        )
        local = _key(gateway, user, allowed_ips=["127.0.0.1"])
        assert (
            gateway.post("/predict", json=CUSTOMER, headers={"X-API-Key": local["key"]}).status_code
            == 200
        )


class TestWholeSession:
    def test_logout_ends_every_token_of_the_session(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        login = gateway.post(
            "/auth/login", json={"username": user.username, "password": user.password}
        ).json()
        refreshed = gateway.post("/auth/refresh", json={"refresh_token": login["refresh_token"]})
        older = {"Authorization": f"Bearer {login['access_token']}"}
        newer = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        assert gateway.post("/auth/logout", headers=newer).status_code == 200
        assert gateway.get("/auth/me", headers=older).status_code == 401
        assert gateway.get("/auth/me", headers=user.headers).status_code == 200

    def test_password_change_leaves_api_keys_working_at_once(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        key = _key(gateway, user)
        headers = {"X-API-Key": key["key"]}
        assert gateway.post("/predict", json=CUSTOMER, headers=headers).status_code == 200
        changed = gateway.put(
            "/users/me",
            json={"password": "N3w-passw0rd!", "current_password": user.password},
            headers=user.headers,
        )
        assert changed.status_code == 200, changed.text
        assert gateway.post("/predict", json=CUSTOMER, headers=headers).status_code == 200
