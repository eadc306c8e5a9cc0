"""Every query of the webhooks, nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ml_service.webhooks.tables import Attempt, Delivery, OutboxEvent, Subscription


async def subscribers(session: AsyncSession, event_type: str) -> list[Subscription]:
    rows = await session.execute(
        select(Subscription).where(col(Subscription.events).contains([event_type]))
    )
    return list(rows.scalars().all())


async def count_owned(session: AsyncSession, owner_id: int) -> int:
    """How many webhooks `owner_id` has; holds a per-user lock to the end of the
    transaction, so concurrent creations can't pass the limit together."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('ml.webhooks'), :owner)"), {"owner": owner_id}
    )
    rows = await session.execute(
        select(func.count()).select_from(Subscription).where(col(Subscription.owner_id) == owner_id)
    )
    return int(rows.scalar_one())


async def list_owned(session: AsyncSession, owner_id: int) -> list[Subscription]:
    rows = await session.execute(
        select(Subscription)
        .where(col(Subscription.owner_id) == owner_id)
        .order_by(col(Subscription.id))
    )
    return list(rows.scalars().all())


async def owned(session: AsyncSession, owner_id: int, subscription_id: int) -> Subscription | None:
    """The subscription if it exists and belongs to `owner_id` (else None: a 404 either way)."""
    row = await session.get(Subscription, subscription_id)
    return row if row is not None and row.owner_id == owner_id else None


async def delete_subscription(session: AsyncSession, subscription_id: int) -> None:
    await session.execute(delete(Subscription).where(col(Subscription.id) == subscription_id))


async def delete_owned_by(session: AsyncSession, owner_id: int) -> None:
    """Remove a deleted user's subscriptions (their deliveries go with them)."""
    await session.execute(delete(Subscription).where(col(Subscription.owner_id) == owner_id))


async def deliveries(
    session: AsyncSession, subscription_id: int, limit: int
) -> list[tuple[Delivery, str]]:
    """The latest deliveries of a subscription with their event type, newest first."""
    rows = await session.execute(
        select(Delivery, col(OutboxEvent.type))
        .join(OutboxEvent, col(OutboxEvent.id) == col(Delivery.event_id))
        .where(col(Delivery.subscription_id) == subscription_id)
        .order_by(col(Delivery.created_at).desc(), col(Delivery.id))
        .limit(limit)
    )
    return [(delivery, str(event_type)) for delivery, event_type in rows.all()]


async def attempts(session: AsyncSession, delivery_ids: Sequence[str]) -> list[Attempt]:
    if not delivery_ids:
        return []
    rows = await session.execute(
        select(Attempt).where(col(Attempt.delivery_id).in_(delivery_ids)).order_by(col(Attempt.id))
    )
    return list(rows.scalars().all())


async def claim_due(
    session: AsyncSession, limit: int
) -> list[tuple[Delivery, Subscription, OutboxEvent]]:
    """Lock up to `limit` due pending deliveries that no other worker holds.

    FOR UPDATE SKIP LOCKED: a delivery being sent by one replica is invisible to the
    others until that replica's transaction records the attempt.
    """
    rows = await session.execute(
        select(Delivery, Subscription, OutboxEvent)
        .join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
        .join(OutboxEvent, col(OutboxEvent.id) == col(Delivery.event_id))
        .where(col(Delivery.status) == "pending", col(Delivery.next_attempt_at) <= func.now())
        .order_by(col(Delivery.next_attempt_at))
        .limit(limit)
        .with_for_update(of=Delivery, skip_locked=True)
    )
    return [(d, s, e) for d, s, e in rows.all()]


async def database_now(session: AsyncSession) -> datetime:
    return (await session.execute(select(func.now()))).scalar_one()


async def all_subscriptions(session: AsyncSession) -> list[Subscription]:
    rows = await session.execute(select(Subscription).with_for_update())
    return list(rows.scalars().all())
