"""Dataset uploads: Mall Customers headers, missing columns, rejected rows, training on them."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from segshared.testing import TokenSigner

from .helpers import auth

MALL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "Mall_Customers.csv"
MALL_SAMPLE = "CustomerID,Genre,Age,Annual Income (k$),Spending Score (1-100)\n" + "\n".join(
    f"{i:04d},{'Male' if i % 2 else 'Female'},{18 + i % 50},{15 + i % 120},{1 + (i * 7) % 99}"
    for i in range(1, 201)
)


def mall_csv() -> str:
    return MALL.read_text() if MALL.exists() else MALL_SAMPLE


class TestDatasets:
    async def test_mall_customers_needs_purchase_frequency(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        analyst = auth(signer, 41, "analyst")
        files = {"file": ("Mall_Customers.csv", mall_csv(), "text/csv")}
        missing = await client.post("/datasets", files=files, headers=analyst)
        assert missing.status_code == 422
        assert "purchase_frequency" in missing.json()["detail"]
        created = await client.post("/datasets?fill_purchase_frequency=12", files=files,
                                    data={"name": "mall"}, headers=analyst)  # fmt: skip
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["name"] == "mall" and body["rows"] == 200 and body["rejected_rows"] == 0
        assert body["columns"] == ["customer_id", "sex", "age", "annual_income", "spending_score",
                                   "purchase_frequency"]  # fmt: skip
        listed = (await client.get("/datasets", headers=analyst)).json()
        assert body["dataset_id"] in [d["dataset_id"] for d in listed]

    async def test_rejected_rows_are_counted_with_reasons(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        rows = ["sex,age,annual_income,spending_score,purchase_frequency"]
        rows += [f"Female,{20 + i % 60},{40 + i},{1 + i % 100},{i % 50}" for i in range(60)]
        rows += ["Robot,30,50,50,5", "Male,12,50,50,5", "Male,30,abc,50,5", "Male,30,50,50,400"] * 4
        response = await client.post("/datasets", files={"file": ("d.csv", "\n".join(rows), "text/csv")},
                                     headers=auth(signer, 41, "analyst"))  # fmt: skip
        body = response.json()
        assert body["rows"] == 60 and body["rejected_rows"] == 16
        assert len(body["rejected_examples"]) == 10
        assert body["rejected_examples"][0] == {"row": 60, "reason": "sex must be Male or Female"}

    async def test_training_on_an_uploaded_dataset(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI
    ) -> None:
        analyst = auth(signer, 41, "analyst")
        files = {"file": ("m.csv", mall_csv(), "text/csv")}
        dataset = (
            await client.post("/datasets?fill_purchase_frequency=5", files=files, headers=analyst)
        ).json()
        trained = await client.post(
            "/train", json={"dataset_id": dataset["dataset_id"], "k_max": 6}, headers=analyst
        )
        assert trained.status_code == 200, trained.text
        assert trained.json()["n_samples"] == 200
        models = (await client.get("/models", headers=analyst)).json()["models"]
        assert next(m for m in models if m["active"])["dataset_id"] == dataset["dataset_id"]

    async def test_bad_uploads_are_422(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        analyst = auth(signer, 41, "analyst")
        for files in (
            {"file": ("e.csv", "", "text/csv")},
            {"other": ("x.csv", "a,b\n1,2", "text/csv")},
        ):
            assert (await client.post("/datasets", files=files, headers=analyst)).status_code == 422
        assert (await client.post("/datasets", json={}, headers=analyst)).status_code == 422
        assert (await client.post("/datasets", files={"file": ("x.csv", "a\n1", "text/csv")},
                                  headers=auth(signer))).status_code == 403  # fmt: skip

    async def test_training_on_too_few_rows_is_422(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        analyst = auth(signer, 41, "analyst")
        rows = "sex,age,annual_income,spending_score,purchase_frequency\n" + "\n".join(
            f"Male,{30 + i},{40 + i},{10 + i},{i}" for i in range(5)
        )
        dataset = (
            await client.post(
                "/datasets", files={"file": ("few.csv", rows, "text/csv")}, headers=analyst
            )
        ).json()
        response = await client.post(
            "/train", json={"dataset_id": dataset["dataset_id"]}, headers=analyst
        )
        assert response.status_code == 422 and "rows" in response.json()["detail"]
        jobs = await client.post(
            "/train/jobs", json={"dataset_id": dataset["dataset_id"]}, headers=analyst
        )
        assert jobs.status_code == 202
