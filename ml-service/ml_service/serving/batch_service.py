"""`/predict/batch`: JSON items or an uploaded CSV predicted, recorded in history, and
answered from memory or from an anonymous temporary file (no name on disk, so an error, a
client that never reads the answer or a crash can't leave it behind)."""

from __future__ import annotations

import asyncio
import io
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
    """A batch's answer: `body` in memory, or the anonymous temporary `file` (see `chunks`).

    `predicted` is the number of rows predicted: the gateway refunds the API-key rows it
    reserved beyond these.
    """

    media_type: str
    predicted: int
    body: bytes = b""
    file: IO[bytes] | None = None

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file's content block by block; the file is closed (and gone) once read."""
        assert self.file is not None
        try:
            self.file.seek(0)
            while chunk := self.file.read(256 * 1024):
                yield chunk
        finally:
            self.file.close()


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
    out = batch.answer_file()
    try:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        batch.items_as_csv(items, outcome, text)
        text.detach()  # flushes; `out` stays open for the answer
    except BaseException:
        out.close()
        raise
    return BatchReply(CSV, outcome.predicted, file=out)


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
    down is still a 422). The file is closed (and so gone) if anything fails first.
    """
    out = batch.answer_file()
    try:
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
        out.close()
        raise
    return BatchReply(CSV if as_csv else JSON, outcome.predicted, file=out)
