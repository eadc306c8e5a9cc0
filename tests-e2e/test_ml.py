"""Segmentation through the gateway: predict, batch, training, registry, datasets, API keys."""

from __future__ import annotations

import csv
import io
import time

import httpx
from helpers import UserFactory

CUSTOMER = {
    "sex": "Male",
    "age": 28,
    "annual_income": 88.0,
    "spending_score": 77,
    "purchase_frequency": 30,
}


class TestPredict:
    def test_fresh_stack_predicts_out_of_the_box(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        response = gateway.post("/predict", json=CUSTOMER, headers=user.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {
            "cluster",
            "cluster_name",
            "confidence",
            "model_version",
            "customer_data",
        }
        assert body["customer_data"] == CUSTOMER

    def test_validation_and_auth_errors(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        bad = gateway.post("/predict", json={**CUSTOMER, "age": 150}, headers=user.headers)
        assert bad.status_code == 422 and isinstance(bad.json()["detail"], list)
        assert gateway.post("/predict", json=CUSTOMER).status_code == 401

    def test_batch_json_and_csv(self, gateway: httpx.Client, make_user: UserFactory) -> None:
        user = make_user()
        body = gateway.post(
            "/predict/batch",
            json={"customers": [CUSTOMER, {**CUSTOMER, "age": 3}]},
            headers=user.headers,
        ).json()
        assert [r["row"] for r in body["results"]] == [0] and [
            e["row"] for e in body["errors"]
        ] == [1]
        data = (
            "name,sex,age,annual_income,spending_score,purchase_frequency\nann,Female,30,50,60,12\n"
        )
        response = gateway.post(
            "/predict/batch",
            files={"file": ("x.csv", data, "text/csv")},
            headers={**user.headers, "Accept": "text/csv"},
        )
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0][-3:] == ["cluster", "cluster_name", "confidence"] and rows[1][0] == "ann"
        too_many = gateway.post(
            "/predict/batch", json={"customers": [CUSTOMER] * 10_001}, headers=user.headers
        )
        assert too_many.status_code == 413

    def test_api_key_quota_counts_prediction_rows(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        user = make_user()
        key = gateway.post(
            "/auth/api-keys", json={"name": "q", "daily_quota": 3}, headers=user.headers
        ).json()
        headers = {"X-API-Key": key["key"]}
        assert gateway.post("/predict", json=CUSTOMER, headers=headers).status_code == 200
        assert (
            gateway.post(
                "/predict/batch", json={"customers": [CUSTOMER, CUSTOMER]}, headers=headers
            ).status_code
            == 200
        )
        limited = gateway.post("/predict", json=CUSTOMER, headers=headers)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        listed = gateway.get("/auth/api-keys", headers=user.headers).json()
        assert listed[0]["used_today"] == 3 and listed[0]["last_used_at"] is not None


class TestModelLifecycle:
    def test_train_list_activate_and_read(
        self, gateway: httpx.Client, make_user: UserFactory, admin_headers: dict[str, str]
    ) -> None:
        analyst = make_user("analyst")
        user = make_user()
        assert gateway.post("/train", json={}, headers=user.headers).status_code == 403
        trained = gateway.post(
            "/train", json={"n_clusters": 4, "k_min": 2, "k_max": 6}, headers=analyst.headers
        )
        assert trained.status_code == 200, trained.text
        version = trained.json()["model_version"]
        models = gateway.get("/models", headers=analyst.headers).json()["models"]
        assert [m["version"] for m in models if m["active"]] == [version]
        clusters = gateway.get("/clusters", headers=user.headers).json()
        assert clusters["model_version"] == version and clusters["n_clusters"] == 4
        elbow = gateway.get("/elbow", headers=user.headers).json()
        assert elbow["k_range"] == [2, 3, 4, 5, 6]
        previous = next(m["version"] for m in models if not m["active"])
        assert (
            gateway.post(f"/models/{previous}/activate", headers=analyst.headers).status_code == 403
        )
        activated = gateway.post(f"/models/{previous}/activate", headers=admin_headers)
        assert activated.status_code == 200 and activated.json()["active"] is True
        assert (
            gateway.post("/predict", json=CUSTOMER, headers=user.headers).json()["model_version"]
            == previous
        )
        assert gateway.post("/models/nope/activate", headers=admin_headers).status_code == 404

    def test_training_job_progress(self, gateway: httpx.Client, make_user: UserFactory) -> None:
        analyst = make_user("analyst")
        job = gateway.post("/train/jobs", json={"k_max": 5}, headers=analyst.headers)
        assert job.status_code == 202
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = gateway.get(
                f"/train/jobs/{job.json()['job_id']}", headers=analyst.headers
            ).json()
            assert 0 <= status["progress"] <= 1
            if status["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.2)
        assert status["status"] == "succeeded" and status["result"]["model_version"]
        assert gateway.get("/train/jobs/unknown", headers=analyst.headers).status_code == 404

    def test_mall_style_dataset_upload(self, gateway: httpx.Client, make_user: UserFactory) -> None:
        analyst = make_user("analyst")
        data = "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)\n" + "\n".join(
            f"{i},{'Male' if i % 2 else 'Female'},{20 + i % 40},{15 + i % 100},{1 + i % 99}"
            for i in range(1, 101)
        )
        files = {"file": ("mall.csv", data, "text/csv")}
        missing = gateway.post("/datasets", files=files, headers=analyst.headers)
        assert missing.status_code == 422 and "purchase_frequency" in missing.json()["detail"]
        created = gateway.post(
            "/datasets?fill_purchase_frequency=10", files=files, headers=analyst.headers
        )
        assert created.status_code == 201 and created.json()["rows"] == 100
        assert (
            gateway.post("/train", json={"dataset_id": 99999}, headers=analyst.headers).status_code
            == 404
        )
