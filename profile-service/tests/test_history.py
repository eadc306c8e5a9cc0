"""History: events stored once, filters, export, owner-only delete, user deletion, stats."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from profile_service import service
from profile_service.filters import history_filter
from profile_service.schemas import HistoryPage
from redis.asyncio import Redis
from segshared.contracts.events import HISTORY_STREAM, USER_EVENTS_STREAM, HistoryEvent
from segshared.streams import dead_letter_stream
from segshared.testing import TokenSigner
from sqlalchemy import text

from .helpers import CUSTOMER, SERVICE_TOKEN, auth

INTERNAL = {"X-Service-Token": SERVICE_TOKEN}


def event(
    user_id: int, created_at: datetime, cluster: int = 1, confidence: float = 80.0, **extra: Any
) -> dict[str, str]:
    fields = HistoryEvent(
        uuid.uuid4().hex,
        user_id,
        None,
        json.dumps(CUSTOMER),
        cluster,
        f"Segment {cluster}",
        confidence,
        "v1-test",
        created_at,
    ).to_fields()
    fields.update(extra)
    return fields


async def publish(redis: Redis, *events: dict[str, str]) -> None:
    for fields in events:
        await redis.xadd(HISTORY_STREAM, fields)


async def wait_for_total(client: httpx.AsyncClient, headers: dict[str, str], total: int) -> dict:
    for _ in range(100):
        body = (await client.get("/history", headers=headers)).json()
        if body["total"] >= total:
            return body
        await asyncio.sleep(0.02)
    return body


NOW = datetime.now(UTC)


class TestHistoryEvents:
    async def test_events_appear_newest_first(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis
    ) -> None:
        await publish(
            redis, event(1, NOW - timedelta(minutes=2)), event(1, NOW - timedelta(minutes=1))
        )
        body = await wait_for_total(client, auth(signer, 1), 2)
        assert body["total"] == 2
        first = body["history"][0]
        assert first["created_at"] > body["history"][1]["created_at"]
        assert first["customer_data"] == CUSTOMER and first["cluster"] == 1
        assert set(first) == {
            "id",
            "customer_data",
            "cluster",
            "cluster_name",
            "confidence",
            "model_version",
            "profile_id",
            "created_at",
        }

    async def test_entries_are_history_entries(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis
    ) -> None:
        """The page's JSON is built by PostgreSQL: it must still be HistoryPage, value for
        value (a whole second, a null cluster, nested customer data)."""
        whole_second = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)
        precise = datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
        summary = {"batch_size": 2, "cluster_counts": {"Segment 1": 2}}
        await publish(
            redis,
            event(27, whole_second, confidence=87.25),
            event(
                27,
                precise,
                cluster="",
                cluster_name="",
                confidence="",
                customer_data=json.dumps(summary),
            ),
        )
        await wait_for_total(client, auth(signer, 27), 2)
        response = await client.get("/history", headers=auth(signer, 27))
        assert response.headers["content-type"] == "application/json"
        page = HistoryPage.model_validate_json(response.content)
        assert (page.total, page.total_capped) == (2, False)
        batch, single = page.history
        assert (batch.created_at, batch.cluster, batch.confidence) == (precise, None, None)
        assert batch.customer_data == summary and batch.model_version == "v1-test"
        assert (single.created_at, single.cluster, single.confidence) == (whole_second, 1, 87.25)
        assert single.customer_data == CUSTOMER and single.cluster_name == "Segment 1"
        assert single.id > 0 and single.profile_id is None

    async def test_duplicate_events_are_stored_once(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis
    ) -> None:
        duplicate = event(1, NOW)
        await publish(redis, duplicate, duplicate)
        await wait_for_total(client, auth(signer, 1), 1)
        await publish(redis, duplicate, event(1, NOW))
        body = await wait_for_total(client, auth(signer, 1), 2)
        await asyncio.sleep(0.1)
        assert (
            (await client.get("/history", headers=auth(signer, 1))).json()["total"]
            == 2
            == body["total"]
        )

    async def test_backlog_written_while_stopped_drains_on_start(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis, app: FastAPI
    ) -> None:
        history_consumers = app.state.consumers[:-1]  # the last one reads user events
        assert len({c.consumer for c in history_consumers}) == len(history_consumers) == 2
        for consumer in history_consumers:
            await consumer.stop()
        await publish(redis, *(event(3, NOW - timedelta(seconds=i)) for i in range(25)))
        await asyncio.sleep(0.1)
        assert (await client.get("/history", headers=auth(signer, 3))).json()["total"] == 0
        for consumer in history_consumers:
            consumer.start()
        assert (await wait_for_total(client, auth(signer, 3), 25))["total"] == 25

    async def test_poison_event_is_dead_lettered_and_later_events_are_stored(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis
    ) -> None:
        """Review M6: an entry the database refuses (int4 overflow) never stalls the stream."""
        poison = event(99_999_999_999, NOW)
        await publish(redis, event(15, NOW - timedelta(seconds=1)), poison, event(15, NOW))
        await wait_for_total(client, auth(signer, 15), 2)
        dead: list = []
        for _ in range(300):  # 5 deliveries, 0.5 s doubling: about 8 s
            dead = await redis.xrange(dead_letter_stream(HISTORY_STREAM))
            if dead:
                break
            await asyncio.sleep(0.05)
        [(_, fields)] = dead
        assert fields["event_id"] == poison["event_id"] and fields["dead.deliveries"] == "5"
        assert "out of int32 range" in fields["dead.error"]
        await publish(redis, event(15, NOW))
        assert (await wait_for_total(client, auth(signer, 15), 3))["total"] == 3
        assert (await redis.xpending(HISTORY_STREAM, "profile-service"))["pending"] == 0

    async def test_batch_summary_event(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis
    ) -> None:
        summary = {"batch_size": 3, "cluster_counts": {"Segment 1": 2, "Segment 2": 1}}
        await publish(
            redis,
            event(
                4,
                NOW,
                cluster_name="",
                cluster="",
                confidence="",
                customer_data=json.dumps(summary),
            ),
        )
        entry = (await wait_for_total(client, auth(signer, 4), 1))["history"][0]
        assert entry["cluster"] is None and entry["customer_data"] == summary


class TestHistoryQueries:
    @pytest.fixture
    async def seeded(self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis) -> None:
        await publish(
            redis,
            event(5, datetime(2026, 3, 1, 10, tzinfo=UTC), cluster=0, confidence=40),
            event(5, datetime(2026, 3, 2, 23, 59, tzinfo=UTC), cluster=1, confidence=90),
            event(5, datetime(2026, 3, 3, 0, 0, tzinfo=UTC), cluster=1, confidence=70),
            event(6, datetime(2026, 3, 2, 12, tzinfo=UTC), cluster=1, confidence=99),
        )
        await wait_for_total(client, auth(signer, 5), 3)
        await wait_for_total(client, auth(signer, 6), 1)

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("", 3),
            ("cluster=1", 2),
            ("min_confidence=70", 2),
            ("date_from=2026-03-02", 2),
            ("date_to=2026-03-02", 2),
            ("date_from=2026-03-02&date_to=2026-03-02", 1),
            ("date_from=2026-03-02T23:00:00Z&date_to=2026-03-03T00:00:00%2B00:00", 2),
            ("cluster=1&min_confidence=80", 1),
        ],
    )
    async def test_filters(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        seeded: None,
        query: str,
        expected: int,
    ) -> None:
        body = (await client.get(f"/history?{query}", headers=auth(signer, 5))).json()
        assert body["total"] == expected == len(body["history"])

    async def test_paging_keeps_the_total(
        self, client: httpx.AsyncClient, signer: TokenSigner, seeded: None
    ) -> None:
        body = (await client.get("/history?skip=1&limit=1", headers=auth(signer, 5))).json()
        assert body["total"] == 3 and len(body["history"]) == 1
        assert body["total_capped"] is False
        assert body["history"][0]["created_at"].startswith("2026-03-02T23:59")

    async def test_total_is_counted_up_to_a_bound_past_skip(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        redis: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(service, "HISTORY_TOTAL_CAP", 10)
        await publish(redis, *(event(16, NOW - timedelta(seconds=i)) for i in range(30)))
        await wait_for_total(client, auth(signer, 16), 10)
        for _ in range(100):  # the consumer may still be storing the last events
            last = (await client.get("/history?skip=29", headers=auth(signer, 16))).json()
            if last["history"]:
                break
            await asyncio.sleep(0.02)
        first = (await client.get("/history?limit=5", headers=auth(signer, 16))).json()
        assert (first["total"], first["total_capped"], len(first["history"])) == (10, True, 5)
        deep = (await client.get("/history?skip=15&limit=5", headers=auth(signer, 16))).json()
        assert (deep["total"], deep["total_capped"]) == (25, True)
        assert (last["total"], last["total_capped"], len(last["history"])) == (30, False, 1)
        filtered = (await client.get("/history?cluster=2", headers=auth(signer, 16))).json()
        assert (filtered["total"], filtered["total_capped"]) == (0, False)

    @pytest.mark.parametrize(
        "query", ["date_from=yesterday", "limit=0", "limit=101", "skip=-1", "min_confidence=101"]
    )
    async def test_bad_filters_are_422(
        self, client: httpx.AsyncClient, signer: TokenSigner, query: str
    ) -> None:
        assert (await client.get(f"/history?{query}", headers=auth(signer, 5))).status_code == 422

    async def test_export_matches_the_filtered_list(
        self, client: httpx.AsyncClient, signer: TokenSigner, seeded: None
    ) -> None:
        listed = (await client.get("/history?cluster=1", headers=auth(signer, 5))).json()["history"]
        response = await client.get("/history/export?cluster=1", headers=auth(signer, 5))
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [int(r["id"]) for r in rows] == [e["id"] for e in listed]
        assert {
            "id",
            "created_at",
            "cluster",
            "cluster_name",
            "confidence",
            "sex",
            "age",
            "annual_income",
            "spending_score",
            "purchase_frequency",
        } <= set(rows[0])
        assert rows[0]["age"] == "31"

    async def test_export_pages_through_large_histories(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis, app: FastAPI
    ) -> None:
        app.state.settings.export_page_size = 7
        same_time = NOW - timedelta(hours=1)
        await publish(
            redis,
            *(event(8, same_time if i % 2 else NOW - timedelta(seconds=i)) for i in range(30)),
        )
        await wait_for_total(client, auth(signer, 8), 30)
        try:
            rows = list(
                csv.DictReader(
                    io.StringIO((await client.get("/history/export", headers=auth(signer, 8))).text)
                )
            )
        finally:
            app.state.settings.export_page_size = 2000
        assert len(rows) == 30 and len({r["id"] for r in rows}) == 30

    async def test_export_holds_no_connection_between_pages(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis, app: FastAPI
    ) -> None:
        await publish(redis, *(event(9, NOW - timedelta(seconds=i)) for i in range(10)))
        await wait_for_total(client, auth(signer, 9), 10)
        pool = app.state.engine.pool
        chunks = []
        flt = await history_filter()
        async for chunk in service.history_csv(app.state.sessionmaker, 9, flt, 3):
            assert pool.checkedout() == 0  # a slow reader here ties up no connection
            chunks.append(chunk.decode())
        rows = list(csv.DictReader(io.StringIO("".join(chunks))))
        assert len(chunks) == 1 + 4  # the header, then pages of 3, 3, 3 and 1
        assert len({r["id"] for r in rows}) == 10

    async def test_export_keeps_every_field_across_pages(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Any, app: FastAPI
    ) -> None:
        tricky = 'Big, "loyal"\nspenders'  # a comma, quotes and a newline in one field
        await publish(
            redis,
            *(event(17, NOW - timedelta(seconds=i), cluster_name=tricky) for i in range(5)),
            event(17, NOW - timedelta(minutes=5), cluster="", cluster_name="", confidence=""),
        )
        listed = (await wait_for_total(client, auth(signer, 17), 6))["history"]
        app.state.settings.export_page_size = 2
        try:
            response = await client.get("/history/export", headers=auth(signer, 17))
        finally:
            app.state.settings.export_page_size = 2000
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [int(r["id"]) for r in rows] == [e["id"] for e in listed]
        assert [datetime.fromisoformat(r["created_at"]) for r in rows] == [
            datetime.fromisoformat(e["created_at"]) for e in listed
        ]
        assert {r["cluster_name"] for r in rows[:5]} == {tricky}
        assert (float(rows[0]["confidence"]), rows[0]["model_version"], rows[0]["age"]) == (
            80.0,
            "v1-test",
            "31",
        )
        assert (rows[5]["cluster"], rows[5]["confidence"], rows[5]["profile_id"]) == ("", "", "")

    async def test_slow_exports_leave_the_pool_to_history_writes(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Any, app: FastAPI
    ) -> None:
        await publish(redis, *(event(18, NOW - timedelta(seconds=i)) for i in range(6)))
        listed = (await wait_for_total(client, auth(signer, 18), 6))["history"]
        pool = app.state.engine.pool
        flt = await history_filter()
        # More exports than the pool has connections (10 + 10 overflow), each stalled by
        # its reader after its first page.
        exports = [service.history_csv(app.state.sessionmaker, 18, flt, 2) for _ in range(30)]
        received = [[await anext(e), await anext(e)] for e in exports]
        assert pool.checkedout() == 0
        deleted = await client.delete(f"/history/{listed[0]['id']}", headers=auth(signer, 18))
        assert deleted.status_code == 200
        await publish(redis, event(19, NOW))
        assert (await wait_for_total(client, auth(signer, 19), 1))["total"] == 1
        for export, chunks in zip(exports, received, strict=True):
            chunks.extend([chunk async for chunk in export])
            rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
            assert len({r["id"] for r in rows}) == len(rows) >= 5

    async def test_delete_is_owner_only(
        self, client: httpx.AsyncClient, signer: TokenSigner, seeded: None
    ) -> None:
        entry = (await client.get("/history", headers=auth(signer, 5))).json()["history"][0]
        assert (
            await client.delete(f"/history/{entry['id']}", headers=auth(signer, 6))
        ).status_code == 404
        deleted = await client.delete(f"/history/{entry['id']}", headers=auth(signer, 5))
        assert deleted.status_code == 200 and "message" in deleted.json()
        assert (
            await client.delete(f"/history/{entry['id']}", headers=auth(signer, 5))
        ).status_code == 404
        assert (await client.get("/history", headers=auth(signer, 5))).json()["total"] == 2


class TestUserDeletionAndStats:
    async def test_user_deleted_event_removes_their_data(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis
    ) -> None:
        await client.post("/profiles/", json={"name": "x", **CUSTOMER}, headers=auth(signer, 9))
        await publish(redis, event(9, NOW), event(10, NOW))
        # Separate XADDs may land in separate consumer batches: wait for both.
        await wait_for_total(client, auth(signer, 9), 1)
        await wait_for_total(client, auth(signer, 10), 1)
        for _ in range(2):  # idempotent
            await redis.xadd(
                USER_EVENTS_STREAM,
                {
                    "event_id": uuid.uuid4().hex,
                    "type": "user.deleted",
                    "user_id": "9",
                    "occurred_at": NOW.isoformat(),
                },
            )
        for _ in range(150):
            stats = (await client.get("/internal/users/9/stats", headers=INTERNAL)).json()
            if stats == {"total_predictions": 0, "total_saved_profiles": 0}:
                break
            await asyncio.sleep(0.02)
        assert stats == {"total_predictions": 0, "total_saved_profiles": 0}
        assert (await client.get("/internal/users/10/stats", headers=INTERNAL)).json()[
            "total_predictions"
        ] == 1

    async def test_history_consumed_after_the_deletion_is_not_stored(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis
    ) -> None:
        """Review L2: events from before the deletion, consumed after it (a backlog)."""
        await client.post("/profiles/", json={"name": "x", **CUSTOMER}, headers=auth(signer, 13))
        await redis.xadd(
            USER_EVENTS_STREAM,
            {
                "event_id": uuid.uuid4().hex,
                "type": "user.deleted",
                "user_id": "13",
                "occurred_at": NOW.isoformat(),
            },
        )
        for _ in range(150):
            stats = (await client.get("/internal/users/13/stats", headers=INTERNAL)).json()
            if stats["total_saved_profiles"] == 0:
                break
            await asyncio.sleep(0.02)
        assert stats["total_saved_profiles"] == 0
        await publish(redis, event(13, NOW - timedelta(seconds=5)), event(14, NOW))
        await wait_for_total(client, auth(signer, 14), 1)
        await asyncio.sleep(0.3)  # one more batch interval
        assert (await client.get("/history", headers=auth(signer, 13))).json()["total"] == 0
        assert (await client.get("/history", headers=auth(signer, 14))).json()["total"] == 1

    async def test_internal_stats(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis
    ) -> None:
        await client.post("/profiles/", json={"name": "x", **CUSTOMER}, headers=auth(signer, 11))
        await publish(
            redis,
            event(11, NOW, cluster=2),
            event(12, NOW - timedelta(days=10), cluster=2),
            event(
                11,
                NOW,
                cluster="",
                cluster_name="",
                confidence="",
                customer_data=json.dumps({"batch_size": 2, "cluster_counts": {}}),
            ),
        )
        await wait_for_total(client, auth(signer, 11), 2)
        await wait_for_total(client, auth(signer, 12), 1)
        overall = (await client.get("/internal/stats", headers=INTERNAL)).json()
        assert overall["total_predictions"] == 3 and overall["total_profiles"] == 1
        assert overall["predictions_by_cluster"] == {"Segment 2": 2}
        days = overall["predictions_last_7_days"]
        assert len(days) == 7 and days[-1] == {"date": NOW.date().isoformat(), "count": 2}
        many = (
            await client.post(
                "/internal/users/stats", json={"user_ids": [11, 12, 99]}, headers=INTERNAL
            )
        ).json()
        assert many["11"] == {"total_predictions": 2, "total_saved_profiles": 1}
        assert many["99"] == {"total_predictions": 0, "total_saved_profiles": 0}

    async def test_predictions_over_time_buckets_include_zero_buckets(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Redis
    ) -> None:
        today = NOW.date()
        await publish(
            redis,
            event(13, NOW),
            event(13, NOW),
            event(13, NOW - timedelta(days=3)),
            event(13, NOW - timedelta(days=40)),
            event(13, NOW - timedelta(days=400)),
        )
        await wait_for_total(client, auth(signer, 13), 5)

        async def over_time(**params: Any) -> list[dict[str, Any]]:
            response = await client.get("/internal/stats", params=params, headers=INTERNAL)
            assert response.status_code == 200, response.text
            return response.json()["predictions_over_time"]

        daily = await over_time(days=7, bucket="day")
        assert [d["start"] for d in daily] == [
            (today - timedelta(days=6 - i)).isoformat() for i in range(7)
        ]
        assert (
            daily[-1]["count"] == 2
            and daily[-4]["count"] == 1
            and sum(d["count"] for d in daily) == 3
        )
        assert (await over_time()) == daily  # day buckets over 7 days by default

        weekly = await over_time(days=90, bucket="week")
        starts = [date.fromisoformat(w["start"]) for w in weekly]
        assert all(s.weekday() == 0 for s in starts)  # ISO weeks start on Monday
        assert all(b - a == timedelta(days=7) for a, b in pairwise(starts))
        assert starts[0] <= today - timedelta(days=89) < starts[0] + timedelta(days=7)
        assert starts[-1] <= today < starts[-1] + timedelta(days=7)
        assert sum(w["count"] for w in weekly) == 4  # the 400-day-old one is outside
        assert any(w["count"] == 0 for w in weekly)

        monthly = await over_time(days=365, bucket="month")
        assert all(m["start"].endswith("-01") for m in monthly)
        assert monthly[-1]["start"] == today.replace(day=1).isoformat()
        assert len(monthly) in (12, 13) and sum(m["count"] for m in monthly) == 4

    async def test_stats_window_is_validated(self, client: httpx.AsyncClient) -> None:
        for params in ({"days": 6}, {"days": 366}, {"bucket": "year"}):
            response = await client.get("/internal/stats", params=params, headers=INTERNAL)
            assert response.status_code == 422, params

    async def test_internal_routes_need_the_service_credential(
        self, client: httpx.AsyncClient
    ) -> None:
        for headers in ({}, {"X-Service-Token": "nope"}):
            assert (await client.get("/internal/stats", headers=headers)).status_code == 404


class TestAdminStatsCost:
    """Review L13: /admin/stats must not count every history row on each call."""

    async def test_large_history_totals_are_computed_once_per_interval(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        redis: Any,
        app: FastAPI,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # One analysed row counts as large here; totals live 1 s.
        monkeypatch.setattr(app.state.settings, "stats_exact_rows", 1)
        monkeypatch.setattr(app.state.settings, "stats_cache_seconds", 1.0)
        for key in await redis.keys("profile:overall-stats:*"):
            await redis.delete(key)
        await publish(redis, event(40, NOW))
        await wait_for_total(client, auth(signer, 40), 1)
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(text("ANALYZE profiles.prediction_history"))
        first = (await client.get("/internal/stats", headers=INTERNAL)).json()
        assert first["total_predictions"] == 1
        await publish(redis, event(40, NOW))
        await wait_for_total(client, auth(signer, 40), 2)
        cached = (await client.get("/internal/stats", headers=INTERNAL)).json()
        assert cached == first  # no recount within the interval
        await asyncio.sleep(1.1)
        assert (await client.get("/internal/stats", headers=INTERNAL)).json()[
            "total_predictions"
        ] == 2

    async def test_small_history_totals_are_exact(
        self, client: httpx.AsyncClient, signer: TokenSigner, redis: Any, app: FastAPI
    ) -> None:
        assert app.state.settings.stats_cache_seconds > 0  # the default caches large ones
        for expected in (1, 2):
            await publish(redis, event(41, NOW))
            await wait_for_total(client, auth(signer, 41), expected)
            stats = (await client.get("/internal/stats", headers=INTERNAL)).json()
            assert stats["total_predictions"] == expected
