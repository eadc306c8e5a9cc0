"""What a model's clusters are: sizes, averages, centroids, distinctive features, importance.

Every fact here is computed from the training rows and the model's own assignment of
them (the labels the published predictor gives), so it describes the model as served.

- `distinctive`: for each feature the model uses, the z-score of the cluster's mean
  from the overall mean, in units of the overall standard deviation (population std,
  the scaler's). Features with |z| >= 0.5 (half a standard deviation: a difference an
  analyst would call noticeable) are listed, furthest first; a cluster close to the
  average customer has none. The naming rule scores these same z-scores, so a
  cluster's name is read off its distinctive features.
- `feature_importance`: the share of each feature's variance that the clustering
  explains (eta squared = between-cluster sum of squares / total sum of squares, by
  the law of total variance), normalised to sum to 1 over the model's features. It is
  chosen over permutation importance because it is exact and deterministic, costs one
  pass over the data, needs no re-prediction, means the same for all three algorithms
  (it only needs the hard assignment) and can be recomputed from the cluster sizes and
  means alone, so models trained before it was stored get it too. Its limit: a feature
  correlated with a separating one gets credit as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml_service.engine.features import FEATURES
from ml_service.engine.naming import name_clusters
from ml_service.engine.predictor import Predictor

DISTINCTIVE_Z = 0.5


@dataclass(frozen=True)
class Distinctive:
    """One feature that sets a cluster apart: its cluster mean's z-score."""

    feature: str
    z_score: float


@dataclass(frozen=True)
class ClusterStats:
    """One cluster as `/clusters` shows it, plus its centroid and distinctive features.

    `avg_*` and `sex_ratio` cover the cluster's training rows (all four features, used
    or not); `centroid` is the model's center in input units for the features it uses.
    """

    cluster_id: int
    cluster_name: str
    description: str
    size: int
    percentage: float
    avg_age: float
    avg_income: float
    avg_spending_score: float
    avg_purchase_frequency: float
    sex_ratio: dict[str, float]
    centroid: dict[str, float]
    distinctive: tuple[Distinctive, ...]


def distinctive_features(z: np.ndarray, features: tuple[str, ...]) -> tuple[Distinctive, ...]:
    """The features of one cluster with |z| >= DISTINCTIVE_Z, largest |z| first."""
    order = sorted(range(len(features)), key=lambda i: (-abs(float(z[i])), i))
    return tuple(
        Distinctive(features[i], round(float(z[i]), 2))
        for i in order
        if abs(float(z[i])) >= DISTINCTIVE_Z
    )


def feature_importance(
    cluster_means: np.ndarray,
    sizes: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray,
    features: tuple[str, ...],
) -> dict[str, float]:
    """Normalised eta squared per feature from cluster means and sizes; sums to 1.

    eta_j = sum_c n_c (m_cj - mean_j)^2 / (n std_j^2) with the population std. When no
    feature varies between clusters the shares are equal.
    """
    shares = sizes / max(int(sizes.sum()), 1)
    variance = np.where(std > 0, std**2, np.inf)
    eta = (shares[:, None] * (cluster_means - mean) ** 2).sum(axis=0) / variance
    total = float(eta.sum())
    if total <= 0:
        return {f: 1.0 / len(features) for f in features}
    return {f: float(v) / total for f, v in zip(features, eta, strict=True)}


def cluster_stats(
    cluster_id: int,
    names: tuple[str, str],
    size: int,
    total: int,
    averages: np.ndarray,
    share_female: float,
    centroid: np.ndarray,
    z: np.ndarray,
    features: tuple[str, ...],
) -> ClusterStats:
    """One `ClusterStats` from its numbers (`averages`: the four input features)."""
    return ClusterStats(
        cluster_id=cluster_id,
        cluster_name=names[0],
        description=names[1],
        size=size,
        percentage=round(size / total * 100, 2) if total else 0.0,
        avg_age=round(float(averages[0]), 2),
        avg_income=round(float(averages[1]), 2),
        avg_spending_score=round(float(averages[2]), 2),
        avg_purchase_frequency=round(float(averages[3]), 2),
        sex_ratio={
            "Female": round(share_female, 4) if size else 0.0,
            "Male": round(1 - share_female, 4) if size else 0.0,
        },
        centroid={f: round(float(v), 4) for f, v in zip(features, centroid, strict=True)},
        distinctive=distinctive_features(z, features),
    )


@dataclass(frozen=True)
class Explanation:
    """The per-cluster facts of a trained model and its feature importance."""

    clusters: tuple[ClusterStats, ...]
    feature_importance: dict[str, float]


def explain_clusters(
    inputs: np.ndarray, female: np.ndarray, labels: np.ndarray, predictor: Predictor
) -> Explanation:
    """Stats, names and importance from the training rows (n, 4) and their labels."""
    k = predictor.n_clusters
    sizes = np.bincount(labels, minlength=k)
    safe = np.maximum(sizes, 1)
    averages = np.column_stack(
        [np.bincount(labels, weights=inputs[:, j], minlength=k) / safe for j in range(4)]
    )
    share_female = np.bincount(labels, weights=female.astype(np.float64), minlength=k) / safe
    centroids = predictor.centers * predictor.scale + predictor.mean
    used = [FEATURES.index(f) for f in predictor.features]
    # An empty cluster (possible with mini-batches) is described by its center.
    means = np.where(sizes[:, None] > 0, averages[:, used], centroids)
    std = predictor.scale
    z = (means - predictor.mean) / np.where(std > 0, std, 1.0)
    names = name_clusters(means, predictor.mean, std, predictor.features)
    total = int(sizes.sum())
    clusters = tuple(
        cluster_stats(
            c,
            names[c],
            int(sizes[c]),
            total,
            averages[c],
            float(share_female[c]),
            centroids[c],
            z[c],
            predictor.features,
        )
        for c in range(k)
    )
    importance = feature_importance(means, sizes, predictor.mean, std, predictor.features)
    return Explanation(clusters, importance)
