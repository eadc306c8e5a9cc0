"""Single predictions: nearest centroid and a history event (the gateway meters API keys)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from redis.asyncio import Redis
from segshared.customer import CustomerInput
from segshared.events import HISTORY_STREAM

from ml_service.engine.predictor import SegmentModel


def history_event(
    user_id: int,
    profile_id: int | None,
    customer_data: dict[str, Any],
    model_version: str,
    cluster: int | None = None,
    cluster_name: str = "",
    confidence: float | None = None,
) -> dict[str, str]:
    """Fields of a history stream entry (docs/internal-contracts.md)."""
    return {
        "event_id": uuid.uuid4().hex,
        "user_id": str(user_id),
        "profile_id": "" if profile_id is None else str(profile_id),
        "customer_data": orjson.dumps(customer_data).decode(),
        "cluster": "" if cluster is None else str(cluster),
        "cluster_name": cluster_name,
        "confidence": "" if confidence is None else str(confidence),
        "model_version": model_version,
        "created_at": datetime.now(UTC).isoformat(),
    }


async def record(redis: Redis, event: dict[str, str]) -> None:
    """Append the history event."""
    # No MAXLEN: the stream is trimmed only below what profile-service has acked
    # (segshared.streams.trim_loop), so a slow consumer never loses history.
    await redis.xadd(HISTORY_STREAM, event)


async def predict_customer(
    model: SegmentModel,
    redis: Redis,
    customer: CustomerInput,
    user_id: int,
    profile_id: int | None = None,
) -> bytes:
    """The prediction answer as JSON bytes; the history event is recorded before answering."""
    cluster, confidence = model.predict_one(
        (customer.age, customer.annual_income, customer.spending_score, customer.purchase_frequency)
    )
    name = model.names[cluster]
    customer_data = customer.model_dump()
    event = history_event(
        user_id, profile_id, customer_data, model.version, cluster, name, confidence
    )
    await record(redis, event)
    return orjson.dumps(
        {
            "cluster": cluster,
            "cluster_name": name,
            "confidence": confidence,
            "model_version": model.version,
            "customer_data": customer_data,
        }
    )
