"""`/datasets`: CSV uploads (analyst), validated and stored for training."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from segshared.errors import Unprocessable, error_responses
from segshared.security import AnalystClaims

from ml_service import repository
from ml_service.api.uploads import FillPurchaseFrequency, is_multipart, uploaded_csv
from ml_service.deps import SessionDep
from ml_service.schemas import DatasetPublic
from ml_service.settings import MlSettings
from ml_service.training.datasets import create_dataset

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
    responses=error_responses(400, 413),
)
@router.post(
    "/", status_code=status.HTTP_201_CREATED, response_model=DatasetPublic, include_in_schema=False
)
async def upload_dataset(
    request: Request,
    claims: AnalystClaims,
    session: SessionDep,
    fill_purchase_frequency: FillPurchaseFrequency = None,
) -> DatasetPublic:
    if not is_multipart(request):
        raise Unprocessable("Upload a CSV file as multipart/form-data in the field 'file'")
    settings: MlSettings = request.app.state.settings
    form = await request.form()
    try:
        upload = uploaded_csv(form)
        named = form.get("name")
        name = (named if isinstance(named, str) and named.strip() else upload.filename) or "dataset"
        dataset = await create_dataset(
            session, settings, upload.file, name, claims.user_id, fill_purchase_frequency
        )
    finally:
        await form.close()
    return DatasetPublic.from_dataset(dataset)


@router.get("", response_model=list[DatasetPublic])
@router.get("/", response_model=list[DatasetPublic], include_in_schema=False)
async def list_datasets(_: AnalystClaims, session: SessionDep) -> list[DatasetPublic]:
    return [DatasetPublic.from_dataset(d) for d in await repository.list_datasets(session)]
