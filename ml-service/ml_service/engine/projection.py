"""A 2-D view of a model for scatter charts: PCA of the scaled training data.

The PCA is fitted once at training time on all training rows (in the model's scaled
space) and stored with the model, together with a sample of training points stratified
by cluster and already projected, so a chart needs no training data at request time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA

AXES = ("pc1", "pc2")


@dataclass(frozen=True, eq=False)
class Projection:
    """The stored PCA (scaled space) and the projected training sample."""

    components: np.ndarray  # (2, d) principal axes
    mean: np.ndarray  # (d,) the PCA's centre
    explained_variance_ratio: np.ndarray  # (2,)
    points: np.ndarray  # (m, 2) projected sample of training rows
    point_clusters: np.ndarray  # (m,) their clusters

    def transform(self, x_scaled: np.ndarray) -> np.ndarray:
        """Project scaled rows (n, d) onto the two axes (equals `PCA.transform`)."""
        return (x_scaled - self.mean) @ self.components.T


@dataclass(frozen=True)
class ProjectedPoint:
    """One point of the chart."""

    x: float
    y: float
    cluster: int


@dataclass(frozen=True)
class ProjectionView:
    """What `/models/{version}/projection` shows."""

    axes: tuple[str, str]
    explained_variance: tuple[float, float]
    points: tuple[ProjectedPoint, ...]
    centroids: tuple[ProjectedPoint, ...]


def stratified_sample(labels: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """Sorted indices of at most `limit` rows, each cluster in proportion to its size.

    Every non-empty cluster keeps at least one row (when `limit` allows), so small
    segments stay visible; shares are rounded by largest remainder.
    """
    n = len(labels)
    if n <= limit:
        return np.arange(n)
    if limit <= 0:
        return np.empty(0, dtype=np.intp)
    clusters, sizes = np.unique(labels, return_counts=True)
    exact = sizes * limit / n
    quota = np.floor(exact).astype(int)
    if limit >= len(clusters):
        quota = np.maximum(quota, 1)
    spare = limit - int(quota.sum())
    if spare > 0:
        room = np.argsort(-(exact - quota), kind="stable")
        quota[room[:spare]] += 1
    while quota.sum() > limit:  # the minimum of one pushed the total over
        quota[int(np.argmax(quota))] -= 1
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(np.flatnonzero(labels == cluster), size=int(q), replace=False)
        for cluster, q in zip(clusters, quota, strict=True)
        if q > 0
    ]
    return np.sort(np.concatenate(chosen))


def fit_projection(
    x_scaled: np.ndarray, labels: np.ndarray, sample_size: int, seed: int
) -> Projection:
    """PCA(2) on all scaled training rows plus a stratified sample of them projected."""
    pca = PCA(n_components=2, random_state=seed).fit(x_scaled)
    keep = stratified_sample(labels, sample_size, seed)
    return Projection(
        components=pca.components_,
        mean=pca.mean_,
        explained_variance_ratio=pca.explained_variance_ratio_,
        # float32 halves the artifact; a chart needs no more precision.
        points=pca.transform(x_scaled[keep]).astype(np.float32),
        point_clusters=labels[keep].astype(np.int32),
    )


def projection_view(
    projection: Projection, centers_scaled: np.ndarray, limit: int, seed: int = 0
) -> ProjectionView:
    """At most `limit` stored points (stratified by cluster) and the projected centers."""
    keep = stratified_sample(projection.point_clusters, limit, seed)
    centroids = projection.transform(centers_scaled)
    return ProjectionView(
        axes=AXES,
        explained_variance=(
            round(float(projection.explained_variance_ratio[0]), 4),
            round(float(projection.explained_variance_ratio[1]), 4),
        ),
        points=tuple(
            ProjectedPoint(round(float(p[0]), 4), round(float(p[1]), 4), int(c))
            for p, c in zip(projection.points[keep], projection.point_clusters[keep], strict=True)
        ),
        centroids=tuple(
            ProjectedPoint(round(float(p[0]), 4), round(float(p[1]), 4), c)
            for c, p in enumerate(centroids)
        ),
    )
