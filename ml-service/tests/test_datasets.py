"""Dataset uploads: Mall Customers headers, missing columns, rejected rows, training on them."""

from __future__ import annotations

import asyncio
import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from ml_service.engine.generator import generate_customers
from ml_service.settings import MlSettings
from ml_service.training.datasets import ensure_default_dataset, store_upload
from segshared.testing import TokenSigner
from sqlalchemy import text

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
        created = await client.post(
            "/datasets?fill_purchase_frequency=12",
            files=files,
            data={"name": "mall"},
            headers=analyst,
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["name"] == "mall" and body["rows"] == 200 and body["rejected_rows"] == 0
        assert body["columns"] == [
            "customer_id",
            "sex",
            "age",
            "annual_income",
            "spending_score",
            "purchase_frequency",
        ]
        listed = (await client.get("/datasets", headers=analyst)).json()
        assert body["dataset_id"] in [d["dataset_id"] for d in listed]

    async def test_rejected_rows_are_counted_with_reasons(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        rows = ["sex,age,annual_income,spending_score,purchase_frequency"]
        rows += [f"Female,{20 + i % 60},{40 + i},{1 + i % 100},{i % 50}" for i in range(60)]
        rows += ["Robot,30,50,50,5", "Male,12,50,50,5", "Male,30,abc,50,5", "Male,30,50,50,400"] * 4
        response = await client.post(
            "/datasets",
            files={"file": ("d.csv", "\n".join(rows), "text/csv")},
            headers=auth(signer, 41, "analyst"),
        )
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
        assert (
            await client.post(
                "/datasets", files={"file": ("x.csv", "a\n1", "text/csv")}, headers=auth(signer)
            )
        ).status_code == 403

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


class TestDefaultDataset:
    def test_replicas_generating_it_at_once_publish_one_complete_file(self, tmp_path: Path) -> None:
        """Review L14: concurrent first uses never publish a half-written or mixed file."""
        rows, seed = 20_000, 42
        with ThreadPoolExecutor(max_workers=8) as pool:
            paths = list(pool.map(lambda _: ensure_default_dataset(tmp_path, rows, seed), range(8)))
        assert set(paths) == {tmp_path / f"default-{rows}-{seed}.csv"}
        assert paths[0].read_text() == generate_customers(rows, seed).to_csv(index=False)
        assert [p.name for p in tmp_path.iterdir()] == [paths[0].name]  # no temp files left


def dataset_csv(rows: int = 40) -> str:
    lines = ["sex,age,annual_income,spending_score,purchase_frequency"]
    lines += [f"Female,{20 + i % 60},{40 + i},{1 + i % 100},{i % 50}" for i in range(rows)]
    return "\n".join(lines)


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], rows: int = 40
) -> httpx.Response:
    return await client.post(
        "/datasets", files={"file": ("d.csv", dataset_csv(rows), "text/csv")}, headers=headers
    )


@pytest.fixture(autouse=True)
def no_earlier_uploads(settings: MlSettings) -> None:
    """Remove the files of earlier tests' uploads (`clean_state` emptied their rows), so
    `orphan_files` sees only what this test left."""
    for upload in settings.dataset_dir.glob("*.csv"):
        if not upload.name.startswith("default-"):
            upload.unlink(missing_ok=True)


async def orphan_files(app: FastAPI) -> set[str]:
    """Uploaded files on the volume that no dataset row names (the default one excepted)."""
    async with app.state.sessionmaker() as session:
        known = set((await session.execute(text("SELECT path FROM ml.datasets"))).scalars())
    directory = app.state.settings.dataset_dir
    return {str(p) for p in directory.glob("*.csv") if not p.name.startswith("default-")} - known


