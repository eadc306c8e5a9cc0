"""Training (sync and jobs), the registry, activation/rollback, clusters and elbow."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from segshared.testing import TokenSigner

from .helpers import auth, wait_job


class TestTrain:
    async def test_fixed_k_training_publishes_a_new_active_version(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI
    ) -> None:
        analyst = auth(signer, 31, "analyst")
        response = await client.post(
            "/train", json={"n_clusters": 3, "k_min": 2, "k_max": 5}, headers=analyst
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["message"] == "Model trained successfully" and body["n_clusters"] == 3
        assert set(body) == {
            "message",
            "model_version",
            "n_clusters",
            "silhouette_score",
            "inertia",
            "n_samples",
            "trained_at",
            "duration_seconds",
            "algorithm",
            "features",
        }
        assert body["algorithm"] == "kmeans" and len(body["features"]) == 4
        assert app.state.store.model.version == body["model_version"]
        elbow = (await client.get("/elbow", headers=auth(signer))).json()
        assert elbow["k_range"] == [2, 3, 4, 5] and len(elbow["inertias"]) == 4
        clusters = (await client.get("/clusters", headers=auth(signer))).json()
        assert clusters["n_clusters"] == 3 and clusters["model_version"] == body["model_version"]
        assert sum(c["size"] for c in clusters["clusters"]) == clusters["total_customers"]
        for cluster in clusters["clusters"]:
            assert cluster["percentage"] == round(
                cluster["size"] / clusters["total_customers"] * 100, 2
            )
        models = (await client.get("/models", headers=analyst)).json()["models"]
        assert sum(m["active"] for m in models) == 1
        active = next(m for m in models if m["active"])
        assert active["version"] == body["model_version"] and active["trained_by"] == 31

    async def test_roles_and_validation(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        assert (await client.post("/train", json={}, headers=auth(signer))).status_code == 403
        assert (await client.get("/models", headers=auth(signer))).status_code == 403
        analyst = auth(signer, 31, "analyst")
        for body in ({"n_clusters": 1}, {"n_clusters": 16}, {"k_min": 6, "k_max": 3}):
            assert (await client.post("/train", json=body, headers=analyst)).status_code == 422
        assert (
            await client.post("/train", json={"dataset_id": 999}, headers=analyst)
        ).status_code == 404

    async def test_job_reports_progress_and_finishes(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        analyst = auth(signer, 31, "analyst")
        accepted = await client.post("/train/jobs", json={"k_min": 2, "k_max": 4}, headers=analyst)
        assert accepted.status_code == 202
        job_id = accepted.json()["job_id"]
        busy = await client.post("/train/jobs", json={}, headers=analyst)
        assert busy.status_code == 409
        seen = await wait_job(client, analyst, job_id)
        final = seen[-1]
        assert final["status"] == "succeeded" and final["progress"] == 1
        assert final["result"]["message"] == "Model trained successfully"
        progress = [s["progress"] for s in seen]
        assert progress == sorted(progress)
        assert (await client.get("/train/jobs/nope", headers=analyst)).status_code == 404


class TestRegistry:
    async def test_rollback_to_an_earlier_version(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI
    ) -> None:
        admin = auth(signer, 1, "admin")
        first = (await client.post("/train", json={"n_clusters": 2}, headers=admin)).json()[
            "model_version"
        ]
        second = (await client.post("/train", json={"n_clusters": 4}, headers=admin)).json()[
            "model_version"
        ]
        assert app.state.store.model.version == second
        assert (
            await client.post(f"/models/{first}/activate", headers=auth(signer, 31, "analyst"))
        ).status_code == 403
        response = await client.post(f"/models/{first}/activate", headers=admin)
        assert response.status_code == 200
        assert response.json()["version"] == first and response.json()["active"] is True
        assert app.state.store.model.version == first
        predicted = (
            await client.post(
                "/predict",
                json={
                    "sex": "Male",
                    "age": 40,
                    "annual_income": 50,
                    "spending_score": 50,
                    "purchase_frequency": 10,
                },
                headers=auth(signer),
            )
        ).json()
        assert predicted["model_version"] == first
        assert (
            await client.post("/models/v999-nothing/activate", headers=admin)
        ).status_code == 404

    @pytest.mark.parametrize("path", ["/clusters", "/elbow"])
    async def test_reads_need_a_token(self, client: httpx.AsyncClient, path: str) -> None:
        assert (await client.get(path)).status_code == 401
