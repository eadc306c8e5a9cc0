"""Request and response bodies of the ml-service."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from segshared.contracts.customer import CustomerInput
from segshared.params import INT4_MAX


class Prediction(BaseModel):
    cluster: int
    cluster_name: str
    confidence: float
    model_version: str
    customer_data: CustomerInput


class InternalPredict(BaseModel):
    user_id: int = Field(ge=1, le=INT4_MAX)
    profile_id: int | None = Field(default=None, ge=1, le=INT4_MAX)
    customer: CustomerInput


class BatchResult(BaseModel):
    row: int
    cluster: int
    cluster_name: str
    confidence: float


class BatchError(BaseModel):
    row: int
    detail: Any


class BatchAnswer(BaseModel):
    model_version: str
    results: list[BatchResult]
    errors: list[BatchError]


class TrainRequest(BaseModel):
    n_clusters: int | None = Field(default=None, ge=2, le=15)
    k_min: int | None = Field(default=None, ge=2, le=15)
    k_max: int | None = Field(default=None, ge=2, le=15)
    dataset_id: int | None = Field(default=None, ge=1, le=INT4_MAX)


class TrainResult(BaseModel):
    message: str
    model_version: str
    n_clusters: int
    silhouette_score: float
    inertia: float
    n_samples: int
    trained_at: datetime
    duration_seconds: float


class JobAccepted(BaseModel):
    job_id: str


class JobStatus(BaseModel):
    job_id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: float
    stage: str
    result: TrainResult | None = None
    error: str | None = None


class ClusterSummary(BaseModel):
    cluster_id: int
    cluster_name: str
    description: str | None = None
    size: int
    percentage: float
    avg_age: float
    avg_income: float
    avg_spending_score: float
    avg_purchase_frequency: float
    sex_ratio: dict[str, float]


class Clusters(BaseModel):
    total_customers: int
    n_clusters: int
    model_version: str
    clusters: list[ClusterSummary]


class Elbow(BaseModel):
    optimal_k: int
    k_range: list[int]
    inertias: list[float]
    silhouette_scores: list[float]


class ModelItem(BaseModel):
    version: str
    active: bool
    n_clusters: int
    silhouette_score: float
    inertia: float
    n_samples: int
    dataset_id: int | None
    trained_by: int | None
    trained_at: datetime


class ModelList(BaseModel):
    models: list[ModelItem]


class DatasetPublic(BaseModel):
    dataset_id: int
    name: str
    rows: int
    columns: list[str]
    rejected_rows: int
    rejected_examples: list[dict[str, Any]]
    owner_id: int | None = None
    checksum: str | None = None
    created_at: datetime | None = None
