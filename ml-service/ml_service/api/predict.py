"""`/predict` and `/predict/batch` (user), `/internal/predict` (profile-service)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from segshared.contracts.customer import CustomerInput
from segshared.contracts.quota import PREDICTED_ROWS_HEADER
from segshared.errors import PayloadTooLarge, error_responses, invalid_json, missing
from segshared.request_body import read_limited
from segshared.security import CurrentClaims, ServiceCaller

from ml_service.api.uploads import FillPurchaseFrequency, is_multipart, uploaded_csv
from ml_service.deps import RedisDep, SettingsDep, StateDep, StoreDep
from ml_service.schemas import BatchAnswer, InternalPredict, Prediction
from ml_service.serving import batch_service, predictions
from ml_service.serving.batch_service import BatchReply
from ml_service.settings import MlSettings

router = APIRouter(tags=["segmentation"], responses=error_responses(400, 401, 422, 503))
internal = APIRouter(prefix="/internal", dependencies=[ServiceCaller], include_in_schema=False)

_BATCH_BODY = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["customers"],
                    "properties": {
                        "customers": {
                            "type": "array",
                            "maxItems": 10000,
                            "items": CustomerInput.model_json_schema(),
                        }
                    },
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        }
    }
}


_CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "With `Accept: text/csv`: the rows with cluster, cluster_name and "
        "confidence appended",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


@router.post("/predict", response_model=Prediction, responses=error_responses(413))
async def predict(customer: CustomerInput, claims: CurrentClaims, state: StateDep) -> Response:
    # Served by `fast_predict.PredictFastPath` in the running app; this route documents
    # the contract and is the reference the fast path is tested against.
    body = await predictions.predict_customer(
        state.store.require(), state.redis, customer, claims.user_id
    )
    return _json(body)


@internal.post("/predict", response_model=Prediction)
async def predict_for_profile(
    payload: InternalPredict, store: StoreDep, redis: RedisDep
) -> Response:
    body = await predictions.predict_customer(
        store.require(), redis, payload.customer, payload.user_id, payload.profile_id
    )
    return _json(body)


def _render(reply: BatchReply) -> Response:
    """The batch answer, saying how many rows were predicted (for the gateway's refund)."""
    response: Response
    if reply.file is None:
        response = Response(reply.body, media_type=reply.media_type)
    else:
        as_file = reply.media_type == batch_service.CSV
        headers = {"Content-Disposition": 'attachment; filename="predictions.csv"'}
        response = StreamingResponse(
            reply.chunks(), media_type=reply.media_type, headers=headers if as_file else None
        )
    response.headers[PREDICTED_ROWS_HEADER] = str(reply.predicted)
    return response


@router.post(
    "/predict/batch",
    response_model=BatchAnswer,
    openapi_extra=_BATCH_BODY,
    responses={**error_responses(400, 413), **_CSV_ANSWER},
)
async def predict_batch(
    request: Request,
    claims: CurrentClaims,
    store: StoreDep,
    redis: RedisDep,
    settings: SettingsDep,
    fill_purchase_frequency: FillPurchaseFrequency = None,
) -> Response:
    model = store.require()
    as_csv = "text/csv" in request.headers.get("accept", "")
    if is_multipart(request):
        form = await request.form(max_files=1, max_fields=10)
        try:
            reply = await batch_service.predict_upload(
                model,
                redis,
                claims.user_id,
                uploaded_csv(form).file,
                as_csv,
                settings.max_batch_errors,
                fill_purchase_frequency,
            )
        finally:
            await form.close()
    else:
        items = await _json_customers(request, settings)
        reply = await batch_service.predict_items(model, redis, claims.user_id, items, as_csv)
    return _render(reply)


async def _json_customers(request: Request, settings: MlSettings) -> list[Any]:
    """The `customers` list of a JSON body (its items are validated one by one later)."""
    payload = _parse_json(await read_limited(request, settings.max_body_bytes))
    items = payload.get("customers") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise missing(("body", "customers"))
    if len(items) > settings.max_json_batch:
        raise PayloadTooLarge(f"At most {settings.max_json_batch} customers per JSON batch")
    return items


def _parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise invalid_json() from exc
