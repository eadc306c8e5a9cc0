"""Profiles and history through the gateway, including the event log's guarantees."""

from __future__ import annotations

import csv
import io
import time

import httpx
from helpers import UserFactory

from devstack import Stack

CUSTOMER = {
    "sex": "Female",
    "age": 35,
    "annual_income": 61.5,
    "spending_score": 42,
    "purchase_frequency": 18,
}


def wait_history(
    gateway: httpx.Client, headers: dict[str, str], total: int, timeout: float = 10
) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = gateway.get("/history", headers=headers).json()
        if body["total"] >= total or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


class TestProfiles:
    def test_crud_and_quick_predict(self, gateway: httpx.Client, make_user: UserFactory) -> None:
        user = make_user()
        created = gateway.post(
            "/profiles/", json={"name": "Jane", "notes": "vip", **CUSTOMER}, headers=user.headers
        )
        assert created.status_code == 201
        profile = created.json()
        listed = gateway.get("/profiles/?q=jane", headers=user.headers)
        assert listed.headers["x-total-count"] == "1"
        updated = gateway.put(f"/profiles/{profile['id']}", json={"age": 40}, headers=user.headers)
        assert updated.json()["age"] == 40
        predicted = gateway.post(f"/profiles/{profile['id']}/predict", headers=user.headers)
        assert predicted.status_code == 200 and predicted.json()["cluster_name"]
        history = wait_history(gateway, user.headers, 1)
        assert history["history"][0]["profile_id"] == profile["id"]
        assert gateway.delete(f"/profiles/{profile['id']}", headers=user.headers).json() == {
            "message": "Profile deleted successfully"
        }

    def test_other_users_objects_are_404(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        owner, intruder = make_user(), make_user()
        profile = gateway.post(
            "/profiles/", json={"name": "Own", **CUSTOMER}, headers=owner.headers
        ).json()
        gateway.post("/predict", json=CUSTOMER, headers=owner.headers)
        entry = wait_history(gateway, owner.headers, 1)["history"][0]
        for method, path in (
            ("GET", f"/profiles/{profile['id']}"),
            ("PUT", f"/profiles/{profile['id']}"),
            ("DELETE", f"/profiles/{profile['id']}"),
            ("POST", f"/profiles/{profile['id']}/predict"),
            ("DELETE", f"/history/{entry['id']}"),
        ):
            response = gateway.request(
                method,
                path,
                json={"name": "x"} if method == "PUT" else None,
                headers=intruder.headers,
            )
            assert response.status_code == 404, (method, path)
        assert gateway.get("/history", headers=intruder.headers).json()["total"] == 0


class TestHistory:
    def test_prediction_shows_within_a_second_and_exports(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        gateway.post("/predict", json=CUSTOMER, headers=user.headers)
        started = time.monotonic()
        body = wait_history(gateway, user.headers, 1, timeout=1.0)
        assert body["total"] == 1, f"not visible after {time.monotonic() - started:.2f}s"
        assert body["history"][0]["created_at"].endswith(("Z", "+00:00"))
        export = gateway.get("/history/export", headers=user.headers)
        rows = list(csv.DictReader(io.StringIO(export.text)))
        assert [int(r["id"]) for r in rows] == [e["id"] for e in body["history"]]

    def test_predictions_made_while_profile_service_is_down_arrive_once(
        self,
        gateway: httpx.Client,
        make_user: UserFactory,
        stack: Stack,
    ) -> None:
        user = make_user()
        stack.stop("profile")
        try:
            for _ in range(5):
                assert (
                    gateway.post("/predict", json=CUSTOMER, headers=user.headers).status_code == 200
                )
        finally:
            stack.start("profile")
            stack.wait_healthy(timeout=120)
        body = wait_history(gateway, user.headers, 5)
        time.sleep(0.5)
        assert gateway.get("/history", headers=user.headers).json()["total"] == 5 == body["total"]

    def test_user_deletion_removes_their_data(
        self, gateway: httpx.Client, make_user: UserFactory, admin_headers: dict[str, str]
    ) -> None:
        user = make_user()
        gateway.post("/profiles/", json={"name": "x", **CUSTOMER}, headers=user.headers)
        gateway.post("/predict", json=CUSTOMER, headers=user.headers)
        wait_history(gateway, user.headers, 1)
        before = gateway.get(f"/admin/users/{user.id}", headers=admin_headers).json()
        assert before["total_predictions"] == 1 and before["total_saved_profiles"] == 1
        totals = gateway.get("/admin/stats", headers=admin_headers).json()
        gateway.delete(f"/admin/users/{user.id}", headers=admin_headers)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            stats = gateway.get("/admin/stats", headers=admin_headers).json()
            if stats["total_profiles"] == totals["total_profiles"] - 1:
                break
            time.sleep(0.2)
        assert stats["total_profiles"] == totals["total_profiles"] - 1
        assert stats["total_predictions"] == totals["total_predictions"] - 1
        assert stats["total_users"] == totals["total_users"] - 1
        assert len(stats["predictions_last_7_days"]) == 7
        assert sum(stats["users_by_role"].values()) == stats["total_users"]
