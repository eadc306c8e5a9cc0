"""Code that runs in the training worker process (never on the event loop)."""

from __future__ import annotations

from pathlib import Path

import redis

from ml_service.engine.model import TrainedModel
from ml_service.engine.training import TrainingParams, train_segments
from ml_service.training.datasets import load_training_arrays

PROGRESS_TTL_SECONDS = 7 * 24 * 3600


def progress_key(job_id: str) -> str:
    """Redis hash with a running job's `progress` and `stage`."""
    return f"ml:job:{job_id}"


def run_training(job_id: str, dataset: str, params: TrainingParams, redis_url: str) -> TrainedModel:
    """Load the dataset, train, and report progress to Redis as it goes."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    key = progress_key(job_id)

    def report(fraction: float, stage: str) -> None:
        try:
            client.hset(key, mapping={"progress": f"{fraction:.3f}", "stage": stage})
            client.expire(key, PROGRESS_TTL_SECONDS)
        except redis.RedisError:
            pass  # progress is informative only; training goes on

    try:
        report(0.01, "loading dataset")
        features, female = load_training_arrays(Path(dataset))
        return train_segments(features, female, params, report)
    finally:
        client.close()
