"""`/history`: the caller's predictions, filtered, paged, exported as CSV, deletable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse
from segshared.errors import error_responses
from segshared.params import BigRowId, Limit, ReadConnectionDep, Skip
from segshared.security import CurrentClaims

from profile_service import service
from profile_service.deps import HistoryFilterDep, SessionDep, StateDep
from profile_service.schemas import HistoryPage, Message

router = APIRouter(prefix="/history", tags=["history"], responses=error_responses(401, 422, 503))

_CSV: dict[int | str, dict[str, Any]] = {
    200: {"description": "The rows as CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
}


@router.get("", response_model=HistoryPage)
@router.get("/", response_model=HistoryPage, include_in_schema=False)
async def list_history(
    claims: CurrentClaims,
    connection: ReadConnectionDep,
    flt: HistoryFilterDep,
    skip: Skip = 0,
    limit: Limit = 100,
) -> Response:
    page = await service.history_listing(connection, claims.user_id, flt, skip, limit)
    return Response(page, media_type="application/json")


@router.get("/export", response_class=StreamingResponse, responses=_CSV)
async def export_history(
    state: StateDep, claims: CurrentClaims, flt: HistoryFilterDep
) -> StreamingResponse:
    return StreamingResponse(
        service.history_csv(
            state.sessionmaker, claims.user_id, flt, state.settings.export_page_size
        ),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="history.csv"'},
    )


@router.delete("/{entry_id}", response_model=Message, responses=error_responses(404))
async def delete_entry(entry_id: BigRowId, claims: CurrentClaims, session: SessionDep) -> Message:
    await service.delete_history_entry(session, claims.user_id, entry_id)
    return Message(message="History entry deleted successfully")
