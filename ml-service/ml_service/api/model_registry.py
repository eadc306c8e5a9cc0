"""Training, model registry, clusters and elbow."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from segshared.errors import NotFound, error_responses
from segshared.params import Text
from segshared.security import AdminClaims, AnalystClaims, CurrentClaims

from ml_service import repository
from ml_service.deps import RedisDep, SessionDep, StoreDep, TrainerDep
from ml_service.schemas import (
    Clusters,
    Elbow,
    JobAccepted,
    JobStatus,
    ModelItem,
    ModelList,
    TrainRequest,
    TrainResult,
)
from ml_service.serving import registry
from ml_service.tables import ModelVersion
from ml_service.training.worker import progress_key

router = APIRouter(tags=["segmentation"], responses=error_responses(400, 401, 422, 503))


@router.post("/train", response_model=TrainResult, responses=error_responses(403, 404, 409))
async def train(
    claims: AnalystClaims, trainer: TrainerDep, body: TrainRequest | None = None
) -> Any:
    _, task = await trainer.submit(
        (body or TrainRequest()).model_dump(exclude_none=True), claims.user_id
    )
    # A client that goes away does not cancel the training (it runs on as a job).
    return await asyncio.shield(task)


@router.post(
    "/train/jobs", status_code=status.HTTP_202_ACCEPTED, response_model=JobAccepted,
    responses=error_responses(403, 404, 409),
)  # fmt: skip
async def start_training_job(
    claims: AnalystClaims, trainer: TrainerDep, body: TrainRequest | None = None
) -> JobAccepted:
    job_id, _ = await trainer.submit(
        (body or TrainRequest()).model_dump(exclude_none=True), claims.user_id
    )
    return JobAccepted(job_id=job_id)


@router.get("/train/jobs/{job_id}", response_model=JobStatus, responses=error_responses(403, 404))
async def training_job(
    job_id: Annotated[Text, Path(max_length=64)],
    _: AnalystClaims,
    session: SessionDep,
    redis: RedisDep,
) -> JobStatus:
    job = await repository.get_job(session, job_id[:32])
    if job is None:
        raise NotFound("Training job not found")
    live = await redis.hgetall(progress_key(job.id))
    progress = 1.0 if job.status == "succeeded" else float(live.get("progress", 0))
    stage = live.get("stage", job.status)
    return JobStatus(
        job_id=job.id,
        status=job.status,
        progress=progress,
        stage=stage,
        result=TrainResult.model_validate(job.result) if job.result else None,
        error=job.error,
    )


@router.get("/clusters", response_model=Clusters)
async def clusters(_: CurrentClaims, store: StoreDep) -> Clusters:
    model = store.require()
    stats = model.metadata["clusters"]
    return Clusters(
        total_customers=model.metadata["n_samples"],
        n_clusters=model.n_clusters,
        model_version=model.version,
        clusters=stats,
    )


@router.get("/elbow", response_model=Elbow)
async def elbow(_: CurrentClaims, store: StoreDep) -> Elbow:
    return Elbow.model_validate(store.require().metadata["elbow"])


def _item(row: ModelVersion, active: str | None) -> ModelItem:
    return ModelItem(
        version=row.version,
        active=row.version == active,
        n_clusters=row.n_clusters,
        silhouette_score=row.silhouette_score,
        inertia=row.inertia,
        n_samples=row.n_samples,
        dataset_id=row.dataset_id,
        trained_by=row.trained_by,
        trained_at=row.trained_at,
    )


@router.get("/models", response_model=ModelList, responses=error_responses(403))
async def list_models(_: AnalystClaims, session: SessionDep, store: StoreDep) -> ModelList:
    active = registry.read_pointer(store.root)
    return ModelList(models=[_item(r, active) for r in await repository.list_models(session)])


@router.post(
    "/models/{version}/activate", response_model=ModelItem, responses=error_responses(403, 404)
)
async def activate_model(
    version: Annotated[Text, Path(max_length=64)],
    _: AdminClaims,
    session: SessionDep,
    trainer: TrainerDep,
) -> ModelItem:
    row = await repository.model_by_version(session, version)
    if row is None:
        raise NotFound("Model version not found")
    await trainer.activate(version)
    return _item(row, version)
