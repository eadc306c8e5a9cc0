"""`/reports/segments.xlsx|pdf` (analyst): the segment report of a model version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from segshared.errors import error_responses
from segshared.params import Text
from segshared.security import AnalystClaims

from ml_service.deps import SessionDep, StoreDep
from ml_service.reports import service
from ml_service.reports.pdf import build_pdf
from ml_service.reports.xlsx import build_xlsx

router = APIRouter(
    prefix="/reports", tags=["reports"], responses=error_responses(401, 403, 404, 422, 503)
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VersionQuery = Annotated[Text | None, Query(max_length=64, description="default: the active one")]


def _attachment(version: str, extension: str) -> dict[str, str]:
    safe = "".join(ch for ch in version if ch.isalnum() or ch in "-_.")
    return {"Content-Disposition": f'attachment; filename="segments-{safe}.{extension}"'}


@router.get(
    "/segments.xlsx",
    response_class=StreamingResponse,
    responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def segments_xlsx(
    _: AnalystClaims, session: SessionDep, store: StoreDep, version: VersionQuery = None
) -> StreamingResponse:
    data = await service.load(session, store, version)
    chunks = await service.render(build_xlsx, data)
    return StreamingResponse(chunks, media_type=XLSX, headers=_attachment(data.version, "xlsx"))


@router.get(
    "/segments.pdf",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
async def segments_pdf(
    _: AnalystClaims, session: SessionDep, store: StoreDep, version: VersionQuery = None
) -> StreamingResponse:
    data = await service.load(session, store, version)
    chunks = await service.render(build_pdf, data)
    return StreamingResponse(
        chunks, media_type="application/pdf", headers=_attachment(data.version, "pdf")
    )
