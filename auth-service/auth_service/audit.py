"""The audit trail: who did what to whom, from where."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import repository
from auth_service.tables import AuditEntry


async def record(
    session: AsyncSession,
    action: str,
    actor_id: int | None = None,
    target_id: int | None = None,
    ip: str | None = None,
    **detail: Any,
) -> None:
    """Add an audit entry to the current transaction (never secrets in `detail`)."""
    await repository.add_audit(
        session,
        AuditEntry(action=action, actor_id=actor_id, target_id=target_id, ip=ip, detail=detail),
    )
