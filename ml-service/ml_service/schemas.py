"""Request and response bodies of the ml-service."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import BaseModel, Field
from segshared.contracts.customer import CustomerInput
from segshared.params import INT4_MAX

if TYPE_CHECKING:
    from ml_service.tables import Dataset, ModelVersion

TRAINED = "Model trained successfully"


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


Feature = Literal["age", "annual_income", "spending_score", "purchase_frequency"]
AlgorithmName = Literal["kmeans", "gmm", "agglomerative"]
FeatureList = Annotated[
    list[Feature] | None,
    Field(min_length=2, max_length=4, description="2..4 distinct features; default all four"),
]


class TrainRequest(BaseModel):
    n_clusters: int | None = Field(default=None, ge=2, le=15)
    k_min: int | None = Field(default=None, ge=2, le=15)
    k_max: int | None = Field(default=None, ge=2, le=15)
    dataset_id: int | None = Field(default=None, ge=1, le=INT4_MAX)
    features: FeatureList = None
    algorithm: AlgorithmName | None = None


class CompareRequest(BaseModel):
    dataset_id: int | None = Field(default=None, ge=1, le=INT4_MAX)
    features: FeatureList = None
    algorithms: list[AlgorithmName] | None = Field(default=None, min_length=1, max_length=3)
    k_min: int | None = Field(default=None, ge=2, le=15)
    k_max: int | None = Field(default=None, ge=2, le=15)


class Candidate(BaseModel):
    algorithm: AlgorithmName
    k: int
    silhouette: float
    davies_bouldin: float | None
    calinski_harabasz: float | None
    stability: float
    sizes: list[int]


class Recommended(BaseModel):
    algorithm: AlgorithmName
    k: int


class CompareResult(BaseModel):
    candidates: list[Candidate]
    recommended: Recommended
    n_samples: int


class TrainResult(BaseModel):
    message: str
    model_version: str
    n_clusters: int
    silhouette_score: float
    inertia: float
    n_samples: int
    trained_at: datetime
    duration_seconds: float
    algorithm: AlgorithmName = "kmeans"
    # Results stored before features were chosen used all four.
    features: list[Feature] = Field(default_factory=lambda: list(get_args(Feature)))

    @classmethod
    def from_version(cls, row: ModelVersion) -> TrainResult:
        """The answer of the training that published `row`."""
        return cls.model_validate(
            {**row.model_dump(), "message": TRAINED, "model_version": row.version}
        )


class JobAccepted(BaseModel):
    job_id: str


class JobStatus(BaseModel):
    job_id: str
    kind: Literal["train", "compare"] = "train"
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: float
    stage: str
    result: TrainResult | CompareResult | None = None
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
    algorithm: AlgorithmName
    features: list[Feature]

    @classmethod
    def from_version(cls, row: ModelVersion, active: str | None) -> ModelItem:
        """The `/models` item of a registry row (`active`: the version serving now)."""
        return cls.model_validate({**row.model_dump(), "active": row.version == active})


class ModelList(BaseModel):
    models: list[ModelItem]  # newest first, one page (`skip`, `limit`)
    total: int  # every version


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

    @classmethod
    def from_dataset(cls, row: Dataset) -> DatasetPublic:
        """The answer of a stored dataset (its `id` is `dataset_id` here)."""
        return cls.model_validate({**row.model_dump(), "dataset_id": row.id})


class DistinctiveFeature(BaseModel):
    feature: Feature
    z_score: float


class ClusterDetail(ClusterSummary):
    centroid: dict[str, float]
    distinctive: list[DistinctiveFeature]


class ModelDetail(ModelItem):
    clusters: list[ClusterDetail]
    feature_importance: dict[str, float]


class ProjectedPoint(BaseModel):
    x: float
    y: float
    cluster: int


class ProjectionAnswer(BaseModel):
    axes: list[str]
    explained_variance: list[float]
    points: list[ProjectedPoint]
    centroids: list[ProjectedPoint]


DriftStatus = Literal["ok", "warning", "drift", "insufficient_data"]


class FeatureDriftItem(BaseModel):
    psi: float
    status: DriftStatus


class DriftAnswer(BaseModel):
    model_version: str
    window_days: int
    n_predictions: int
    features: dict[str, FeatureDriftItem]
    low_confidence_share: float
    status: DriftStatus


class Message(BaseModel):
    message: str
