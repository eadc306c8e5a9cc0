"""What a training produces: the predictor plus everything that explains and monitors it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml_service.engine.drift import DriftReference
from ml_service.engine.explain import ClusterStats
from ml_service.engine.features import Algorithm
from ml_service.engine.predictor import MixtureParams, Predictor
from ml_service.engine.projection import Projection, ProjectionView, projection_view


@dataclass(frozen=True)
class ElbowCurve:
    """Inertia and silhouette per k over k_min..k_max (`/elbow`).

    For gmm and agglomerative "inertia" is the within-cluster sum of squares of the
    hard labels (see `engine.algorithms`); `optimal_k` is the best silhouette.
    """

    optimal_k: int
    k_range: tuple[int, ...]
    inertias: tuple[float, ...]
    silhouette_scores: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """A trained model: how it predicts, what its clusters are, and its references.

    `silhouette_score` is on a sample (as `/train` reports it); `inertia` is the
    within-cluster sum of squares in scaled space. `projection` and `drift_reference`
    are None only for models trained before they were stored.
    """

    predictor: Predictor
    names: tuple[str, ...]
    descriptions: tuple[str, ...]
    silhouette_score: float
    inertia: float
    n_samples: int
    clusters: tuple[ClusterStats, ...]
    elbow: ElbowCurve
    feature_importance: dict[str, float]
    projection: Projection | None = None
    drift_reference: DriftReference | None = None

    @property
    def algorithm(self) -> Algorithm:
        return self.predictor.algorithm

    @property
    def features(self) -> tuple[str, ...]:
        return self.predictor.features

    @property
    def n_clusters(self) -> int:
        return self.predictor.n_clusters

    @property
    def mean(self) -> np.ndarray:
        return self.predictor.mean

    @property
    def scale(self) -> np.ndarray:
        return self.predictor.scale

    @property
    def centers(self) -> np.ndarray:
        return self.predictor.centers

    @property
    def mixture(self) -> MixtureParams | None:
        return self.predictor.mixture

    def projection_view(self, limit: int, seed: int = 0) -> ProjectionView | None:
        """At most `limit` projected training points and the centroids; None if not stored."""
        if self.projection is None:
            return None
        return projection_view(self.projection, self.predictor.centers, limit, seed)
