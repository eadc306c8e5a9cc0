"""Fitting each algorithm for a given k on scaled data; every fit yields a `Predictor`.

- kmeans: `KMeans`, or `MiniBatchKMeans` above `minibatch_threshold` rows (as before).
- gmm: `GaussianMixture` with full covariances (4x4 at most, so cheap, and clusters may be
  elongated or correlated, which is what a mixture adds over k-means), fitted on at
  most `gmm_sample_size` rows: EM on a 50k sample estimates 4-d Gaussians as well as on
  1M rows at a twentieth of the cost.
- agglomerative: Ward linkage on at most `agglomerative_sample_size` rows. The tree is
  built once (fastcluster's memory-light `linkage_vector`: the same merges as
  scikit-learn's Ward, O(n) memory instead of a 20k x 20k distance matrix) and cut
  for every k; new rows go to the nearest centroid of the cut's clusters.

`inertia` is the within-cluster sum of squares (scaled space) over all rows: k-means'
own `inertia_`, and for gmm and agglomerative the same quantity for the hard labels the
predictor gives every row (each cluster around its own mean), so elbow curves compare.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Protocol

import fastcluster
import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from ml_service.engine.features import Algorithm
from ml_service.engine.predictor import MixtureParams, Predictor


@dataclass(frozen=True)
class FitOptions:
    """How hard each algorithm tries and how much data it fits on."""

    seed: int
    n_init: int = 3
    minibatch_threshold: int = 50_000
    gmm_sample_size: int = 50_000
    agglomerative_sample_size: int = 20_000


@dataclass(frozen=True)
class Scaling:
    """What every predictor of one training shares: the features and the scaler."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray


@dataclass(frozen=True, eq=False)
class Fitted:
    """One algorithm fitted for one k."""

    predictor: Predictor
    inertia: float


class Fitter(Protocol):
    """Fits one algorithm on fixed data for any k."""

    def fit(self, k: int) -> Fitted: ...


def one_thread() -> contextlib.AbstractContextManager[object]:
    """Run OpenMP/BLAS on one thread for the duration (process-wide: call in a worker).

    The fits here are many small steps (k-means mini-batches of 8192 rows, EM on 4-d
    data, a few hundred rows per block), where thread start-up and spin-waits cost more
    than the arithmetic. Measured on the 2-core machine while other work ran: one
    1M-row MiniBatchKMeans fit took 4.9-6.3 s and 2.3 s of CPU on one thread against
    18-31 s and 8.3-9 s of CPU with the default threads; 24 k-means fits of 900 rows,
    0.2 s against 2.9-7 s. One thread also leaves the other core to the service.
    """
    return threadpool_limits(limits=1)


