"""The delivery worker: one per replica, sends due deliveries signed, with retries.

Each pass locks due deliveries with FOR UPDATE SKIP LOCKED, sends them (concurrently,
each with the timeout), records every attempt and the outcome, then commits: several
replicas share the work, and a delivery is sent by one of them at a time. A 2xx ends a
delivery (`succeeded`); anything else (other status, a redirect, a timeout, a refused
address) schedules the next attempt with exponential backoff and jitter, until
`max_attempts` (then `failed`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from segshared.retry import Backoff, sleep_unless
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ml_service.settings import MlSettings
from ml_service.webhooks import repository, ssrf
from ml_service.webhooks.crypto import SecretBox, signature
from ml_service.webhooks.tables import Attempt, Delivery, OutboxEvent, Subscription

logger = logging.getLogger("ml_service.webhooks")


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code, or the reason there was none."""

    status_code: int | None
    error: str | None
    duration_ms: float

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def payload(delivery: Delivery, event: OutboxEvent) -> bytes:
    """The JSON body `{id, event, created_at, data}` (the same bytes on every attempt)."""
    document = {
        "id": delivery.id,
        "event": event.type,
        "created_at": event.created_at.isoformat(),
        "data": event.data,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def retry_delay(attempts: int, base: float, cap: float) -> float:
    """Seconds before the next attempt after `attempts` failed ones: exponential, capped,
    with jitter in [half, full] so replicas' retries spread out."""
    delay = min(cap, base * 2 ** (attempts - 1))
    return delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not security


class DeliveryWorker:
    """Runs `run_once` every `webhook_poll_seconds` until stopped."""

    def __init__(
        self, settings: MlSettings, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.box = SecretBox(settings.webhook_secret_keys)
        # No redirects, no proxies from the environment: the checked address is the one used.
        self.http = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
        )
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name="webhook-delivery")

    async def aclose(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.http.aclose()

    async def _loop(self) -> None:
        interval = self.settings.webhook_poll_seconds
        backoff = Backoff(interval, max(interval, 30.0))
        while not self._stopping.is_set():
            delay = interval
            try:
                if await self.run_once() == self.settings.webhook_batch_size:
                    delay = 0  # more may be due
                backoff.reset()
            except Exception as exc:
                delay = backoff.next()
                logger.warning(
                    "webhook delivery pass failed (%s: %s); retrying in %.1fs",
                    type(exc).__name__,
                    exc,
                    delay,
                )
            await sleep_unless(self._stopping, delay)

    async def run_once(self) -> int:
        """Send the deliveries due now (at most one batch); how many were attempted."""
        async with self.sessionmaker() as session, session.begin():
            due = await repository.claim_due(session, self.settings.webhook_batch_size)
            if not due:
                return 0
            outcomes = await asyncio.gather(*(self._send(d, s, e) for d, s, e in due))
            now = await repository.database_now(session)
            for (delivery, _, _), outcome in zip(due, outcomes, strict=True):
                self._record(session, delivery, outcome, now)
        return len(due)

    def _record(
        self, session: AsyncSession, delivery: Delivery, outcome: Outcome, now: datetime
    ) -> None:
        session.add(
            Attempt(
                delivery_id=delivery.id,
                attempted_at=now,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=round(outcome.duration_ms, 1),
            )
        )
        delivery.attempts += 1
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        if outcome.ok:
            delivery.status, delivery.delivered_at = "succeeded", now
        elif delivery.attempts >= self.settings.webhook_max_attempts:
            delivery.status = "failed"
            logger.warning(
                "webhook delivery %s failed after %d attempts", delivery.id, delivery.attempts
            )
        else:
            delay = retry_delay(
                delivery.attempts,
                self.settings.webhook_backoff_base_seconds,
                self.settings.webhook_backoff_cap_seconds,
            )
            delivery.next_attempt_at = now + timedelta(seconds=delay)

    async def _send(
        self, delivery: Delivery, subscription: Subscription, event: OutboxEvent
    ) -> Outcome:
        started = time.perf_counter()

        def outcome(status_code: int | None, error: str | None) -> Outcome:
            return Outcome(status_code, error, (time.perf_counter() - started) * 1000)

        body = payload(delivery, event)
        try:
            secret = self.box.decrypt(subscription.secret_encrypted)
            target = await ssrf.resolve(
                subscription.url,
                self.settings.webhook_allow_private,
                self.settings.environment == "production",
            )
        except ValueError as exc:  # UnsafeUrl, or a secret no key opens
            return outcome(None, str(exc)[:500])
        timestamp = str(int(time.time()))
        headers = {
            "Host": target.host_header,
            "Content-Type": "application/json",
            "User-Agent": "segmentation-webhooks/1",
            "X-Webhook-Id": delivery.id,
            "X-Webhook-Timestamp": timestamp,
            "X-Webhook-Signature": signature(secret, timestamp, body),
        }
        try:
            response = await self.http.post(
                target.url,
                content=body,
                headers=headers,
                extensions={"sni_hostname": target.server_name},
            )
        except httpx.TimeoutException:
            return outcome(None, f"timeout after {self.settings.webhook_timeout_seconds:g}s")
        except httpx.HTTPError as exc:
            return outcome(None, f"{type(exc).__name__}: {exc}"[:500])
        error = None
        if response.is_redirect:
            error = "redirects are not followed"
        elif not response.is_success:
            error = f"HTTP {response.status_code}"
        return outcome(response.status_code, error)
