"""What the analytics routes answer: a model's explanation, projection and drift."""

from __future__ import annotations

import dataclasses

from redis.asyncio import Redis
from segshared.errors import Conflict, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from ml_service import repository
from ml_service.engine.predictor import SegmentModel
from ml_service.schemas import DriftAnswer, ModelDetail, ModelItem, ProjectionAnswer
from ml_service.serving import registry
from ml_service.serving.drift_monitor import report_document, window_report
from ml_service.serving.model_store import ModelStore
from ml_service.tables import ModelVersion

OLD_MODEL = "was trained before {what} was stored with models; train a new one"


async def load_model(
    session: AsyncSession, store: ModelStore, version: str
) -> tuple[ModelVersion, SegmentModel]:
    """A registered version and its loaded model; 404 if unknown, 409 if it fails its checksum."""
    row = await repository.model_by_version(session, version)
    if row is None:
        raise NotFound("Model version not found")
    try:
        return row, await store.version(version)
    except registry.ArtifactError as exc:
        raise Conflict(f"Model {version} failed verification") from exc


def model_detail(row: ModelVersion, model: SegmentModel, active: str | None) -> ModelDetail:
    """The `/models` item plus the clusters' centroids, distinctive features and importance."""
    trained = model.trained
    return ModelDetail.model_validate(
        {
            **ModelItem.from_version(row, active).model_dump(),
            "clusters": [dataclasses.asdict(c) for c in trained.clusters],
            "feature_importance": {f: round(v, 4) for f, v in trained.feature_importance.items()},
        }
    )


def projection(model: SegmentModel, limit: int) -> ProjectionAnswer:
    """At most `limit` training points (stratified by cluster) and the centroids in PCA space."""
    view = model.trained.projection_view(limit)
    if view is None:
        raise Conflict(f"Model {model.version} " + OLD_MODEL.format(what="a projection"))
    return ProjectionAnswer.model_validate(dataclasses.asdict(view))


async def drift(redis: Redis, model: SegmentModel, days: int) -> DriftAnswer:
    """PSI per feature of the customers `model` predicted in the last `days` days."""
    report = await window_report(redis, model, days)
    if report is None:
        raise Conflict(f"Model {model.version} " + OLD_MODEL.format(what="training bins"))
    return DriftAnswer.model_validate(
        {"model_version": model.version, **report_document(report, days)}
    )