def within_cluster_ss(x: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Sum of squared distances of rows to their cluster's mean (one pass, no copies)."""
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    sums = np.column_stack(
        [np.bincount(labels, weights=x[:, j], minlength=k) for j in range(x.shape[1])]
    )
    between = (sums**2).sum(axis=1) / np.maximum(sizes, 1.0)
    return float(max((x * x).sum() - between.sum(), 0.0))


def _subsample(x: np.ndarray, size: int, seed: int) -> np.ndarray:
    if len(x) <= size:
        return x
    rows = np.random.default_rng(seed).choice(len(x), size=size, replace=False)
    return x[np.sort(rows)]


class KMeansFitter:
    """k-means on all rows (mini-batches above the threshold)."""

    def __init__(self, x: np.ndarray, scaling: Scaling, options: FitOptions) -> None:
        self.x, self.scaling, self.options = x, scaling, options

    def fit(self, k: int) -> Fitted:
        options = self.options
        model: KMeans | MiniBatchKMeans
        if len(self.x) > options.minibatch_threshold:
            model = MiniBatchKMeans(
                n_clusters=k, n_init=options.n_init, batch_size=8192, random_state=options.seed
            )
        else:
            model = KMeans(n_clusters=k, n_init=options.n_init, random_state=options.seed)
        model.fit(self.x)
        s = self.scaling
        predictor = Predictor("kmeans", s.features, s.mean, s.scale, model.cluster_centers_)
        return Fitted(predictor, float(model.inertia_))


class GmmFitter:
    """A full-covariance Gaussian mixture fitted on a sample; inertia over all rows."""

    def __init__(self, x: np.ndarray, scaling: Scaling, options: FitOptions) -> None:
        self.x, self.scaling, self.options = x, scaling, options
        self.rows = _subsample(x, options.gmm_sample_size, options.seed)

    def fit(self, k: int) -> Fitted:
        if len(self.rows) <= k:
            raise ValueError(f"gmm_sample_size must exceed k={k}")
        mixture = GaussianMixture(
            n_components=k, covariance_type="full", random_state=self.options.seed
        ).fit(self.rows)
        s = self.scaling
        predictor = Predictor(
            "gmm",
            s.features,
            s.mean,
            s.scale,
            mixture.means_,
            MixtureParams(mixture.weights_, mixture.means_, mixture.precisions_cholesky_),
        )
        return Fitted(predictor, within_cluster_ss(self.x, predictor.labels_scaled(self.x), k))


def cut_tree(merges: np.ndarray, k: int) -> np.ndarray:
    """Labels 0..k-1 of a linkage's leaves when its last k-1 merges are undone.

    `merges` is scipy's linkage matrix (n-1 rows; merge i creates node n+i). Exactly k
    clusters even when merge heights tie (unlike `fcluster(..., "maxclust")`).
    """
    n = len(merges) + 1
    if not 2 <= k <= n:
        raise ValueError(f"cannot cut {n} rows into {k} clusters")
    children = merges[:, :2].astype(np.intp).tolist()
    node_label = [-1] * (2 * n - 1)
    first_undone = n - k  # merges n-k .. n-2 are undone
    next_label = 0
    for i in range(n - 2, -1, -1):  # parents before children
        if i >= first_undone:
            for child in children[i]:
                if child < n + first_undone:  # a leaf or a kept merge: a cluster root
                    node_label[child] = next_label
                    next_label += 1
        else:
            label = node_label[n + i]
            for child in children[i]:
                node_label[child] = label
    return np.array(node_label[:n], dtype=np.intp)


def ward_tree(rows: np.ndarray) -> np.ndarray:
    """Ward linkage (scipy's matrix format) of scaled rows."""
    return np.asarray(fastcluster.linkage_vector(np.ascontiguousarray(rows), method="ward"))


class AgglomerativeFitter:
    """Ward on a sample (one tree, cut per k); centroids of the cut predict new rows."""

    def __init__(self, x: np.ndarray, scaling: Scaling, options: FitOptions) -> None:
        self.x, self.scaling = x, scaling
        self.rows = _subsample(x, options.agglomerative_sample_size, options.seed)
        self.tree = ward_tree(self.rows)

    def fit(self, k: int) -> Fitted:
        labels = cut_tree(self.tree, k)
        sizes = np.bincount(labels, minlength=k)
        centers = (
            np.column_stack(
                [
                    np.bincount(labels, weights=self.rows[:, j], minlength=k)
                    for j in range(self.rows.shape[1])
                ]
            )
            / sizes[:, None]
        )
        s = self.scaling
        predictor = Predictor("agglomerative", s.features, s.mean, s.scale, centers)
        return Fitted(predictor, within_cluster_ss(self.x, predictor.labels_scaled(self.x), k))


def make_fitter(
    algorithm: Algorithm, x: np.ndarray, scaling: Scaling, options: FitOptions
) -> Fitter:
    """The fitter of `algorithm` on scaled rows `x` (the Ward tree is built here)."""
    if algorithm == "gmm":
        return GmmFitter(x, scaling, options)
    if algorithm == "agglomerative":
        return AgglomerativeFitter(x, scaling, options)
    return KMeansFitter(x, scaling, options)
