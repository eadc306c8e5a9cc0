"""Predict, batch and internal predict: answers, errors, history events, metering."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import gc
import io
import json
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from ml_service.settings import MlSettings
from redis.asyncio import Redis
from segshared.contracts.events import HISTORY_STREAM
from segshared.contracts.quota import PREDICTED_ROWS_HEADER, usage_today
from segshared.redis_client import make_redis
from segshared.testing import TokenSigner, free_port

from .helpers import CUSTOMER, SERVICE_TOKEN, auth


async def last_event(redis: Redis) -> dict[str, str]:
    entries = await redis.xrevrange(HISTORY_STREAM, count=1)
    return entries[0][1]


class TestPredict:
    async def test_predict_answers_and_records_history(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI, redis: Redis
    ) -> None:
        response = await client.post("/predict", json=CUSTOMER, headers=auth(signer, 21))
        assert response.status_code == 200
        body = response.json()
        model = app.state.store.model
        assert body["model_version"] == model.version
        assert body["cluster_name"] == model.names[body["cluster"]]
        assert 0 <= body["confidence"] <= 100
        assert body["customer_data"] == {**CUSTOMER, "sex": "Female"}
        event = await last_event(redis)
        assert event["user_id"] == "21" and event["profile_id"] == ""
        assert event["cluster"] == str(body["cluster"]) and len(event["event_id"]) == 32
        assert json.loads(event["customer_data"])["sex"] == "Female"

    @pytest.mark.parametrize(
        "bad",
        [
            {"age": 17},
            {"age": 101},
            {"annual_income": -0.1},
            {"annual_income": 10000.5},
            {"spending_score": 0},
            {"spending_score": 101},
            {"purchase_frequency": -1},
            {"purchase_frequency": 366},
            {"sex": "x"},
            {"age": "old"},
        ],
    )
    async def test_out_of_range_input_is_422(
        self, client: httpx.AsyncClient, signer: TokenSigner, bad: dict
    ) -> None:
        response = await client.post("/predict", json={**CUSTOMER, **bad}, headers=auth(signer))
        assert response.status_code == 422 and isinstance(response.json()["detail"], list)

    async def test_missing_token_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/predict", json=CUSTOMER)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"

    async def test_without_a_model_predict_is_503(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI
    ) -> None:
        app.state.store.model = None  # the `app` fixture serves the first model again
        for method, path, body in (
            ("POST", "/predict", CUSTOMER),
            ("GET", "/clusters", None),
            ("POST", "/predict/batch", {"customers": [CUSTOMER]}),
        ):
            response = await client.request(method, path, json=body, headers=auth(signer))
            assert response.status_code == 503
            assert response.json() == {"detail": "Model not trained. Please train the model first"}

    async def test_batch_reports_rows_predicted_for_the_gateways_refund(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis
    ) -> None:
        headers = auth(signer, 22, akid=501)
        await client.post("/predict", json=CUSTOMER, headers=headers)
        answer = await client.post(
            "/predict/batch", json={"customers": [CUSTOMER, CUSTOMER, {"age": 1}]}, headers=headers
        )
        assert answer.headers[PREDICTED_ROWS_HEADER] == "2"
        # The gateway meters (reserving before the work); the service no longer does.
        assert await usage_today(redis, 501) == 0

    async def test_internal_predict_carries_the_profile(
        self, client: httpx.AsyncClient, redis: Redis
    ) -> None:
        body = {"user_id": 23, "profile_id": 9, "customer": CUSTOMER}
        denied = await client.post(
            "/internal/predict", json=body, headers={"X-Service-Token": "nope"}
        )
        assert denied.status_code == 404
        response = await client.post(
            "/internal/predict", json=body, headers={"X-Service-Token": SERVICE_TOKEN}
        )
        assert response.status_code == 200 and "cluster_name" in response.json()
        event = await last_event(redis)
        assert (event["user_id"], event["profile_id"]) == ("23", "9")


class TestHistoryStreamTrimming:
    async def test_only_what_the_consumer_group_acked_is_trimmed(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis
    ) -> None:
        """Review M6: no MAXLEN; entries go once profile-service's group has acked them."""
        group = "profile-service"
        await redis.xgroup_create(HISTORY_STREAM, group, id="$", mkstream=True)
        try:
            for _ in range(300):
                assert (
                    await client.post("/predict", json=CUSTOMER, headers=auth(signer, 22))
                ).status_code == 200
            read = await redis.xreadgroup(group, "c", {HISTORY_STREAM: ">"}, count=1000)
            ids = [entry_id for entry_id, _ in read[0][1]]
            assert len(ids) == 300
            await redis.xack(HISTORY_STREAM, group, *ids[:200])  # 100 still pending
            for _ in range(100):  # the trim loop runs every STREAM_TRIM_SECONDS (0.2 s here)
                remaining = {entry_id for entry_id, _ in await redis.xrange(HISTORY_STREAM)}
                if ids[0] not in remaining:
                    break
                await asyncio.sleep(0.05)
            assert ids[0] not in remaining  # acked entries are gone...
            assert set(ids[200:]) <= remaining  # ...pending ones all kept
        finally:
            await redis.xgroup_destroy(HISTORY_STREAM, group)


