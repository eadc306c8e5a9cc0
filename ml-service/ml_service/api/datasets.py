"""`/datasets`: CSV uploads (analyst), validated and stored for training."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from segshared.errors import Unprocessable, error_responses
from segshared.params import Limit, RowId, Skip
from segshared.security import AnalystClaims

from ml_service import repository
from ml_service.api.uploads import FillPurchaseFrequency, is_multipart, uploaded_csv
from ml_service.deps import SessionDep, SettingsDep
from ml_service.schemas import DatasetPublic, Message
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
    fill_purchase_frequency: FillPurchaseFrequency = None,
) -> DatasetPublic:
    if not is_multipart(request):
        raise Unprocessable("Upload a CSV file as multipart/form-data in the field 'file'")
    length = request.headers.get("content-length", "")
    limit = settings.max_dataset_upload_bytes
    datasets.refuse_oversized_upload(int(length) if length.isdigit() else None, limit)
    await datasets.check_quota(session, claims.user_id, settings.dataset_quota_per_user)
    form = await request.form(max_files=1, max_fields=10)
    try:
        upload = uploaded_csv(form)
        datasets.refuse_oversized_upload(upload.size, limit)
        named = form.get("name")
        name = (named if isinstance(named, str) and named.strip() else upload.filename) or "dataset"
        dataset = await datasets.create_dataset(
            session, settings, upload.file, name, claims.user_id, fill_purchase_frequency
        )
    finally:
        await form.close()
    return DatasetPublic.from_dataset(dataset)


@router.get("", response_model=list[DatasetPublic])
@router.get("/", response_model=list[DatasetPublic], include_in_schema=False)
async def list_datasets(
    _: AnalystClaims, session: SessionDep, response: Response, skip: Skip = 0, limit: Limit = 100
) -> list[DatasetPublic]:
    """Newest first, a page at a time; `X-Total-Count` says how many there are."""
    page, total = await repository.list_datasets(session, skip, limit)
    response.headers["X-Total-Count"] = str(total)
    return [DatasetPublic.from_dataset(d) for d in page]


@router.delete("/{dataset_id}", response_model=Message, responses=error_responses(404))
async def delete_dataset(
    dataset_id: RowId, claims: AnalystClaims, session: SessionDep, settings: SettingsDep
) -> Message:
    """Its owner or an admin deletes a dataset (row and file); another user's is 404."""
    await datasets.delete_dataset(session, claims, dataset_id, settings.dataset_dir)
    return Message(message="Dataset deleted successfully")
