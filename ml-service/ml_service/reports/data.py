"""What a report shows, read from one stored model version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ml_service.engine.explain import ClusterStats
from ml_service.engine.model import ElbowCurve
from ml_service.engine.predictor import SegmentModel


@dataclass(frozen=True)
class ReportData:
    """The model (version, algorithm, features, metrics), its data and its clusters."""

    version: str
    active: bool
    algorithm: str
    features: tuple[str, ...]
    n_clusters: int
    n_samples: int
    silhouette_score: float
    inertia: float
    dataset_id: int | None
    trained_at: datetime | None
    generated_at: datetime
    clusters: tuple[ClusterStats, ...]
    elbow: ElbowCurve

    @property
    def dataset_label(self) -> str:
        return f"dataset #{self.dataset_id}" if self.dataset_id else "generated default dataset"


def report_data(model: SegmentModel, active: bool) -> ReportData:
    trained = model.trained
    stamp = model.metadata.get("trained_at")
    dataset_id = model.metadata.get("dataset_id")
    return ReportData(
        version=model.version,
        active=active,
        algorithm=trained.algorithm,
        features=trained.features,
        n_clusters=trained.n_clusters,
        n_samples=trained.n_samples,
        silhouette_score=trained.silhouette_score,
        inertia=trained.inertia,
        dataset_id=int(dataset_id) if dataset_id is not None else None,
        trained_at=datetime.fromisoformat(stamp) if isinstance(stamp, str) else None,
        generated_at=datetime.now(UTC),
        clusters=trained.clusters,
        elbow=trained.elbow,
    )


def distinctive_text(cluster: ClusterStats) -> str:
    """`annual_income z=+1.82, age z=-0.64`, or `close to average`."""
    if not cluster.distinctive:
        return "close to average"
    return ", ".join(f"{d.feature} z={d.z_score:+.2f}" for d in cluster.distinctive)