class TestBatch:
    async def test_json_batch_keeps_rows_and_errors(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis
    ) -> None:
        customers = [CUSTOMER, {**CUSTOMER, "age": 5}, {**CUSTOMER, "sex": "male"}, "junk"]
        response = await client.post(
            "/predict/batch", json={"customers": customers}, headers=auth(signer, 24)
        )
        body = response.json()
        assert response.status_code == 200
        assert [r["row"] for r in body["results"]] == [0, 2]
        assert [e["row"] for e in body["errors"]] == [1, 3]
        event = await last_event(redis)
        summary = json.loads(event["customer_data"])
        assert event["cluster"] == "" and summary["batch_size"] == 4
        assert sum(summary["cluster_counts"].values()) == 2

    async def test_empty_batch_has_empty_lists(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        response = await client.post("/predict/batch", json={"customers": []}, headers=auth(signer))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["results"] == [] and body["errors"] == []

    async def test_more_than_10000_json_items_is_413(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        response = await client.post(
            "/predict/batch", json={"customers": [CUSTOMER] * 10_001}, headers=auth(signer)
        )
        assert response.status_code == 413

    async def test_malformed_batch_body_is_422(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        for content in (b"{", b'{"rows": []}', b"[]"):
            response = await client.post(
                "/predict/batch",
                content=content,
                headers={**auth(signer), "Content-Type": "application/json"},
            )
            assert response.status_code == 422

    async def test_csv_upload_answers_json(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        data = (
            "Gender,Age,Annual Income (k$),Spending Score (1-100),purchase_frequency\n"
            "Male,30,50,60,12\nFemale,17,50,60,12\nFemale,44,90.5,20,3\n"
        )
        response = await client.post(
            "/predict/batch", files={"file": ("c.csv", data, "text/csv")}, headers=auth(signer)
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert [r["row"] for r in body["results"]] == [0, 2]
        assert body["errors"] == [{"row": 1, "detail": "age must be between 18 and 100"}]

    async def test_csv_upload_answers_csv_with_columns_appended(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        data = (
            "id,note,sex,age,annual_income,spending_score,purchase_frequency\n"
            "a,x,Male,30,50,60,12\nb,y,Female,200,50,60,12\n"
        )
        response = await client.post(
            "/predict/batch",
            files={"file": ("c.csv", data, "text/csv")},
            headers={**auth(signer), "Accept": "text/csv"},
        )
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0] == [
            "id",
            "note",
            "sex",
            "age",
            "annual_income",
            "spending_score",
            "purchase_frequency",
            "cluster",
            "cluster_name",
            "confidence",
        ]
        assert rows[1][:2] == ["a", "x"] and rows[1][7] != ""
        assert rows[2][7:] == ["", "", ""]

    async def test_json_batch_as_csv(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI
    ) -> None:
        response = await client.post(
            "/predict/batch",
            json={"customers": [CUSTOMER]},
            headers={**auth(signer), "Accept": "text/csv"},
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        model = app.state.store.model
        assert rows[0]["age"] == "31"
        assert rows[0]["cluster_name"] == model.names[int(rows[0]["cluster"])]

    async def test_more_than_one_file_part_is_400(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        """Review L4: Starlette spools up to 1000 file parts per request unless told."""
        data = "sex,age,annual_income,spending_score,purchase_frequency\nMale,30,50,60,12\n"
        files = [("file", ("a.csv", data, "text/csv")), ("extra", ("b.csv", data, "text/csv"))]
        response = await client.post("/predict/batch", files=files, headers=auth(signer))
        assert response.status_code == 400

    async def test_csv_missing_column_is_422_naming_it(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        data = "sex,age,annual_income,spending_score\nMale,30,50,60\n"
        response = await client.post(
            "/predict/batch", files={"file": ("c.csv", data, "text/csv")}, headers=auth(signer)
        )
        assert response.status_code == 422 and "purchase_frequency" in response.json()["detail"]


class TestBatchLimits:
    """Bodies are measured while read; CSV lines are bounded; refused rows are capped."""

    HEADER = "sex,age,annual_income,spending_score,purchase_frequency\n"

    async def test_json_body_over_the_limit_is_413_chunked_or_not(
        self, client: httpx.AsyncClient, signer: TokenSigner, settings: MlSettings
    ) -> None:
        size = settings.max_body_bytes + 1

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"customers": ['
            for _ in range(size // 65536 + 1):
                yield b" " * 65536

        headers = {**auth(signer), "Content-Type": "application/json"}
        chunked = await client.post("/predict/batch", content=chunks(), headers=headers)
        assert chunked.status_code == 413
        declared = await client.post(
            "/predict/batch", content=b"{}", headers={**headers, "Content-Length": str(size)}
        )
        assert declared.status_code == 413

    async def test_over_wide_or_unterminated_line_is_422(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        good = self.HEADER + "Male,30,50,60,12\n" * 3
        wide = good + "Male," + "9" * (2 << 20) + ",50,60,12\n"
        for bad in (wide, good + '"Female,30,50,60,12\nMale,30,50,60,12\n', "x" * (2 << 20)):
            response = await client.post(
                "/predict/batch", files={"file": ("c.csv", bad, "text/csv")}, headers=auth(signer)
            )
            assert response.status_code == 422, response.text
            assert "longer than" in response.json()["detail"]

    async def test_csv_answer_quotes_only_values_that_need_it(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        data = (
            "note,sex,age,annual_income,spending_score,purchase_frequency\n"
            '"a, b",Male,30,50,60,12\nplain, Female , 31 ,50,60,12\n'
        )
        response = await client.post(
            "/predict/batch",
            files={"file": ("c.csv", data, "text/csv")},
            headers={**auth(signer), "Accept": "text/csv"},
        )
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[1][0] == "a, b" and rows[1][6] != ""
        assert rows[2][:3] == ["plain", " Female ", " 31 "] and rows[2][6] != ""
        assert response.text.splitlines()[0].startswith("note,sex,")

    async def test_csv_errors_are_capped_in_the_json_answer(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        app: FastAPI,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(app.state.settings, "max_batch_errors", 2)
        data = self.HEADER + "Male,5,50,60,12\n" * 5 + "Male,30,50,60,12\n"
        body = (
            await client.post(
                "/predict/batch", files={"file": ("c.csv", data, "text/csv")}, headers=auth(signer)
            )
        ).json()
        assert [e["row"] for e in body["errors"]] == [0, 1]
        assert [r["row"] for r in body["results"]] == [5]


class TestBatchAnswerFiles:
    """Review L4: a batch answer is spooled to a temp file; none may outlive its request."""

    @staticmethod
    async def call_with_client_gone(app: FastAPI, request: httpx.Request) -> None:
        """Run `request` through the app while the client has gone before the answer starts."""
        body = request.read()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": "http",
            "path": request.url.path,
            "raw_path": request.url.raw_path,
            "query_string": b"",
            "root_path": "",
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": ("127.0.0.1", 50000),
            "server": ("ml", 80),
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                raise OSError("the client went away")

        with contextlib.suppress(OSError):
            await app(scope, receive, send)

    async def test_an_answer_nobody_reads_leaves_no_file(
        self,
        app: FastAPI,
        signer: TokenSigner,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        data = "sex,age,annual_income,spending_score,purchase_frequency\n" + (
            "Male,30,50,60,12\n" * 2_000
        )
        headers = auth(signer)
        for request in (
            httpx.Request(
                "POST",
                "http://ml/predict/batch",
                files={"file": ("c.csv", data)},
                headers={**headers, "Accept": "text/csv"},
            ),
            httpx.Request(
                "POST", "http://ml/predict/batch", files={"file": ("c.csv", data)}, headers=headers
            ),
            httpx.Request(
                "POST",
                "http://ml/predict/batch",
                json={"customers": [CUSTOMER] * 50},
                headers={**headers, "Accept": "text/csv"},
            ),
        ):
            await self.call_with_client_gone(app, request)
            gc.collect()
            await asyncio.sleep(0.05)  # finalisers of abandoned generators, if any, run
            assert await asyncio.to_thread(os.listdir, tmp_path) == []

    async def test_a_failed_history_record_leaves_no_file(
        self,
        client: httpx.AsyncClient,
        app: FastAPI,
        signer: TokenSigner,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        state, unreachable = app.state, make_redis(f"redis://127.0.0.1:{free_port()}/0")
        app.state = dataclasses.replace(state, redis=unreachable)
        data = "sex,age,annual_income,spending_score,purchase_frequency\nMale,30,50,60,12\n"
        try:
            for accept in ("text/csv", "application/json"):
                response = await client.post(
                    "/predict/batch",
                    files={"file": ("c.csv", data)},
                    headers={**auth(signer), "Accept": accept},
                )
                assert response.status_code == 503, response.text
                assert await asyncio.to_thread(os.listdir, tmp_path) == []
        finally:
            app.state = state
            await unreachable.aclose()