class TestDatasetQuota:
    async def test_quota_is_409_before_any_work_and_a_delete_frees_a_place(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        app: FastAPI,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(app.state.settings, "dataset_quota_per_user", 2)
        analyst = auth(signer, 501, "analyst")
        first, _ = [(await upload(client, analyst)).json() for _ in range(2)]
        refused = await upload(client, analyst)
        assert refused.status_code == 409
        assert refused.json()["detail"] == (
            "Dataset quota reached (2 per user); delete a dataset first"
        )
        assert (await upload(client, auth(signer, 502, "analyst"))).status_code == 201  # per user
        deleted = await client.delete(f"/datasets/{first['dataset_id']}", headers=analyst)
        assert deleted.status_code == 200
        assert (await upload(client, analyst)).status_code == 201
        assert await orphan_files(app) == set()

    async def test_simultaneous_uploads_never_pass_the_quota_or_leave_files(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        app: FastAPI,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(app.state.settings, "dataset_quota_per_user", 3)
        analyst = auth(signer, 503, "analyst")
        responses = await asyncio.gather(*(upload(client, analyst) for _ in range(8)))
        assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 5
        async with app.state.sessionmaker() as session:
            stored = await session.execute(
                text("SELECT count(*) FROM ml.datasets WHERE owner_id = 503")
            )
        assert stored.scalar_one() == 3
        assert await orphan_files(app) == set()

    async def test_oversized_upload_is_413_and_stores_nothing(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        app: FastAPI,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(app.state.settings, "max_dataset_upload_bytes", 1024)
        response = await upload(client, auth(signer, 504, "analyst"), rows=200)
        assert response.status_code == 413
        assert response.json()["detail"] == "Dataset uploads are limited to 1024 bytes"
        assert await orphan_files(app) == set()

    async def test_a_failed_insert_removes_the_stored_file(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI
    ) -> None:
        """Review L4: the file was written before the insert failed and stayed forever."""
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(
                text(
                    "CREATE FUNCTION ml.refuse_505() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "IF NEW.owner_id = 505 THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$"
                )
            )
            await session.execute(
                text(
                    "CREATE TRIGGER refuse_505 BEFORE INSERT ON ml.datasets "
                    "FOR EACH ROW EXECUTE FUNCTION ml.refuse_505()"
                )
            )
        try:
            response = await upload(client, auth(signer, 505, "analyst"))
        finally:
            async with app.state.sessionmaker() as session, session.begin():
                await session.execute(text("DROP TRIGGER refuse_505 ON ml.datasets"))
                await session.execute(text("DROP FUNCTION ml.refuse_505()"))
        assert response.status_code >= 500
        assert await orphan_files(app) == set()

    def test_a_failing_upload_stream_leaves_no_file(self, tmp_path: Path) -> None:
        """Not only parser errors: a read failing mid-file (I/O error, cancelled upload)."""

        class Failing(io.RawIOBase):
            def __init__(self) -> None:
                self.source = io.BytesIO(dataset_csv(50_000).encode())

            def readable(self) -> bool:
                return True

            def readinto(self, buffer: Any) -> int:
                if self.source.tell() > 200_000:
                    raise OSError("connection reset while reading the upload")
                return self.source.readinto(buffer)

        with pytest.raises(OSError):
            store_upload(io.BufferedReader(Failing()), tmp_path, 1_000, None)
        assert list(tmp_path.iterdir()) == []


class TestDatasetDeletion:
    async def test_owner_or_admin_deletes_row_and_file_others_get_404(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI
    ) -> None:
        owner = auth(signer, 510, "analyst")
        mine, theirs = [(await upload(client, owner)).json()["dataset_id"] for _ in range(2)]
        async with app.state.sessionmaker() as session:
            paths = (
                (
                    await session.execute(
                        text("SELECT path FROM ml.datasets WHERE id IN (:a, :b) ORDER BY id"),
                        {"a": mine, "b": theirs},
                    )
                )
                .scalars()
                .all()
            )
        other = await client.delete(f"/datasets/{mine}", headers=auth(signer, 511, "analyst"))
        assert other.status_code == 404 and await asyncio.to_thread(os.path.exists, paths[0])
        assert (await client.delete(f"/datasets/{mine}", headers=owner)).json() == {
            "message": "Dataset deleted successfully"
        }
        admin = await client.delete(f"/datasets/{theirs}", headers=auth(signer, 512, "admin"))
        assert admin.status_code == 200
        assert not any([await asyncio.to_thread(os.path.exists, p) for p in paths])
        assert (await client.delete(f"/datasets/{mine}", headers=owner)).status_code == 404
        listed = (await client.get("/datasets", params={"limit": 100}, headers=owner)).json()
        assert {mine, theirs}.isdisjoint(d["dataset_id"] for d in listed)
        assert (await client.delete("/datasets/0", headers=owner)).status_code == 422
        assert (
            await client.delete(f"/datasets/{mine}", headers=auth(signer, 510))
        ).status_code == 403


class TestPaging:
    async def test_datasets_and_models_are_paged_with_their_total(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        analyst = auth(signer, 520, "analyst")
        for _ in range(3):
            await upload(client, analyst)
        everything = await client.get("/datasets", headers=analyst)
        total = int(everything.headers["x-total-count"])
        assert total == len(everything.json()) >= 3
        page = await client.get("/datasets", params={"skip": 1, "limit": 2}, headers=analyst)
        assert page.headers["x-total-count"] == str(total)
        assert page.json() == everything.json()[1:3]
        models = (await client.get("/models", params={"limit": 1}, headers=analyst)).json()
        assert len(models["models"]) == 1 and models["total"] >= 1
        assert (
            await client.get("/models", params={"limit": 101}, headers=analyst)
        ).status_code == 422
