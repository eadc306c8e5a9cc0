"""`/predict` and `/predict/batch` (user), `/internal/predict` (profile-service)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from segshared.customer import CustomerInput
from segshared.errors import PayloadTooLarge, Unprocessable, error_responses
from segshared.quota import PREDICTED_ROWS_HEADER
from segshared.security import CurrentClaims, ServiceCaller
from starlette.datastructures import UploadFile

from ml_service.deps import RedisDep, StoreDep
from ml_service.engine.predictor import SegmentModel
from ml_service.schemas import BatchAnswer, InternalPredict, Prediction
from ml_service.serving import batch, predictions

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
    200: {"description": "With `Accept: text/csv`: the rows with cluster, cluster_name and "
          "confidence appended", "content": {"text/csv": {"schema": {"type": "string"}}}}
}  # fmt: skip


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


@router.post("/predict", response_model=Prediction, responses=error_responses(413))
async def predict(customer: CustomerInput, claims: CurrentClaims, request: Request) -> Response:
    # Served by `fast_predict.PredictFastPath` in the running app; this route documents
    # the contract and is the reference the fast path is tested against.
    state = request.app.state
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


def _wants_csv(request: Request) -> bool:
    return "text/csv" in request.headers.get("accept", "")


async def _stream_file(path: str) -> AsyncIterator[bytes]:
    try:
        with open(path, "rb") as handle:  # noqa: ASYNC230 (local temp file, chunked)
            while chunk := handle.read(256 * 1024):
                yield chunk
    finally:
        os.unlink(path)


def _csv_response(path: str) -> StreamingResponse:
    return StreamingResponse(
        _stream_file(path),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="predictions.csv"'},
    )


async def _record_batch(
    redis: Any, model: SegmentModel, claims: Any, outcome: batch.BatchOutcome
) -> None:
    event = predictions.history_event(
        claims.user_id,
        None,
        {"batch_size": outcome.rows, "cluster_counts": dict(outcome.cluster_counts)},
        model.version,
    )
    await predictions.record(redis, event)


@router.post(
    "/predict/batch", response_model=BatchAnswer, openapi_extra=_BATCH_BODY,
    responses={**error_responses(400, 413), **_CSV_ANSWER},
)  # fmt: skip
async def predict_batch(
    request: Request,
    claims: CurrentClaims,
    store: StoreDep,
    redis: RedisDep,
    fill_purchase_frequency: Annotated[int | None, Query(ge=0, le=365)] = None,
) -> Response:
    model = store.require()
    settings = request.app.state.settings
    as_csv = _wants_csv(request)
    out_path = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Unprocessable("Upload a CSV file in the form field 'file'")
        handle = None
        if as_csv:
            fd, out_path = tempfile.mkstemp(suffix=".csv")
            handle = os.fdopen(fd, "w", newline="")
        try:
            outcome = await asyncio.to_thread(
                batch.predict_csv, model, upload.file, settings.csv_chunk_rows, handle,
                fill_purchase_frequency,
            )  # fmt: skip
        except BaseException:
            if out_path:
                os.unlink(out_path)
            raise
        finally:
            if handle is not None:
                handle.close()
            await form.close()
    else:
        try:
            payload = orjson.loads(await request.body())
        except orjson.JSONDecodeError as exc:
            raise Unprocessable(
                [{"type": "json_invalid", "loc": ["body"], "msg": "Invalid JSON"}]
            ) from exc
        items = payload.get("customers") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise Unprocessable(
                [{"type": "missing", "loc": ["body", "customers"], "msg": "Field required"}]
            )
        if len(items) > settings.max_json_batch:
            raise PayloadTooLarge(f"At most {settings.max_json_batch} customers per JSON batch")
        outcome, _, _ = await asyncio.to_thread(batch.predict_items, model, items)
        if as_csv:
            fd, out_path = tempfile.mkstemp(suffix=".csv")
            with os.fdopen(fd, "w", newline="") as handle_out:
                batch.items_as_csv(items, outcome, handle_out)
    await _record_batch(redis, model, claims, outcome)
    # The gateway refunds the API-key rows it reserved beyond these.
    response = (
        _csv_response(out_path)
        if out_path is not None
        else _json(
            orjson.dumps(
                {
                    "model_version": model.version,
                    "results": outcome.results,
                    "errors": outcome.errors,
                }
            )
        )
    )
    response.headers[PREDICTED_ROWS_HEADER] = str(outcome.predicted)
    return response
