"""`/history`: the caller's predictions, filtered, paged, exported as CSV, deletable."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from segshared.contracts.customer import CUSTOMER_FIELDS
from segshared.errors import error_responses
from segshared.params import BigRowId, Limit, Skip
from segshared.security import CurrentClaims
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from profile_service import repository, service
from profile_service.deps import HistoryFilterDep, SessionDep, StateDep
from profile_service.filters import HistoryFilter
from profile_service.schemas import HistoryEntry, HistoryPage, Message

router = APIRouter(prefix="/history", tags=["history"], responses=error_responses(401, 422, 503))

_CSV: dict[int | str, dict[str, Any]] = {
    200: {"description": "The rows as CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
}
EXPORT_COLUMNS = (
    "id", "created_at", "cluster", "cluster_name", "confidence", "model_version", "profile_id",
    *CUSTOMER_FIELDS, "batch_size",
)  # fmt: skip


@router.get("", response_model=HistoryPage)
@router.get("/", response_model=HistoryPage, include_in_schema=False)
async def list_history(
    claims: CurrentClaims,
    session: SessionDep,
    flt: HistoryFilterDep,
    skip: Skip = 0,
    limit: Limit = 100,
) -> HistoryPage:
    rows, total = await repository.list_history(session, claims.user_id, flt, skip, limit)
    return HistoryPage(history=[HistoryEntry.model_validate(r) for r in rows], total=total)


async def _export_rows(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: int, flt: HistoryFilter, page: int
) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue()
    # No request session: the response streams after the request's dependencies finish,
    # and each page is read in a transaction of its own.
    async for rows in service.history_pages(sessionmaker, user_id, flt, page):
        buffer.seek(0)
        buffer.truncate()
        # Columns as repository.EXPORT_SELECT; None is written as an empty field.
        writer.writerows((row.id, row.created_at.isoformat(), *row[2:]) for row in rows)
        yield buffer.getvalue()


@router.get("/export", response_class=StreamingResponse, responses=_CSV)
async def export_history(
    state: StateDep, claims: CurrentClaims, flt: HistoryFilterDep
) -> StreamingResponse:
    return StreamingResponse(
        _export_rows(state.sessionmaker, claims.user_id, flt, state.settings.export_page_size),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="history.csv"'},
    )


@router.delete("/{entry_id}", response_model=Message, responses=error_responses(404))
async def delete_entry(entry_id: BigRowId, claims: CurrentClaims, session: SessionDep) -> Message:
    await service.delete_history_entry(session, claims.user_id, entry_id)
    return Message(message="History entry deleted successfully")
