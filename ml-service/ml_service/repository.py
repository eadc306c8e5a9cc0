"""Every query of the ml-service, nothing else."""

from __future__ import annotations

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ml_service.tables import Dataset, ModelVersion, TrainingJob

UNFINISHED = ("queued", "running")


async def next_model_id(session: AsyncSession) -> int:
    """Reserve the next model id (versions are numbered from it, monotonically)."""
    result = await session.execute(
        text("SELECT nextval(pg_get_serial_sequence('ml.models', 'id'))")
    )
    return int(result.scalar_one())


async def model_by_version(session: AsyncSession, version: str) -> ModelVersion | None:
    rows = await session.execute(select(ModelVersion).where(col(ModelVersion.version) == version))
    return rows.scalars().first()


async def list_models(
    session: AsyncSession, skip: int = 0, limit: int = 100
) -> tuple[list[ModelVersion], int]:
    """A page of models, newest first, and how many there are."""
    rows = await session.execute(
        select(ModelVersion).order_by(col(ModelVersion.id).desc()).offset(skip).limit(limit)
    )
    total = await session.execute(select(func.count()).select_from(ModelVersion))
    return list(rows.scalars().all()), int(total.scalar_one())


async def list_datasets(
    session: AsyncSession, skip: int = 0, limit: int = 100
) -> tuple[list[Dataset], int]:
    """A page of datasets, newest first, and how many there are."""
    rows = await session.execute(
        select(Dataset).order_by(col(Dataset.id).desc()).offset(skip).limit(limit)
    )
    total = await session.execute(select(func.count()).select_from(Dataset))
    return list(rows.scalars().all()), int(total.scalar_one())


# Uploads of one owner are counted and inserted under this transaction-level lock (keyed
# by owner), so concurrent uploads can't both take the last place of the quota.
_DATASET_QUOTA_LOCK = 0x5E6_0D5


async def count_datasets_locked(session: AsyncSession, owner_id: int) -> int:
    """How many datasets `owner_id` has, holding their quota lock until the transaction ends."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, :owner)"),
        {"space": _DATASET_QUOTA_LOCK, "owner": owner_id},
    )
    return await count_datasets(session, owner_id)


async def count_datasets(session: AsyncSession, owner_id: int) -> int:
    total = await session.execute(
        select(func.count()).select_from(Dataset).where(col(Dataset.owner_id) == owner_id)
    )
    return int(total.scalar_one())


async def get_dataset(session: AsyncSession, dataset_id: int) -> Dataset | None:
    return await session.get(Dataset, dataset_id)


async def delete_dataset(session: AsyncSession, dataset: Dataset) -> None:
    await session.delete(dataset)
    await session.flush()


async def add_dataset(session: AsyncSession, dataset: Dataset) -> Dataset:
    """Insert `dataset` (its id is set on return; the caller's transaction commits it)."""
    session.add(dataset)
    await session.flush()
    return dataset


async def get_job(session: AsyncSession, job_id: str) -> TrainingJob | None:
    return await session.get(TrainingJob, job_id)


async def anonymise_user(session: AsyncSession, user_id: int) -> None:
    """Forget a deleted user as model trainer and dataset owner."""
    await session.execute(
        update(ModelVersion).where(col(ModelVersion.trained_by) == user_id).values(trained_by=None)
    )
    await session.execute(
        update(Dataset).where(col(Dataset.owner_id) == user_id).values(owner_id=None)
    )


async def beat_jobs(session: AsyncSession, job_ids: list[str]) -> None:
    """Mark the given unfinished jobs as alive now (database clock)."""
    await session.execute(
        update(TrainingJob)
        .where(col(TrainingJob.id).in_(job_ids), col(TrainingJob.status).in_(UNFINISHED))
        .values(heartbeat_at=func.now())
    )


async def fail_stale_jobs(
    session: AsyncSession, stale_seconds: float, error: str
) -> list[tuple[str, str]]:
    """Fail unfinished jobs whose heartbeat is older than `stale_seconds`; (id, kind) each."""
    last_seen = func.coalesce(TrainingJob.heartbeat_at, TrainingJob.created_at)
    rows = await session.execute(
        update(TrainingJob)
        .where(
            col(TrainingJob.status).in_(UNFINISHED),
            last_seen < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, stale_seconds),
        )
        .values(status="failed", error=error, finished_at=func.now())
        .returning(col(TrainingJob.id), col(TrainingJob.kind))
    )
    return [(str(job_id), str(kind)) for job_id, kind in rows.all()]
