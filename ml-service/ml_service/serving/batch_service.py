"""`/predict/batch`: JSON items or an uploaded CSV predicted, recorded in history, and
answered from memory or from a temporary file that is deleted once streamed."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO, Any

import orjson
from redis.asyncio import Redis

from ml_service.engine.predictor import SegmentModel
from ml_service.serving import batch, predictions

JSON = "application/json"
CSV = "text/csv"

# CSV batches computed at once per process (others wait their turn): memory stays bounded
# however many clients upload, and two already keep both cores of a replica busy.
_CSV_BATCHES = asyncio.Semaphore(2)


@dataclass(frozen=True)
class BatchReply:
    """A batch's answer: `body` in memory, or the temporary file at `path` (see `chunks`).

    `predicted` is the number of rows predicted: the gateway refunds the API-key rows it
    reserved beyond these.
    """

    media_type: str
    predicted: int
    body: bytes = b""
    path: str | None = None

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file's content block by block; the file is deleted once read (or abandoned)."""
        assert self.path is not None
        try:
            with open(self.path, "rb") as handle:  # noqa: ASYNC230 (local temp file, chunked)
                while chunk := handle.read(256 * 1024):
                    yield chunk
        finally:
            os.unlink(self.path)


async def _record(
    redis: Redis, model: SegmentModel, user_id: int, outcome: batch.BatchOutcome
) -> None:
    """One history event for the whole batch (its size and counts per cluster), and drift."""
    summary = {"batch_size": outcome.rows, "cluster_counts": dict(outcome.cluster_counts)}
    event = predictions.history_event(user_id, None, summary, model.version)
    await predictions.record(redis, event, outcome.drift)


async def predict_items(
    model: SegmentModel, redis: Redis, user_id: int, items: list[Any], as_csv: bool
) -> BatchReply:
    """Predict JSON items (invalid ones become row errors) and record the batch.

    With `as_csv` the answer is the items as CSV with the prediction columns appended.
    """
    outcome, _, _ = await asyncio.to_thread(batch.predict_items, model, items)
    await _record(redis, model, user_id, outcome)
    if not as_csv:
        answer = {
            "model_version": model.version,
            "results": outcome.results,
            "errors": outcome.errors,
        }
        return BatchReply(JSON, outcome.predicted, body=orjson.dumps(answer))
    fd, path = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(fd, "w", newline="") as out:
            batch.items_as_csv(items, outcome, out)
    except BaseException:
        os.unlink(path)
        raise
    return BatchReply(CSV, outcome.predicted, path=path)


async def predict_upload(
    model: SegmentModel,
    redis: Redis,
    user_id: int,
    source: IO[bytes],
    as_csv: bool,
    max_errors: int,
    fill_purchase_frequency: int | None,
) -> BatchReply:
    """Predict an uploaded CSV into a temporary file (CSV or JSON answer) and record the batch.

    The answer is written block by block, so memory does not grow with rows; answering
    from a finished file keeps a 2xx meaning "every row was read" (a bad line further
    down is still a 422). The file is removed if anything fails before it is answered.
    """
    fd, path = tempfile.mkstemp(suffix=".csv" if as_csv else ".json")
    try:
        with os.fdopen(fd, "wb") as out:
            async with _CSV_BATCHES:
                outcome = await asyncio.to_thread(
                    batch.predict_csv,
                    model,
                    source,
                    out,
                    as_csv,
                    max_errors,
                    fill_purchase_frequency,
                )
        await _record(redis, model, user_id, outcome)
    except BaseException:
        os.unlink(path)
        raise
    return BatchReply(CSV if as_csv else JSON, outcome.predicted, path=path)
