"""Every query of the auth-service, nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth_service.tables import ApiKey, AuditEntry, OutboxEvent, RefreshToken, User, utcnow


async def user_by_id(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def user_by_login(session: AsyncSession, identifier: str) -> User | None:
    """A user whose username or email equals `identifier`, ignoring case."""
    lowered = identifier.lower()
    result = await session.execute(
        select(User).where(
            or_(func.lower(User.username) == lowered, func.lower(User.email) == lowered)
        )
    )
    return result.scalars().first()


async def username_taken(
    session: AsyncSession, username: str, except_id: int | None = None
) -> bool:
    query = select(col(User.id)).where(func.lower(User.username) == username.lower())
    if except_id is not None:
        query = query.where(col(User.id) != except_id)
    return (await session.execute(query.limit(1))).first() is not None


async def email_taken(session: AsyncSession, email: str, except_id: int | None = None) -> bool:
    query = select(col(User.id)).where(func.lower(User.email) == email.lower())
    if except_id is not None:
        query = query.where(col(User.id) != except_id)
    return (await session.execute(query.limit(1))).first() is not None


def _user_filters(q: str | None, role: str | None, is_active: bool | None) -> list[Any]:
    filters: list[Any] = []
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        filters.append(
            or_(
                func.lower(User.username).like(pattern),
                func.lower(User.email).like(pattern),
                func.lower(func.coalesce(User.full_name, "")).like(pattern),
            )
        )
    if role:
        filters.append(col(User.role) == role)
    if is_active is not None:
        filters.append(col(User.is_active) == is_active)
    return filters


async def list_users(
    session: AsyncSession,
    skip: int,
    limit: int,
    q: str | None = None,
    role: str | None = None,
    is_active: bool | None = None,
) -> tuple[list[User], int]:
    """A page of users (oldest first) and the total before paging."""
    filters = _user_filters(q, role, is_active)
    total = (await session.execute(select(func.count(col(User.id))).where(*filters))).scalar_one()
    rows = await session.execute(
        select(User).where(*filters).order_by(col(User.id)).offset(skip).limit(limit)
    )
    return list(rows.scalars().all()), int(total)


async def count_users_by_role_and_state(session: AsyncSession) -> list[tuple[str, bool, int]]:
    rows = await session.execute(
        select(col(User.role), col(User.is_active), func.count(col(User.id))).group_by(
            col(User.role), col(User.is_active)
        )
    )
    return [(r[0], r[1], int(r[2])) for r in rows.all()]


async def count_active_admins(session: AsyncSession) -> int:
    query = select(func.count(col(User.id))).where(
        col(User.role) == "admin", col(User.is_active).is_(True)
    )
    return int((await session.execute(query)).scalar_one())


async def refresh_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    result = await session.execute(
        select(RefreshToken).where(col(RefreshToken.token_hash) == token_hash).with_for_update()
    )
    return result.scalars().first()


async def revoke_family(session: AsyncSession, family_id: str) -> None:
    await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_user_families(
    session: AsyncSession, user_id: int, keep_family: str | None = None
) -> None:
    query = update(RefreshToken).where(
        col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None)
    )
    if keep_family:
        query = query.where(col(RefreshToken.family_id) != keep_family)
    await session.execute(query.values(revoked_at=utcnow()))


async def api_keys_of(session: AsyncSession, user_id: int) -> list[ApiKey]:
    rows = await session.execute(
        select(ApiKey)
        .where(col(ApiKey.user_id) == user_id, col(ApiKey.revoked_at).is_(None))
        .order_by(col(ApiKey.id))
    )
    return list(rows.scalars().all())


async def api_key_by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    rows = await session.execute(
        select(ApiKey).where(col(ApiKey.key_hash) == key_hash, col(ApiKey.revoked_at).is_(None))
    )
    return rows.scalars().first()


async def add_audit(session: AsyncSession, entry: AuditEntry) -> None:
    session.add(entry)


async def list_audit(session: AsyncSession, skip: int, limit: int) -> tuple[list[AuditEntry], int]:
    total = (await session.execute(select(func.count(col(AuditEntry.id))))).scalar_one()
    rows = await session.execute(
        select(AuditEntry).order_by(col(AuditEntry.id).desc()).offset(skip).limit(limit)
    )
    return list(rows.scalars().all()), int(total)


async def pending_outbox(session: AsyncSession, limit: int = 100) -> list[OutboxEvent]:
    """Unpublished events, locked so concurrent relays (replicas) don't double-send."""
    rows = await session.execute(
        select(OutboxEvent)
        .where(col(OutboxEvent.published_at).is_(None))
        .order_by(col(OutboxEvent.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows.scalars().all())


async def prune_published_outbox(session: AsyncSession, before: datetime, batch: int) -> int:
    """Delete up to `batch` outbox events relayed before `before`; return how many."""
    old = select(col(OutboxEvent.id)).where(col(OutboxEvent.published_at) < before).limit(batch)
    result = await session.execute(
        delete(OutboxEvent).where(col(OutboxEvent.id).in_(old.scalar_subquery()))
    )
    return int(cast(CursorResult[Any], result).rowcount)


async def prune_audit(session: AsyncSession, before: datetime, batch: int) -> int:
    """Delete up to `batch` audit entries written before `before`; return how many."""
    old = select(col(AuditEntry.id)).where(col(AuditEntry.created_at) < before).limit(batch)
    result = await session.execute(
        delete(AuditEntry).where(col(AuditEntry.id).in_(old.scalar_subquery()))
    )
    return int(cast(CursorResult[Any], result).rowcount)
