"""Single predictions: the model, a history event and drift counts (the gateway meters
API keys)."""

from __future__ import annotations

from typing import Any

import orjson
from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT
from segshared.contracts.customer import CustomerInput
from segshared.contracts.events import HISTORY_STREAM, HistoryEvent
from segshared.tracing import trace_fields

from ml_service.engine.predictor import SegmentModel
from ml_service.serving.drift_monitor import DriftCounts, add_counts, count_one


def history_event(
    user_id: int,
    profile_id: int | None,
    customer_data: dict[str, Any],
    model_version: str,
    cluster: int | None = None,
    cluster_name: str = "",
    confidence: float | None = None,
) -> dict[str, str]:
    """Fields of a new history stream entry (`HistoryEvent`), with the trace context."""
    event = HistoryEvent.new(
        user_id,
        profile_id,
        orjson.dumps(customer_data).decode(),
        model_version,
        cluster,
        cluster_name,
        confidence,
    )
    return {**event.to_fields(), **trace_fields()}


async def record(redis: Redis, event: dict[str, str], drift: DriftCounts | None = None) -> None:
    """Append the history event and count drift bins, in one round trip."""
    async with redis.pipeline(transaction=False) as pipe:
        # No MAXLEN: the stream is trimmed only below what profile-service has acked
        # (segshared.streams.trim_loop), so a slow consumer never loses history.
        fields: dict[FieldT, EncodableT] = dict(event.items())  # (the stubs' dict is invariant)
        pipe.xadd(HISTORY_STREAM, fields)
        if drift is not None:
            add_counts(pipe, drift)
        await pipe.execute()


async def predict_customer(
    model: SegmentModel,
    redis: Redis,
    customer: CustomerInput,
    user_id: int,
    profile_id: int | None = None,
) -> bytes:
    """The prediction answer as JSON bytes; the history event is recorded before answering."""
    values = (
        customer.age,
        customer.annual_income,
        customer.spending_score,
        customer.purchase_frequency,
    )
    cluster, confidence = model.predict_one(values)
    name = model.names[cluster]
    customer_data = customer.model_dump()
    event = history_event(
        user_id, profile_id, customer_data, model.version, cluster, name, confidence
    )
    await record(redis, event, count_one(model, values, confidence))
    return orjson.dumps(
        {
            "cluster": cluster,
            "cluster_name": name,
            "confidence": confidence,
            "model_version": model.version,
            "customer_data": customer_data,
        }
    )
