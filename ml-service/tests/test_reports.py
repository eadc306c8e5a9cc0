"""The segment report: xlsx (openpyxl reads the right values back) and PDF (pypdf)."""

from __future__ import annotations

import io
import zipfile

import httpx
import openpyxl
import pypdf
from fastapi import FastAPI
from segshared.testing import TokenSigner

from .helpers import auth


async def train(client: httpx.AsyncClient, signer: TokenSigner, k: int) -> str:
    response = await client.post(
        "/train", json={"n_clusters": k, "k_min": 2, "k_max": 6}, headers=auth(signer, 7, "admin")
    )
    assert response.status_code == 200, response.text
    return response.json()["model_version"]


class TestExcel:
    async def test_workbook_holds_the_active_models_facts_as_numbers(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI
    ) -> None:
        version = await train(client, signer, 4)
        analyst = auth(signer, 31, "analyst")
        response = await client.get("/reports/segments.xlsx", headers=analyst)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert f"segments-{version}.xlsx" in response.headers["content-disposition"]
        clusters = (await client.get("/clusters", headers=analyst)).json()["clusters"]
        elbow = (await client.get("/elbow", headers=analyst)).json()

        book = openpyxl.load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["Summary", "Clusters", "Elbow"]
        summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
        assert summary["Model version"] == version and summary["Active"] == "yes"
        assert summary["Clusters"] == 4 and isinstance(summary["Clusters"], int)
        model = app.state.store.model.trained
        assert summary["Silhouette score"] == model.silhouette_score
        assert summary["Training rows"] == model.n_samples

        sheet = book["Clusters"]
        header = [cell.value for cell in sheet[1]]
        rows = [
            dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(min_row=2, values_only=True)
        ]
        assert len(rows) == 4
        for row, cluster in zip(rows, clusters, strict=True):
            assert row["cluster_id"] == cluster["cluster_id"]
            assert row["name"] == cluster["cluster_name"]
            assert row["size"] == cluster["size"] and isinstance(row["size"], int)
            assert row["share"] == cluster["percentage"] / 100
            assert row["avg_income"] == cluster["avg_income"]
            assert isinstance(row["centroid_annual_income"], float)
        assert sheet["D2"].number_format == "0.00%"

        elbow_rows = list(book["Elbow"].iter_rows(min_row=2, values_only=True))
        assert [r[0] for r in elbow_rows] == elbow["k_range"]
        assert [r[1] for r in elbow_rows] == elbow["inertias"]
        assert [r[2] for r in elbow_rows] == elbow["silhouette_scores"]
        # openpyxl does not read charts back: the chart parts must be in the package.
        parts = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        assert sum(name.startswith("xl/charts/chart") for name in parts) == 2

    async def test_an_earlier_version_and_unknown_ones(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        earlier = await train(client, signer, 3)
        await train(client, signer, 2)
        analyst = auth(signer, 31, "analyst")
        response = await client.get(
            "/reports/segments.xlsx", params={"version": earlier}, headers=analyst
        )
        assert response.status_code == 200
        summary = openpyxl.load_workbook(io.BytesIO(response.content))["Summary"]
        values = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
        assert values["Model version"] == earlier and values["Active"] == "no"
        assert values["Clusters"] == 3
        for path in ("/reports/segments.xlsx", "/reports/segments.pdf"):
            for version in ("v999-nothing", "../../etc/passwd"):
                missing = await client.get(path, params={"version": version}, headers=analyst)
                assert missing.status_code == 404, missing.text
            assert (await client.get(path, headers=auth(signer, 5, "user"))).status_code == 403
            assert (await client.get(path)).status_code == 401


class TestPdf:
    async def test_pdf_has_a_page_per_cluster_with_names_and_page_numbers(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        version = await train(client, signer, 5)
        analyst = auth(signer, 31, "analyst")
        response = await client.get("/reports/segments.pdf", headers=analyst)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        clusters = (await client.get("/clusters", headers=analyst)).json()["clusters"]
        reader = pypdf.PdfReader(io.BytesIO(response.content))
        assert len(reader.pages) == 2 + 5  # title, charts, one per cluster
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
        texts = [page.extract_text() for page in reader.pages]
        assert "Customer segment report" in texts[0] and version in texts[0]
        assert "Elbow: inertia by k" in texts[1] and "Silhouette by k" in texts[1]
        for number, text in enumerate(texts, start=1):
            assert f"Page {number}" in text
        for cluster, text in zip(clusters, texts[2:], strict=True):
            assert f"Cluster {cluster['cluster_id']}: {cluster['cluster_name']}" in text
