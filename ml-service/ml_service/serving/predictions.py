"""Single predictions: nearest centroid, a history event, and API-key metering."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from redis.asyncio import Redis
from segshared.customer import CustomerInput
from segshared.events import HISTORY_STREAM
from segshared.quota import seconds_until_utc_midnight, usage_key

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


async def record(redis: Redis, event: dict[str, str], api_key_id: int | None, rows: int) -> None:
    """Append the history event and meter the API key, in one round trip."""
    async with redis.pipeline(transaction=False) as pipe:
        # No MAXLEN: the stream is trimmed only below what profile-service has acked
        # (segshared.streams.trim_loop), so a slow consumer never loses history.
        pipe.xadd(HISTORY_STREAM, event)
        if api_key_id is not None and rows:
            key = usage_key(api_key_id)
            pipe.incrby(key, rows)
            pipe.expire(key, seconds_until_utc_midnight() + 3600)
        await pipe.execute()


async def predict_customer(
    model: SegmentModel,
    redis: Redis,
    customer: CustomerInput,
    user_id: int,
    profile_id: int | None = None,
    api_key_id: int | None = None,
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
    await record(redis, event, api_key_id, 1)
    return orjson.dumps(
        {
            "cluster": cluster,
            "cluster_name": name,
            "confidence": confidence,
            "model_version": model.version,
            "customer_data": customer_data,
        }
    )
