"""Webhooks: subscriptions (SSRF guard, per-user objects, secret once), signed deliveries
through the outbox, retries recorded, nothing lost, one delivery across two workers."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from ml_service.settings import DEV_WEBHOOK_KEY, MlSettings
from ml_service.webhooks.crypto import SecretBox
from ml_service.webhooks.delivery import DeliveryWorker, retry_delay
from ml_service.webhooks.events import ModelActivated, raise_event
from ml_service.webhooks.tables import Subscription
from pydantic import ValidationError
from segshared.testing import TokenSigner, WebhookReceiver
from sqlalchemy import select

from .helpers import auth

ANALYST = 41


@pytest.fixture
def allow_private(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback receivers are allowed for this test (WEBHOOK_ALLOW_PRIVATE=true)."""
    monkeypatch.setattr(app.state.settings, "webhook_allow_private", True)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    yield hook
    hook.stop()


async def subscribe(
    client: httpx.AsyncClient, signer: TokenSigner, url: str, events: list[str], user: int = ANALYST
) -> dict[str, Any]:
    response = await client.post(
        "/webhooks", json={"url": url, "events": events}, headers=auth(signer, user, "analyst")
    )
    assert response.status_code == 201, response.text
    return response.json()


async def deliveries_when(
    client: httpx.AsyncClient, signer: TokenSigner, hook_id: int, done: Any, seconds: float = 30
) -> list[dict[str, Any]]:
    """Poll the deliveries until `done(deliveries)` holds."""
    headers = auth(signer, ANALYST, "analyst")
    for _ in range(int(seconds * 10)):
        items = (await client.get(f"/webhooks/{hook_id}/deliveries", headers=headers)).json()
        if done(items):
            return items
        await asyncio.sleep(0.1)
    raise AssertionError(f"deliveries did not settle: {items}")


async def activate_active(client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI) -> None:
    """Raise `model.activated` by re-activating the served version."""
    version = app.state.store.model.version
    response = await client.post(f"/models/{version}/activate", headers=auth(signer, 1, "admin"))
    assert response.status_code == 200


class TestSubscriptions:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:9/hook",
            "http://localhost/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.5/hook",
            "http://[::1]/hook",
            "http://100.100.100.200/",
            "ftp://example.com/hook",
            "http://user:pw@example.com/hook",
        ],
    )
    async def test_private_loopback_metadata_and_odd_urls_are_refused(
        self, client: httpx.AsyncClient, signer: TokenSigner, url: str
    ) -> None:
        response = await client.post(
            "/webhooks",
            json={"url": url, "events": ["training.succeeded"]},
            headers=auth(signer, ANALYST, "analyst"),
        )
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "url"]

    async def test_validation_and_roles(
        self, client: httpx.AsyncClient, signer: TokenSigner
    ) -> None:
        analyst = auth(signer, ANALYST, "analyst")
        for body in (
            {"url": "https://example.com/h", "events": []},
            {"url": "https://example.com/h", "events": ["model.deleted"]},
            {
                "url": "https://example.com/h",
                "events": ["drift.detected"],
                "description": "x" * 501,
            },
        ):
            assert (await client.post("/webhooks", json=body, headers=analyst)).status_code == 422
        user = auth(signer, 5, "user")
        assert (await client.get("/webhooks", headers=user)).status_code == 403
        assert (await client.get("/webhooks")).status_code == 401

    async def test_secret_shown_once_encrypted_at_rest_and_objects_per_user(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        app: FastAPI,
        allow_private: None,
    ) -> None:
        created = await subscribe(client, signer, "http://127.0.0.1:9/hook", ["model.activated"])
        assert created["secret"].startswith("whsec_") and created["events"] == ["model.activated"]
        listed = (await client.get("/webhooks", headers=auth(signer, ANALYST, "analyst"))).json()
        assert [h["id"] for h in listed] == [created["id"]] and "secret" not in listed[0]
        async with app.state.sessionmaker() as session:
            row = (
                await session.execute(select(Subscription).where(Subscription.id == created["id"]))
            ).scalar_one()
        assert created["secret"] not in row.secret_encrypted
        assert (
            SecretBox(app.state.settings.webhook_secret_keys).decrypt(row.secret_encrypted)
            == created["secret"]
        )

        other = auth(signer, ANALYST + 1, "analyst")
        assert (await client.get("/webhooks", headers=other)).json() == []
        assert (
            await client.get(f"/webhooks/{created['id']}/deliveries", headers=other)
        ).status_code == 404
        assert (await client.delete(f"/webhooks/{created['id']}", headers=other)).status_code == 404
        owner = auth(signer, ANALYST, "analyst")
        assert (await client.delete(f"/webhooks/{created['id']}", headers=owner)).status_code == 204
        assert (await client.delete(f"/webhooks/{created['id']}", headers=owner)).status_code == 404


