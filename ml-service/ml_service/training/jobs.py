"""A training or comparison job as `/train/jobs/{id}` reports it: its row plus live progress."""

from __future__ import annotations

from redis.asyncio import Redis
from segshared.errors import NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from ml_service import repository
from ml_service.schemas import CompareResult, JobStatus, TrainResult
from ml_service.training.worker import progress_key


async def job_status(session: AsyncSession, redis: Redis, job_id: str) -> JobStatus:
    """The job's status, with the worker's progress while it runs; 404 if unknown."""
    job = await repository.get_job(session, job_id[:32])  # ids are 32 hex digits
    if job is None:
        raise NotFound("Training job not found")
    live = await redis.hgetall(progress_key(job.id))
    result: TrainResult | CompareResult | None = None
    if job.result:
        kind = CompareResult if job.kind == "compare" else TrainResult
        result = kind.model_validate(job.result)
    return JobStatus.model_validate(
        {
            "job_id": job.id,
            "kind": job.kind,
            "status": job.status,
            "progress": 1.0 if job.status == "succeeded" else float(live.get("progress", 0)),
            "stage": live.get("stage", job.status),
            "result": result,
            "error": job.error,
        }
    )
