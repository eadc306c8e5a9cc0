"""Subscriptions: create (URL checked, secret encrypted), list, delete, their deliveries."""

from __future__ import annotations

from collections import defaultdict

from segshared.errors import Conflict, InvalidField, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from ml_service.settings import MlSettings
from ml_service.webhooks import repository, ssrf
from ml_service.webhooks.crypto import SecretBox, new_secret
from ml_service.webhooks.schemas import (
    AttemptPublic,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
)
from ml_service.webhooks.tables import Subscription


def public(row: Subscription) -> WebhookPublic:
    assert row.id is not None
    return WebhookPublic(
        id=row.id,
        url=row.url,
        events=row.events,
        description=row.description,
        created_at=row.created_at,
    )


async def create(
    session: AsyncSession, settings: MlSettings, owner_id: int, body: WebhookCreate
) -> WebhookCreated:
    """Check the URL now (shape and resolved addresses), store the secret encrypted."""
    try:
        await ssrf.resolve(
            body.url, settings.webhook_allow_private, settings.environment == "production"
        )
    except ssrf.UnsafeUrl as exc:
        raise InvalidField("url", str(exc)) from exc
    if await repository.count_owned(session, owner_id) >= settings.webhook_max_per_user:
        raise Conflict(
            f"At most {settings.webhook_max_per_user} webhooks per user; delete one first"
        )
    secret = new_secret()
    row = Subscription(
        owner_id=owner_id,
        url=body.url,
        events=list(body.events),
        description=body.description,
        secret_encrypted=SecretBox(settings.webhook_secret_keys).encrypt(secret),
    )
    session.add(row)
    await session.flush()
    return WebhookCreated(**public(row).model_dump(), secret=secret)


async def require_owned(session: AsyncSession, owner_id: int, subscription_id: int) -> Subscription:
    row = await repository.owned(session, owner_id, subscription_id)
    if row is None:
        raise NotFound("Webhook not found")
    return row


async def deliveries(
    session: AsyncSession, owner_id: int, subscription_id: int, limit: int
) -> list[DeliveryPublic]:
    """The subscription's latest deliveries, each with every attempt made."""
    await require_owned(session, owner_id, subscription_id)
    rows = await repository.deliveries(session, subscription_id, limit)
    log: dict[str, list[AttemptPublic]] = defaultdict(list)
    for attempt in await repository.attempts(session, [d.id for d, _ in rows]):
        log[attempt.delivery_id].append(
            AttemptPublic(
                attempted_at=attempt.attempted_at,
                status_code=attempt.status_code,
                error=attempt.error,
                duration_ms=attempt.duration_ms,
            )
        )
    return [
        DeliveryPublic(
            id=d.id,
            event=event_type,
            event_id=d.event_id,
            status=d.status,
            attempts=d.attempts,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            created_at=d.created_at,
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
            delivered_at=d.delivered_at,
            attempt_log=log[d.id],
        )
        for d, event_type in rows
    ]


async def rotate_secrets(session: AsyncSession, box: SecretBox) -> int:
    """Re-encrypt every stored secret with the first key; how many were rewritten."""
    rows = await repository.all_subscriptions(session)
    for row in rows:
        row.secret_encrypted = box.rotate(row.secret_encrypted)
    return len(rows)
