"""Table models of the ml-service (schema `ml`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from segshared.contracts.customer import CLUSTER_FEATURES
from segshared.db import schema_metadata, utcnow
from sqlalchemy import JSON, Column, DateTime, Float, Integer, String
from sqlmodel import Field, SQLModel

if TYPE_CHECKING:
    from ml_service.engine.model import TrainedModel
    from ml_service.serving.registry import Publication

SCHEMA = "ml"


class Base(SQLModel):
    """Base of every table here: binds it to the service's own schema."""

    metadata = schema_metadata(SCHEMA)


class Dataset(Base, table=True):
    """A validated dataset kept as a canonical CSV file beside the models."""

    __tablename__ = "datasets"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(255), nullable=False))
    owner_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True, index=True))
    rows: int
    rejected_rows: int = 0
    columns: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rejected_examples: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    checksum: str = Field(sa_column=Column(String(64), nullable=False))
    path: str = Field(sa_column=Column(String(1024), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class ModelVersion(Base, table=True):
    """A trained model; its artifact lives in MODEL_DIR/versions/<version>/."""

    __tablename__ = "models"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    n_clusters: int
    silhouette_score: float = Field(sa_column=Column(Float, nullable=False))
    inertia: float = Field(sa_column=Column(Float, nullable=False))
    n_samples: int
    dataset_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    trained_by: int | None = Field(
        default=None, sa_column=Column(Integer, nullable=True, index=True)
    )
    trained_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    duration_seconds: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    algorithm: str = Field(
        default="kmeans", sa_column=Column(String(16), nullable=False, server_default="kmeans")
    )
    features: list[str] = Field(
        default_factory=lambda: list(CLUSTER_FEATURES), sa_column=Column(JSON, nullable=False)
    )

    @classmethod
    def from_trained(
        cls,
        trained: TrainedModel,
        publication: Publication,
        *,
        model_id: int,
        version: str,
        sha256: str,
    ) -> ModelVersion:
        """The registry row of `trained`, published as `version` (artifact checksum `sha256`)."""
        return cls(
            id=model_id,
            version=version,
            sha256=sha256,
            n_clusters=trained.n_clusters,
            silhouette_score=trained.silhouette_score,
            inertia=trained.inertia,
            n_samples=trained.n_samples,
            algorithm=trained.algorithm,
            features=list(trained.features),
            dataset_id=publication.dataset_id,
            trained_by=publication.trained_by,
            trained_at=publication.trained_at,
            duration_seconds=publication.duration_seconds,
        )


class TrainingJob(Base, table=True):
    """An asynchronous training request; live progress is kept in Redis while it runs."""

    __tablename__ = "training_jobs"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    # "train" publishes a model; "compare" only scores candidates.
    kind: str = Field(
        default="train", sa_column=Column(String(16), nullable=False, server_default="train")
    )
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(String(1000), nullable=True))
    requested_by: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # The process running the job and when it last said so; a stale heartbeat means the
    # process died and the job is failed as interrupted.
    owner: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    heartbeat_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class DriftCheck(Base, table=True):
    """The last periodic drift check of a model version (so `drift.detected` fires once)."""

    __tablename__ = "drift_checks"

    model_version: str = Field(sa_column=Column(String(64), primary_key=True))
    status: str = Field(sa_column=Column(String(32), nullable=False))
    report: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    checked_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
