"""Training, comparison, the model registry, clusters, elbow, and each model's analytics."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from segshared.errors import NotFound, error_responses
from segshared.params import Limit, Skip, Text
from segshared.security import AdminClaims, AnalystClaims, CurrentClaims

from ml_service import repository
from ml_service.deps import RedisDep, SessionDep, StoreDep, TrainerDep
from ml_service.schemas import (
    Clusters,
    CompareRequest,
    DriftAnswer,
    Elbow,
    JobAccepted,
    JobStatus,
    ModelDetail,
    ModelItem,
    ModelList,
    ProjectionAnswer,
    TrainRequest,
    TrainResult,
)
from ml_service.serving import analytics, registry
from ml_service.serving.drift_monitor import HISTOGRAM_DAYS
from ml_service.training.jobs import job_status

router = APIRouter(tags=["segmentation"], responses=error_responses(400, 401, 422, 503))


@router.post("/train", response_model=TrainResult, responses=error_responses(403, 404, 409))
async def train(
    claims: AnalystClaims, trainer: TrainerDep, body: TrainRequest | None = None
) -> TrainResult:
    # The same job as `/train/jobs`, answered once its model serves. A client that goes
    # away does not cancel the training (it runs on as a job).
    _, task = await trainer.submit(body or TrainRequest(), claims.user_id)
    return await asyncio.shield(task)


@router.post(
    "/train/jobs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    responses=error_responses(403, 404, 409),
)
async def start_training_job(
    claims: AnalystClaims, trainer: TrainerDep, body: TrainRequest | None = None
) -> JobAccepted:
    job_id, _ = await trainer.submit(body or TrainRequest(), claims.user_id)
    return JobAccepted(job_id=job_id)


@router.get("/train/jobs/{job_id}", response_model=JobStatus, responses=error_responses(403, 404))
async def training_job(
    job_id: Annotated[Text, Path(max_length=64)],
    _: AnalystClaims,
    session: SessionDep,
    redis: RedisDep,
) -> JobStatus:
    return await job_status(session, redis, job_id)


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


@router.get("/models", response_model=ModelList, responses=error_responses(403))
async def list_models(
    _: AnalystClaims, session: SessionDep, store: StoreDep, skip: Skip = 0, limit: Limit = 100
) -> ModelList:
    """Newest first, a page at a time; `total` counts every version."""
    active = registry.read_pointer(store.root)
    page, total = await repository.list_models(session, skip, limit)
    return ModelList(models=[ModelItem.from_version(row, active) for row in page], total=total)


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
    return ModelItem.from_version(row, version)


Version = Annotated[Text, Path(max_length=64)]


@router.post(
    "/models/compare",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    responses=error_responses(403, 404, 409),
)
async def compare_models(
    claims: AnalystClaims, trainer: TrainerDep, body: CompareRequest | None = None
) -> JobAccepted:
    """Score each algorithm x k (a job polled at `/train/jobs/{id}`); publishes nothing."""
    job_id, _ = await trainer.submit_compare(body or CompareRequest(), claims.user_id)
    return JobAccepted(job_id=job_id)


@router.get("/models/{version}", response_model=ModelDetail, responses=error_responses(404, 409))
async def model_detail(
    version: Version, _: CurrentClaims, session: SessionDep, store: StoreDep
) -> ModelDetail:
    row, model = await analytics.load_model(session, store, version)
    return analytics.model_detail(row, model, registry.read_pointer(store.root))


@router.get(
    "/models/{version}/projection",
    response_model=ProjectionAnswer,
    responses=error_responses(404, 409),
)
async def model_projection(
    version: Version,
    _: CurrentClaims,
    session: SessionDep,
    store: StoreDep,
    limit: Annotated[int, Query(ge=10, le=5_000)] = 2_000,
) -> ProjectionAnswer:
    _row, model = await analytics.load_model(session, store, version)
    return analytics.projection(model, limit)


@router.get(
    "/models/{version}/drift",
    response_model=DriftAnswer,
    responses=error_responses(403, 404, 409),
)
async def model_drift(
    version: Version,
    _: AnalystClaims,
    session: SessionDep,
    store: StoreDep,
    redis: RedisDep,
    days: Annotated[int, Query(ge=1, le=HISTOGRAM_DAYS)] = 7,
) -> DriftAnswer:
    _row, model = await analytics.load_model(session, store, version)
    return await analytics.drift(redis, model, days)
