"""Segmentation analytics through the gateway: algorithms, compare, explain, projection, drift."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from helpers import UserFactory

CUSTOMER = {
    "sex": "Female",
    "age": 35,
    "annual_income": 70.0,
    "spending_score": 60,
    "purchase_frequency": 20,
}


def wait_job(gateway: httpx.Client, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    for _ in range(1200):
        status = gateway.get(f"/train/jobs/{job_id}", headers=headers).json()
        if status["status"] in ("succeeded", "failed"):
            return status
        time.sleep(0.25)
    raise AssertionError("job did not finish")


def run_job(gateway: httpx.Client, headers: dict[str, str], path: str, body: dict) -> dict:
    for _ in range(240):  # another test's job may hold the dataset's lock
        accepted = gateway.post(path, json=body, headers=headers)
        if accepted.status_code != 409:
            break
        time.sleep(0.5)
    assert accepted.status_code == 202, accepted.text
    final = wait_job(gateway, headers, accepted.json()["job_id"])
    assert final["status"] == "succeeded", final
    return final


class TestAlgorithms:
    @pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "agglomerative"])
    def test_each_algorithm_trains_publishes_reloads_and_predicts(
        self, gateway: httpx.Client, make_user: UserFactory, algorithm: str
    ) -> None:
        analyst, user = make_user("analyst"), make_user()
        features = ["age", "annual_income", "spending_score"]
        body = {"algorithm": algorithm, "features": features, "k_min": 2, "k_max": 5}
        result = run_job(gateway, analyst.headers, "/train/jobs", body)["result"]
        version = result["model_version"]
        assert (result["algorithm"], result["features"]) == (algorithm, features)
        # The replica that trained reloads through the pointer it just moved.
        predicted = gateway.post("/predict", json=CUSTOMER, headers=user.headers).json()
        assert predicted["model_version"] == version and 0 <= predicted["confidence"] <= 100
        models = gateway.get("/models", headers=analyst.headers).json()["models"]
        item = next(m for m in models if m["version"] == version)
        assert item["active"] and (item["algorithm"], item["features"]) == (algorithm, features)
        detail = gateway.get(f"/models/{version}", headers=user.headers).json()
        assert sum(detail["feature_importance"].values()) == pytest.approx(1, abs=1e-3)
        assert all(set(c["centroid"]) == set(features) for c in detail["clusters"])
        projection = gateway.get(
            f"/models/{version}/projection?limit=200", headers=user.headers
        ).json()
        assert len(projection["points"]) == 200
        assert len(projection["centroids"]) == result["n_clusters"]


class TestCompareAndDrift:
    def test_compare_recommends_a_candidate_and_publishes_nothing(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        analyst = make_user("analyst")
        assert (
            gateway.post("/models/compare", json={}, headers=make_user().headers).status_code == 403
        )
        before = gateway.get("/models", headers=analyst.headers).json()["models"]
        body = {
            "features": ["annual_income", "spending_score"],
            "k_min": 2,
            "k_max": 6,
            "algorithms": ["kmeans", "gmm"],
        }
        final = run_job(gateway, analyst.headers, "/models/compare", body)
        assert final["kind"] == "compare"
        result = final["result"]
        assert len(result["candidates"]) == 2 * 5
        recommended = result["recommended"]
        assert any(
            (c["algorithm"], c["k"]) == (recommended["algorithm"], recommended["k"])
            for c in result["candidates"]
        )
        after = gateway.get("/models", headers=analyst.headers).json()["models"]
        assert [m["version"] for m in after] == [m["version"] for m in before]

    def test_drift_counts_the_active_models_predictions(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        analyst, user = make_user("analyst"), make_user()
        version = run_job(gateway, analyst.headers, "/train/jobs", {"n_clusters": 3})["result"][
            "model_version"
        ]
        assert gateway.get(f"/models/{version}/drift", headers=user.headers).status_code == 403
        shifted = [{**CUSTOMER, "annual_income": 400.0 + i, "age": 20 + i % 60} for i in range(150)]
        response = gateway.post("/predict/batch", json={"customers": shifted}, headers=user.headers)
        assert response.status_code == 200
        drift = gateway.get(f"/models/{version}/drift?days=1", headers=analyst.headers).json()
        assert drift["n_predictions"] == 150 and drift["window_days"] == 1
        assert drift["features"]["annual_income"]["status"] == "drift"
        assert drift["status"] == "drift"
