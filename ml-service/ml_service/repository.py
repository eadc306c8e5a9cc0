"""Every query of the ml-service, nothing else."""

from __future__ import annotations

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from ml_service.tables import Dataset, ModelVersion, TrainingJob

UNFINISHED = ("queued", "running")


async def next_model_id(session: AsyncSession) -> int:
    """Reserve the next model id (versions are numbered from it, monotonically)."""
    result = await session.execute(
        text("SELECT nextval(pg_get_serial_sequence('ml.models', 'id'))")
    )
    return int(result.scalar_one())


async def model_by_version(session: AsyncSession, version: str) -> ModelVersion | None:
    rows = await session.execute(select(ModelVersion).where(ModelVersion.version == version))
    return rows.scalars().first()


async def list_models(session: AsyncSession) -> list[ModelVersion]:
    rows = await session.execute(select(ModelVersion).order_by(ModelVersion.id.desc()))
    return list(rows.scalars().all())


async def list_datasets(session: AsyncSession) -> list[Dataset]:
    rows = await session.execute(select(Dataset).order_by(Dataset.id.desc()))
    return list(rows.scalars().all())


async def get_job(session: AsyncSession, job_id: str) -> TrainingJob | None:
    return await session.get(TrainingJob, job_id)


async def anonymise_user(session: AsyncSession, user_id: int) -> None:
    """Forget a deleted user as model trainer and dataset owner."""
    await session.execute(
        update(ModelVersion).where(ModelVersion.trained_by == user_id).values(trained_by=None)
    )
    await session.execute(update(Dataset).where(Dataset.owner_id == user_id).values(owner_id=None))


async def beat_jobs(session: AsyncSession, job_ids: list[str]) -> None:
    """Mark the given unfinished jobs as alive now (database clock)."""
    await session.execute(
        update(TrainingJob)
        .where(TrainingJob.id.in_(job_ids), TrainingJob.status.in_(UNFINISHED))
        .values(heartbeat_at=func.now())
    )


async def fail_stale_jobs(session: AsyncSession, stale_seconds: float, error: str) -> list[str]:
    """Fail unfinished jobs whose heartbeat is older than `stale_seconds`; return their ids."""
    last_seen = func.coalesce(TrainingJob.heartbeat_at, TrainingJob.created_at)
    rows = await session.execute(
        update(TrainingJob)
        .where(
            TrainingJob.status.in_(UNFINISHED),
            last_seen < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, stale_seconds),
        )
        .values(status="failed", error=error, finished_at=func.now())
        .returning(TrainingJob.id)
    )
    return [str(job_id) for job_id in rows.scalars().all()]
