"""`/datasets`: CSV uploads (analyst), validated and stored for training."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from segshared.errors import Unprocessable, error_responses, validation_error
from segshared.params import Limit, RowId, Skip, storable_text
from segshared.security import AnalystClaims
from starlette.datastructures import UploadFile

from ml_service import repository
from ml_service.deps import SessionDep, SettingsDep
from ml_service.schemas import DatasetPublic, Message
from ml_service.tables import Dataset
from ml_service.training import datasets

router = APIRouter(
    prefix="/datasets", tags=["datasets"], responses=error_responses(401, 403, 422, 503)
)

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "name": {"type": "string", "maxLength": 255},
                    },
                }
            }
        },
    }
}


def _public(dataset: Dataset) -> DatasetPublic:
    assert dataset.id is not None
    return DatasetPublic(
        dataset_id=dataset.id,
        name=dataset.name,
        rows=dataset.rows,
        columns=dataset.columns,
        rejected_rows=dataset.rejected_rows,
        rejected_examples=dataset.rejected_examples,
        owner_id=dataset.owner_id,
        checksum=dataset.checksum,
        created_at=dataset.created_at,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DatasetPublic,
    openapi_extra=_UPLOAD_BODY,
    responses=error_responses(400, 409, 413),
)
@router.post(
    "/", status_code=status.HTTP_201_CREATED, response_model=DatasetPublic, include_in_schema=False
)
async def upload_dataset(
    request: Request,
    claims: AnalystClaims,
    session: SessionDep,
    settings: SettingsDep,
    fill_purchase_frequency: Annotated[int | None, Query(ge=0, le=365)] = None,
) -> Any:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Unprocessable("Upload a CSV file as multipart/form-data in the field 'file'")
    length = request.headers.get("content-length", "")
    limit = settings.max_dataset_upload_bytes
    datasets.refuse_oversized_upload(int(length) if length.isdigit() else None, limit)
    await datasets.check_quota(session, claims.user_id, settings.dataset_quota_per_user)
    form = await request.form(max_files=1, max_fields=10)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Unprocessable("Upload a CSV file in the form field 'file'")
        datasets.refuse_oversized_upload(upload.size, limit)
        raw_name = form.get("name")
        name = (
            raw_name if isinstance(raw_name, str) and raw_name.strip() else upload.filename
        ) or "dataset"
        try:
            storable_text(name)
        except ValueError as exc:
            raise validation_error(["body", "name"], str(exc)) from exc
        stored = await asyncio.to_thread(
            datasets.store_upload, upload.file, settings.dataset_dir, settings.csv_chunk_rows,
            fill_purchase_frequency,
        )  # fmt: skip
    finally:
        await form.close()
    dataset = await datasets.record_upload(
        session, stored, name, claims.user_id, settings.dataset_quota_per_user
    )
    return _public(dataset)


@router.get("", response_model=list[DatasetPublic])
@router.get("/", response_model=list[DatasetPublic], include_in_schema=False)
async def list_datasets(
    _: AnalystClaims, session: SessionDep, response: Response, skip: Skip = 0, limit: Limit = 100
) -> list[DatasetPublic]:
    """Newest first, a page at a time; `X-Total-Count` says how many there are."""
    page, total = await repository.list_datasets(session, skip, limit)
    response.headers["X-Total-Count"] = str(total)
    return [_public(d) for d in page]


@router.delete("/{dataset_id}", response_model=Message, responses=error_responses(404))
async def delete_dataset(
    dataset_id: RowId, claims: AnalystClaims, session: SessionDep, settings: SettingsDep
) -> Message:
    """Its owner or an admin deletes a dataset (row and file); another user's is 404."""
    await datasets.delete_dataset(session, claims, dataset_id, settings.dataset_dir)
    return Message(message="Dataset deleted successfully")
