"""Features and algorithms per training, compare jobs, explanations, projection and drift."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from ml_service.engine.generator import generate_customers
from ml_service.serving import drift_monitor
from ml_service.tables import DriftCheck
from ml_service.webhooks.tables import OutboxEvent
from segshared.testing import TokenSigner
from sklearn.datasets import make_blobs
from sqlalchemy import select

from .helpers import auth, wait_job

FEATURES = ["age", "annual_income", "spending_score", "purchase_frequency"]


async def train(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    for _ in range(100):  # the first-start training may still be releasing its lock
        response = await client.post(
            "/train", json={"k_min": 2, "k_max": 4, **body}, headers=headers
        )
        if response.status_code != 409:
            break
        await asyncio.sleep(0.1)
    assert response.status_code == 200, response.text
    return response.json()


def customers(rows: int, seed: int, income_shift: float = 0.0) -> list[dict[str, Any]]:
    frame = generate_customers(rows, seed)
    frame["annual_income"] = frame["annual_income"] * (1 + income_shift) + 40 * income_shift
    return [
        {
            "sex": row.sex,
            "age": int(row.age),
            "annual_income": float(row.annual_income),
            "spending_score": int(row.spending_score),
            "purchase_frequency": int(row.purchase_frequency),
        }
        for row in frame.itertuples()
    ]


class TestAlgorithmsAndFeatures:
    @pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "agglomerative"])
    async def test_each_algorithm_trains_explains_and_predicts_on_its_features(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI, algorithm: str
    ) -> None:
        analyst = auth(signer, 31, "analyst")
        features = ["annual_income", "spending_score"]
        body = await train(client, analyst, algorithm=algorithm, features=features[::-1])
        version = body["model_version"]
        assert body["algorithm"] == algorithm and body["features"] == features
        models = (await client.get("/models", headers=analyst)).json()["models"]
        item = next(m for m in models if m["version"] == version)
        assert item["algorithm"] == algorithm and item["features"] == features and item["active"]

        detail = (await client.get(f"/models/{version}", headers=auth(signer))).json()
        assert {k: detail[k] for k in item} == item
        assert set(detail["feature_importance"]) == set(features)
        assert sum(detail["feature_importance"].values()) == pytest.approx(1, abs=1e-3)
        model = app.state.store.model
        for cluster, center in zip(detail["clusters"], model.trained.centers, strict=True):
            assert set(cluster["centroid"]) == set(features)
            in_units = center * model.trained.scale + model.trained.mean
            assert [cluster["centroid"][f] for f in features] == pytest.approx(in_units, abs=1e-3)
            for d in cluster["distinctive"]:
                assert d["feature"] in features and abs(d["z_score"]) >= 0.5

        # The unused fields are still validated and stored; only the model's features count.
        customer = {
            "sex": "Male",
            "age": 30,
            "annual_income": 120,
            "spending_score": 90,
            "purchase_frequency": 3,
        }
        first = (await client.post("/predict", json=customer, headers=auth(signer))).json()
        other = {**customer, "age": 90, "purchase_frequency": 300}
        second = (await client.post("/predict", json=other, headers=auth(signer))).json()
        assert first["model_version"] == version and first["customer_data"] == customer
        assert (first["cluster"], first["confidence"]) == (second["cluster"], second["confidence"])
        assert 0 <= first["confidence"] <= 100
        bad = {**customer, "age": 7}
        assert (await client.post("/predict", json=bad, headers=auth(signer))).status_code == 422

    async def test_bad_features_and_algorithms_are_422(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        analyst = auth(signer, 31, "analyst")
        for body in (
            {"features": ["age"]},
            {"features": ["age", "age"]},
            {"features": ["age", "height"]},
            {"algorithm": "dbscan"},
            {"features": [*FEATURES, "age"]},
        ):
            for path in ("/train", "/train/jobs"):
                response = await client.post(path, json=body, headers=analyst)
                assert response.status_code == 422, (path, body, response.text)
        for body in (
            {"algorithms": []},
            {"algorithms": ["kmeans", "kmeans"]},
            {"k_min": 5, "k_max": 3},
            {"algorithms": ["x"]},
        ):
            response = await client.post("/models/compare", json=body, headers=analyst)
            assert response.status_code == 422, (body, response.text)

    async def test_reads_need_the_right_role_and_a_known_version(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI
    ) -> None:
        version = app.state.store.model.version
        assert (await client.get(f"/models/{version}")).status_code == 401
        assert (
            await client.get(f"/models/{version}/drift", headers=auth(signer))
        ).status_code == 403
        assert (
            await client.post("/models/compare", json={}, headers=auth(signer))
        ).status_code == 403
        for path in (
            "/models/v9999-none",
            "/models/v9999-none/projection",
            "/models/v9999-none/drift",
        ):
            response = await client.get(path, headers=auth(signer, 31, "analyst"))
            assert response.status_code == 404
        for query in ("limit=5", "limit=5001", "limit=x"):
            response = await client.get(
                f"/models/{version}/projection?{query}", headers=auth(signer)
            )
            assert response.status_code == 422
        for query in ("days=0", "days=91"):
            response = await client.get(
                f"/models/{version}/drift?{query}", headers=auth(signer, 31, "analyst")
            )
            assert response.status_code == 422


class TestProjection:
    async def test_points_are_a_stratified_sample_and_centroids_are_projected(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        body = await train(client, auth(signer, 31, "analyst"), n_clusters=3)
        answer = (
            await client.get(
                f"/models/{body['model_version']}/projection?limit=90", headers=auth(signer)
            )
        ).json()
        assert answer["axes"] == ["pc1", "pc2"] and len(answer["explained_variance"]) == 2
        assert len(answer["points"]) == 90
        assert sorted({p["cluster"] for p in answer["points"]}) == [0, 1, 2]
        assert [c["cluster"] for c in answer["centroids"]] == [0, 1, 2]


class TestCompare:
    async def test_compare_on_blobs_recommends_the_true_k_and_publishes_nothing(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI
    ) -> None:
        analyst = auth(signer, 31, "analyst")
        points, _ = make_blobs(
            n_samples=600, centers=4, n_features=2, cluster_std=0.6, random_state=3
        )
        income, spending = points[:, 0] * 8 + 80, points[:, 1] * 4 + 50
        rows = ["sex,age,annual_income,spending_score,purchase_frequency"] + [
            f"Female,{30 + i % 40},{x:.1f},{y:.0f},{i % 30}"
            for i, (x, y) in enumerate(zip(income, spending.clip(1, 100), strict=True))
        ]
        uploaded = await client.post(
            "/datasets", files={"file": ("b.csv", "\n".join(rows), "text/csv")}, headers=analyst
        )
        assert uploaded.status_code == 201, uploaded.text
        before = app.state.store.model.version
        models_before = len((await client.get("/models", headers=analyst)).json()["models"])
        accepted = await client.post(
            "/models/compare",
            json={
                "dataset_id": uploaded.json()["dataset_id"],
                "features": ["annual_income", "spending_score"],
                "k_min": 2,
                "k_max": 6,
            },
            headers=analyst,
        )
        assert accepted.status_code == 202, accepted.text
        seen = await wait_job(client, analyst, accepted.json()["job_id"])
        final = seen[-1]
        assert final["status"] == "succeeded" and final["kind"] == "compare", final
        progress = [s["progress"] for s in seen]
        assert progress == sorted(progress)
        result = final["result"]
        assert result["recommended"]["k"] == 4
        assert len(result["candidates"]) == 3 * 5
        for candidate in result["candidates"]:
            assert sum(candidate["sizes"]) == 600 and 0 <= candidate["stability"] <= 1
            assert candidate["davies_bouldin"] > 0 and candidate["calinski_harabasz"] > 0
        assert app.state.store.model.version == before
        models_after = len((await client.get("/models", headers=analyst)).json()["models"])
        assert models_after == models_before


class TestDrift:
    async def _drift(self, client: httpx.AsyncClient, signer: TokenSigner, version: str) -> dict:
        response = await client.get(
            f"/models/{version}/drift?days=7", headers=auth(signer, 31, "analyst")
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def _predict(
        self, client: httpx.AsyncClient, signer: TokenSigner, items: list[dict]
    ) -> None:
        response = await client.post(
            "/predict/batch", json={"customers": items}, headers=auth(signer)
        )
        assert response.status_code == 200, response.text

    async def test_training_distribution_is_ok_and_shifted_incomes_drift(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        monkeypatch: pytest.MonkeyPatch,
        app: FastAPI,
    ) -> None:
        analyst = auth(signer, 31, "analyst")
        version = (await train(client, analyst, n_clusters=4))["model_version"]
        empty = await self._drift(client, signer, version)
        assert empty["n_predictions"] == 0 and empty["status"] == "insufficient_data"

        await self._predict(client, signer, customers(60, 7))
        for customer in customers(3, 8):  # the single-prediction path counts too
            response = await client.post("/predict", json=customer, headers=auth(signer))
            assert response.status_code == 200
        few = await self._drift(client, signer, version)
        assert few["n_predictions"] == 63 and few["status"] == "insufficient_data"
        assert {f["status"] for f in few["features"].values()} == {"insufficient_data"}

        await self._predict(client, signer, customers(2000, 9))
        ok = await self._drift(client, signer, version)
        assert ok["n_predictions"] == 2063 and ok["window_days"] == 7
        assert ok["status"] == "ok", ok
        assert set(ok["features"]) == set(FEATURES)
        assert 0 <= ok["low_confidence_share"] <= 1

        shifted_version = (await train(client, analyst, n_clusters=4))["model_version"]
        await self._predict(client, signer, customers(2000, 10, income_shift=0.6))
        shifted = await self._drift(client, signer, shifted_version)
        drifting = {f for f, d in shifted["features"].items() if d["status"] == "drift"}
        assert shifted["status"] == "drift" and drifting == {"annual_income"}, shifted
        assert (await self._drift(client, signer, version))["n_predictions"] == 2063

        metrics = (await client.get("/metrics")).text
        assert (
            f'ml_feature_psi{{feature="annual_income",model_version="{shifted_version}"}}'
            in metrics
        )

        # The periodic check: one replica per interval, drift.detected once per change,
        # written to the webhooks outbox for a subscriber.
        monkeypatch.setattr(app.state.settings, "webhook_allow_private", True)
        subscribed = await client.post(
            "/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "events": ["drift.detected"]},
            headers=auth(signer, 31, "analyst"),
        )
        assert subscribed.status_code == 201, subscribed.text

        async def raised() -> list[dict[str, Any]]:
            async with app.state.sessionmaker() as session:
                rows = await session.execute(
                    select(OutboxEvent.data)
                    .where(OutboxEvent.type == "drift.detected")
                    .order_by(OutboxEvent.created_at)
                )
                return list(rows.scalars())

        redis, sessionmaker, store = app.state.redis, app.state.sessionmaker, app.state.store

        async def check(owner: str) -> Any:
            return await drift_monitor.check_active_model(
                redis, sessionmaker, store.model, 7, 60, owner
            )

        await redis.delete(drift_monitor.CHECK_LOCK)
        assert (await check("a")).status == "drift"
        assert await check("b") is None  # another replica in the same interval
        await redis.delete(drift_monitor.CHECK_LOCK)
        assert (await check("a")).status == "drift"
        events = await raised()
        assert [e["model_version"] for e in events] == [shifted_version]
        assert events[0]["window_days"] == 7 and events[0]["n_predictions"] == 2000
        assert set(events[0]["psi"]) == set(FEATURES)
        async with sessionmaker() as session:
            row = await session.get(DriftCheck, shifted_version)
            assert row is not None and row.status == "drift"
            assert row.report["features"]["annual_income"]["status"] == "drift"
            # The status left `drift` and came back: raised again.
            row.status = "ok"
            await session.commit()
        await redis.delete(drift_monitor.CHECK_LOCK)
        await check("a")
        assert [e["model_version"] for e in await raised()] == [shifted_version] * 2
        hook = subscribed.json()["id"]
        deleted = await client.delete(f"/webhooks/{hook}", headers=auth(signer, 31, "analyst"))
        assert deleted.status_code == 204
        assert np.isfinite(shifted["features"]["annual_income"]["psi"])
