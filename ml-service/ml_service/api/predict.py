"""`/predict` and `/predict/batch` (user), `/internal/predict` (profile-service)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import IO, Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from segshared.contracts.customer import CustomerInput
from segshared.contracts.quota import PREDICTED_ROWS_HEADER
from segshared.errors import (
    PayloadTooLarge,
    Unprocessable,
    error_responses,
    invalid_json,
    missing,
)
from segshared.security import CurrentClaims, ServiceCaller
from starlette.datastructures import UploadFile

from ml_service.deps import RedisDep, SettingsDep, StateDep, StoreDep
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


def _wants_csv(request: Request) -> bool:
    return "text/csv" in request.headers.get("accept", "")


async def _stream_file(handle: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        handle.seek(0)
        while chunk := handle.read(256 * 1024):
            yield chunk
    finally:
        handle.close()


def _csv_response(handle: IO[bytes]) -> StreamingResponse:
    return StreamingResponse(
        _stream_file(handle),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="predictions.csv"'},
    )


def _json_file_response(handle: IO[bytes]) -> StreamingResponse:
    return StreamingResponse(_stream_file(handle), media_type="application/json")


async def _record_batch(
    redis: Any, model: SegmentModel, claims: Any, outcome: batch.BatchOutcome
) -> None:
    event = predictions.history_event(
        claims.user_id,
        None,
        {"batch_size": outcome.rows, "cluster_counts": dict(outcome.cluster_counts)},
        model.version,
    )
    await predictions.record(redis, event, outcome.drift)


@router.post(
    "/predict/batch", response_model=BatchAnswer, openapi_extra=_BATCH_BODY,
    responses={**error_responses(400, 413), **_CSV_ANSWER},
)  # fmt: skip
async def predict_batch(
    request: Request,
    claims: CurrentClaims,
    store: StoreDep,
    redis: RedisDep,
    settings: SettingsDep,
    fill_purchase_frequency: Annotated[int | None, Query(ge=0, le=365)] = None,
) -> Response:
    model = store.require()
    as_csv = _wants_csv(request)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        outcome, out = await _predict_upload(request, model, as_csv, fill_purchase_frequency)
        try:
            await _record_batch(redis, model, claims, outcome)
        except BaseException:
            out.close()
            raise
        return _counted(_csv_response(out) if as_csv else _json_file_response(out), outcome)
    payload = _parse_json(await _read_limited(request, settings.max_body_bytes))
    items = payload.get("customers") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise missing(("body", "customers"))
    if len(items) > settings.max_json_batch:
        raise PayloadTooLarge(f"At most {settings.max_json_batch} customers per JSON batch")
    outcome, _, _ = await asyncio.to_thread(batch.predict_items, model, items)
    await _record_batch(redis, model, claims, outcome)
    if as_csv:
        out = batch.answer_file()
        try:
            text = io.TextIOWrapper(out, encoding="utf-8", newline="")
            batch.items_as_csv(items, outcome, text)
            text.detach()  # flushes; `out` stays open for the response
        except BaseException:
            out.close()
            raise
        return _counted(_csv_response(out), outcome)
    return _counted(
        _json(
            orjson.dumps(
                {
                    "model_version": model.version,
                    "results": outcome.results,
                    "errors": outcome.errors,
                }
            )
        ),
        outcome,
    )


def _counted(response: Response, outcome: batch.BatchOutcome) -> Response:
    """Say how many rows were predicted: the gateway refunds the API-key rows it reserved
    beyond these."""
    response.headers[PREDICTED_ROWS_HEADER] = str(outcome.predicted)
    return response


async def _read_limited(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` bytes (before any parsing)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"Request body larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"Request body larger than {limit} bytes")
    return bytes(body)


def _parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise invalid_json() from exc


# CSV batches computed at once per process (others wait their turn): memory stays bounded
# however many clients upload, and two already keep both cores of a replica busy.
_CSV_BATCHES = asyncio.Semaphore(2)


async def _predict_upload(
    request: Request, model: SegmentModel, as_csv: bool, fill_purchase_frequency: int | None
) -> tuple[batch.BatchOutcome, IO[bytes]]:
    """Predict an uploaded CSV into an anonymous temporary file (CSV or JSON answer).

    The upload is spooled to disk by the form parser and the answer is written block by
    block, so memory does not grow with rows; answering from a finished file keeps a
    2xx meaning "every row was read" (a bad line further down is still a 422).
    """
    settings = request.app.state.settings
    form = await request.form(max_files=1, max_fields=10)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Unprocessable("Upload a CSV file in the form field 'file'")
        out = batch.answer_file()
        try:
            async with _CSV_BATCHES:
                outcome = await asyncio.to_thread(
                    batch.predict_csv, model, upload.file, out, as_csv,
                    settings.max_batch_errors, fill_purchase_frequency,
                )  # fmt: skip
        except BaseException:
            out.close()
            raise
    finally:
        await form.close()
    return outcome, out