class TestDelivery:
    async def test_training_job_delivers_a_signed_training_succeeded(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        receiver: WebhookReceiver,
        allow_private: None,
    ) -> None:
        receiver.start()
        hook = await subscribe(client, signer, receiver.url, ["training.succeeded"])
        analyst = auth(signer, ANALYST, "analyst")
        accepted = await client.post("/train/jobs", json={"n_clusters": 3}, headers=analyst)
        assert accepted.status_code == 202
        job_id = accepted.json()["job_id"]
        items = await deliveries_when(
            client, signer, hook["id"], lambda d: d and d[0]["status"] == "succeeded", 120
        )
        assert len(items) == 1 and items[0]["event"] == "training.succeeded"
        assert items[0]["attempts"] == 1 and items[0]["last_status_code"] == 200
        [(headers, body)] = receiver.received
        expected = hmac.new(
            hook["secret"].encode(),
            headers["X-Webhook-Timestamp"].encode() + b"." + body,
            hashlib.sha256,
        ).hexdigest()
        assert headers["X-Webhook-Signature"] == f"v1={expected}"
        document = receiver.bodies()[0]
        assert document["id"] == headers["X-Webhook-Id"] == items[0]["id"]
        assert document["event"] == "training.succeeded"
        assert document["data"]["job_id"] == job_id and document["data"]["n_clusters"] == 3
        job = (await client.get(f"/train/jobs/{job_id}", headers=analyst)).json()
        assert document["data"]["model_version"] == job["result"]["model_version"]

    async def test_500_500_200_makes_three_attempts_and_one_success(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        app: FastAPI,
        allow_private: None,
    ) -> None:
        receiver = WebhookReceiver(statuses=(500, 500)).start()
        try:
            hook = await subscribe(client, signer, receiver.url, ["model.activated"])
            await activate_active(client, signer, app)
            [delivery] = await deliveries_when(
                client, signer, hook["id"], lambda d: d and d[0]["status"] != "pending"
            )
        finally:
            receiver.stop()
        assert delivery["status"] == "succeeded" and delivery["attempts"] == 3
        assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 500, 200]
        assert [a["error"] for a in delivery["attempt_log"]] == ["HTTP 500", "HTTP 500", None]
        assert len(receiver.received) == 3
        assert len({h["X-Webhook-Id"] for h, _ in receiver.received}) == 1

    async def test_receiver_down_then_back_loses_nothing(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        app: FastAPI,
        receiver: WebhookReceiver,
        allow_private: None,
    ) -> None:
        hook = await subscribe(client, signer, receiver.url, ["model.activated"])
        await activate_active(client, signer, app)
        await activate_active(client, signer, app)
        failing = await deliveries_when(
            client, signer, hook["id"], lambda d: len(d) == 2 and all(x["attempts"] >= 2 for x in d)
        )
        for delivery in failing:
            assert delivery["status"] == "pending" and delivery["last_status_code"] is None
            assert all(a["error"] and a["status_code"] is None for a in delivery["attempt_log"])
        receiver.start()
        done = await deliveries_when(
            client, signer, hook["id"], lambda d: all(x["status"] == "succeeded" for x in d)
        )
        assert {d["id"] for d in done} == {b["id"] for b in receiver.bodies()}
        assert len(receiver.received) == 2

    async def test_out_of_attempts_is_failed(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        app: FastAPI,
        receiver: WebhookReceiver,
        allow_private: None,
    ) -> None:
        hook = await subscribe(client, signer, receiver.url, ["model.activated"])
        await activate_active(client, signer, app)
        [delivery] = await deliveries_when(
            client, signer, hook["id"], lambda d: d and d[0]["status"] == "failed"
        )
        assert delivery["attempts"] == app.state.settings.webhook_max_attempts
        assert len(delivery["attempt_log"]) == delivery["attempts"]

    async def test_address_checked_again_at_delivery(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        app: FastAPI,
        receiver: WebhookReceiver,
        allow_private: None,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        receiver.start()
        hook = await subscribe(client, signer, receiver.url, ["model.activated"])
        monkeypatch.setattr(app.state.settings, "webhook_allow_private", False)
        await activate_active(client, signer, app)
        delivery = (
            await deliveries_when(client, signer, hook["id"], lambda d: d and d[0]["attempts"] >= 1)
        )[0]
        assert "refused" in delivery["attempt_log"][0]["error"]
        assert receiver.received == []

    async def test_each_delivery_sent_once_across_two_workers(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        app: FastAPI,
        allow_private: None,
    ) -> None:
        receiver = WebhookReceiver(delay=0.05).start()
        try:
            hook = await subscribe(client, signer, receiver.url, ["model.activated"])
            async with app.state.sessionmaker() as session, session.begin():
                for n in range(30):
                    await raise_event(
                        session, ModelActivated(model_version=f"v{n}", previous_version=None)
                    )
            settings = app.state.settings.model_copy(update={"webhook_batch_size": 4})
            workers = [DeliveryWorker(settings, app.state.sessionmaker) for _ in range(2)]
            try:
                for _ in range(50):
                    counts = await asyncio.gather(*(w.run_once() for w in workers))
                    if sum(counts) == 0:
                        break
            finally:
                for worker in workers:
                    await worker.aclose()
            await deliveries_when(
                client,
                signer,
                hook["id"],
                lambda d: len(d) == 30 and all(x["status"] == "succeeded" for x in d),
            )
        finally:
            receiver.stop()
        ids = Counter(b["id"] for b in receiver.bodies())
        assert len(ids) == 30 and set(ids.values()) == {1}


class TestSettings:
    def test_default_retries_span_at_least_five_attempts_over_an_hour(self) -> None:
        defaults = MlSettings()
        assert defaults.webhook_max_attempts >= 5 and defaults.webhook_timeout_seconds == 5
        gaps = range(1, defaults.webhook_max_attempts)
        # retry_delay is at least half the nominal delay (the jitter's floor).
        shortest = sum(
            min(
                defaults.webhook_backoff_cap_seconds,
                defaults.webhook_backoff_base_seconds * 2 ** (n - 1),
            )
            / 2
            for n in gaps
        )
        assert shortest >= 3600
        for n in gaps:
            delay = retry_delay(n, 60, 3600)
            assert min(3600, 60 * 2 ** (n - 1)) / 2 <= delay <= min(3600, 60 * 2 ** (n - 1))

    def test_production_refuses_the_dev_key_and_bad_keys(self) -> None:
        with pytest.raises(ValidationError, match="WEBHOOK_SECRET_KEYS"):
            MlSettings(environment="production", service_token="s" * 40)
        with pytest.raises(ValidationError, match="Fernet"):
            MlSettings(webhook_secret_keys="not-a-key")
        assert DEV_WEBHOOK_KEY in MlSettings().webhook_secret_keys

    def test_rotation_keeps_old_secrets_readable(self) -> None:
        from cryptography.fernet import Fernet

        old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        token = SecretBox(old).encrypt("whsec_x")
        both = SecretBox(f"{new},{old}")
        assert both.decrypt(token) == "whsec_x"
        assert SecretBox(new).decrypt(both.rotate(token)) == "whsec_x"
        with pytest.raises(ValueError):
            SecretBox(new).decrypt(token)
