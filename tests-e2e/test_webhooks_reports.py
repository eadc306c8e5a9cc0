"""Reports and webhooks through the gateway, with two ml-service replicas delivering."""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import openpyxl
import pypdf
import pytest
from helpers import UserFactory
from segshared.testing import WebhookReceiver

from devstack import Stack


@pytest.fixture(scope="module")
def second_ml_replica(stack: Stack) -> Iterator[str]:
    """Another ml-service process on the same database, Redis and MODEL_DIR."""
    url = stack.start_replica("ml")
    try:
        yield url
    finally:
        stack.stop("ml-replica", timeout=15)


def wait_for(check, seconds: float = 120):  # type: ignore[no-untyped-def]
    for _ in range(int(seconds * 5)):
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached")


class TestWebhooks:
    def test_each_event_delivered_once_across_two_replicas(
        self,
        gateway: httpx.Client,
        make_user: UserFactory,
        admin_headers: dict[str, str],
        second_ml_replica: str,
    ) -> None:
        analyst = make_user("analyst")
        receiver = WebhookReceiver(delay=0.1).start()
        try:
            created = gateway.post(
                "/webhooks",
                json={"url": receiver.url, "events": ["training.succeeded", "model.activated"]},
                headers=analyst.headers,
            )
            assert created.status_code == 201, created.text
            hook_id = created.json()["id"]
            job = gateway.post("/train/jobs", json={"n_clusters": 3}, headers=analyst.headers)
            assert job.status_code == 202, job.text
            job_id = job.json()["job_id"]
            status = wait_for(
                lambda: (
                    (s := gateway.get(f"/train/jobs/{job_id}", headers=analyst.headers).json())[
                        "status"
                    ]
                    in ("succeeded", "failed")
                    and s
                )
            )
            assert status["status"] == "succeeded"
            version = status["result"]["model_version"]
            for _ in range(5):  # more events for the two replicas to compete for
                assert (
                    gateway.post(f"/models/{version}/activate", headers=admin_headers).status_code
                    == 200
                )

            def settled() -> list[dict] | None:
                items = gateway.get(
                    f"/webhooks/{hook_id}/deliveries", headers=analyst.headers
                ).json()
                return (
                    items
                    if len(items) == 7 and all(d["status"] == "succeeded" for d in items)
                    else None
                )

            deliveries = wait_for(settled)
        finally:
            receiver.stop()
        bodies = receiver.bodies()
        assert Counter(b["id"] for b in bodies) == Counter({d["id"]: 1 for d in deliveries})
        assert Counter(b["event"] for b in bodies) == {
            "training.succeeded": 1,
            "model.activated": 6,
        }
        [succeeded] = [b for b in bodies if b["event"] == "training.succeeded"]
        assert (
            succeeded["data"]["job_id"] == job_id and succeeded["data"]["model_version"] == version
        )
        assert gateway.delete(f"/webhooks/{hook_id}", headers=analyst.headers).status_code == 204

    def test_private_address_refused_and_objects_per_user(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        analyst, other = make_user("analyst"), make_user("analyst")
        created = gateway.post(
            "/webhooks",
            json={"url": "http://127.0.0.1:9/x", "events": ["drift.detected"]},
            headers=analyst.headers,
        )
        assert created.status_code == 201  # this stack runs with WEBHOOK_ALLOW_PRIVATE=true
        hook_id = created.json()["id"]
        assert (
            gateway.get(f"/webhooks/{hook_id}/deliveries", headers=other.headers).status_code == 404
        )
        assert gateway.delete(f"/webhooks/{hook_id}", headers=other.headers).status_code == 404
        assert gateway.get("/webhooks", headers=make_user().headers).status_code == 403


class TestReports:
    def test_reports_download_through_the_gateway(
        self, gateway: httpx.Client, make_user: UserFactory
    ) -> None:
        analyst = make_user("analyst")
        clusters = gateway.get("/clusters", headers=analyst.headers).json()
        xlsx = gateway.get("/reports/segments.xlsx", headers=analyst.headers)
        assert xlsx.status_code == 200, xlsx.text
        rows = list(
            openpyxl.load_workbook(io.BytesIO(xlsx.content))["Clusters"].iter_rows(
                min_row=2, values_only=True
            )
        )
        assert [r[1] for r in rows] == [c["cluster_name"] for c in clusters["clusters"]]
        pdf = gateway.get("/reports/segments.pdf", headers=analyst.headers)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert len(pypdf.PdfReader(io.BytesIO(pdf.content)).pages) == 2 + clusters["n_clusters"]
        assert (
            gateway.get(
                "/reports/segments.pdf", params={"version": "v0-none"}, headers=analyst.headers
            ).status_code
            == 404
        )
        assert gateway.get("/reports/segments.pdf", headers=make_user().headers).status_code == 403
