"""Business rules of customer profiles and history: owner-only, never leaking existence."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from segshared.contracts.customer import CUSTOMER_FIELDS
from segshared.errors import NotFound, ServiceUnavailable
from segshared.internal_client import InternalClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from profile_service import repository
from profile_service.filters import HistoryFilter
from profile_service.schemas import ProfileCreate, ProfileUpdate
from profile_service.tables import CustomerProfile, PredictionHistory, utcnow


async def create_profile(
    session: AsyncSession, user_id: int, data: ProfileCreate
) -> CustomerProfile:
    """Save a customer profile for `user_id`."""
    profile = CustomerProfile(user_id=user_id, **data.model_dump())
    session.add(profile)
    await session.flush()
    return profile


async def owned_profile(session: AsyncSession, user_id: int, profile_id: int) -> CustomerProfile:
    """The caller's profile; someone else's or a missing one is 404 alike."""
    profile = await repository.get_profile(session, user_id, profile_id)
    if profile is None:
        raise NotFound("Profile not found")
    return profile


async def update_profile(
    session: AsyncSession, user_id: int, profile_id: int, data: ProfileUpdate
) -> CustomerProfile:
    """Apply the fields present in `data` (explicit nulls only clear `notes`)."""
    profile = await owned_profile(session, user_id, profile_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None and field != "notes":
            continue
        setattr(profile, field, value)
    profile.updated_at = utcnow()
    return profile


async def delete_profile(session: AsyncSession, user_id: int, profile_id: int) -> None:
    """Delete the caller's profile (its history entries stay, keeping `profile_id`)."""
    await session.delete(await owned_profile(session, user_id, profile_id))


async def predict_profile(
    session: AsyncSession, ml: InternalClient, user_id: int, profile_id: int
) -> dict[str, Any]:
    """Ask ml-service to segment a saved profile; history records the profile id."""
    profile = await owned_profile(session, user_id, profile_id)
    customer = {field: getattr(profile, field) for field in CUSTOMER_FIELDS}
    try:
        response = await ml.request(
            "POST",
            "/internal/predict",
            json={"user_id": user_id, "profile_id": profile_id, "customer": customer},
        )
    except ServiceUnavailable as exc:
        raise ServiceUnavailable("Segmentation service unavailable; try again shortly") from exc
    if response.status_code == 503:
        raise ServiceUnavailable(response.json().get("detail", "Model unavailable"))
    if response.status_code != 200:
        raise ServiceUnavailable(f"Segmentation service failed ({response.status_code})")
    return response.json()


# /history counts matches only this far past `skip`: an exact count of a heavy user's
# 50k rows costs tens of ms on every page (10,000 index entries still cost 2-3 ms), and a
# pager needs no more than "more than this".
HISTORY_TOTAL_CAP = 1_000


async def history_listing(
    connection: AsyncConnection, user_id: int, flt: HistoryFilter, skip: int, limit: int
) -> bytes:
    """A page of the caller's history, newest first, with its (capped) total: a HistoryPage
    as JSON (the entries come as JSON from the database, see repository.list_history)."""
    bound = skip + HISTORY_TOTAL_CAP
    page = await repository.list_history(connection, user_id, flt, skip, limit, bound + 1)
    total, capped = min(page.counted, bound), json.dumps(page.counted > bound)
    return b'{"history":%b,"total":%d,"total_capped":%b}' % (page.entries, total, capped.encode())


_CSV_HEADER = (",".join(repository.EXPORT_COLUMNS) + "\n").encode()


async def history_csv(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: int, flt: HistoryFilter, size: int
) -> AsyncIterator[bytes]:
    """The header, then every matching history row as CSV (repository.EXPORT_COLUMNS),
    newest first, in keyset pages of `size` rows.

    Each page is read on a connection of its own that goes back to the pool before the
    page is yielded, so a slow reader of the stream holds no connection between pages
    (the response streams after the request's dependencies finish).
    """
    yield _CSV_HEADER
    after: tuple[datetime, int] | None = None
    while True:
        async with sessionmaker() as session:
            page = await repository.history_csv_page(session, user_id, flt, size, after)
        if page.last is None:
            return
        yield page.data
        after = page.last


async def delete_history_entry(session: AsyncSession, user_id: int, entry_id: int) -> None:
    """Delete one of the caller's history entries (another user's id is 404)."""
    entry: PredictionHistory | None = await repository.get_history_entry(session, user_id, entry_id)
    if entry is None:
        raise NotFound("History entry not found")
    await session.delete(entry)
