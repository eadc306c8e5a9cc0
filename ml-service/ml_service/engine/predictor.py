"""The in-memory model: cluster assignment and confidence with plain numpy.

scikit-learn's per-call input validation costs far more than the arithmetic for one
row, so predictions use the fitted scaler statistics and the fitted arrays directly,
for every algorithm:

- k-means and agglomerative: nearest centroid (scaled space); confidence is the seed's
  distance ratio `(1 - d_nearest / d_second) * 100`.
- gmm: the Gaussian-mixture posterior computed as scikit-learn does (precision Cholesky
  factors, log-sum-exp); confidence is the largest posterior * 100.

Callers always pass the four input features in `FEATURES` order; a model trained on a
subset picks its columns. The test suite holds each path equal to scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ml_service.engine.features import FEATURES, Algorithm, column_indices

if TYPE_CHECKING:
    from ml_service.engine.model import TrainedModel

# Rows per block when labelling large arrays (bounds the (rows, k, d) temporaries).
CHUNK_ROWS = 65_536


@dataclass(frozen=True, eq=False)
class MixtureParams:
    """A fitted full-covariance Gaussian mixture, in scaled space (sklearn's attributes)."""

    weights: np.ndarray  # (k,) weights_
    means: np.ndarray  # (k, d) means_
    precisions_cholesky: np.ndarray  # (k, d, d) precisions_cholesky_


@dataclass(frozen=True, eq=False)
class Predictor:
    """Scaler statistics plus the fitted arrays of one algorithm; pure numpy predict."""

    algorithm: Algorithm
    features: tuple[str, ...]  # the columns used, canonical order
    mean: np.ndarray  # (d,) StandardScaler.mean_
    scale: np.ndarray  # (d,) StandardScaler.scale_
    centers: np.ndarray  # (k, d) scaled space; for gmm the component means
    mixture: MixtureParams | None = None  # gmm only
    _columns: np.ndarray | None = field(init=False, repr=False)
    _stacked_precisions: np.ndarray = field(init=False, repr=False)
    _projected_means: np.ndarray = field(init=False, repr=False)
    _log_norm: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        k, d = self.centers.shape
        if self.mean.shape != (d,) or self.scale.shape != (d,) or len(self.features) != d:
            raise ValueError("scaler statistics, features and centers disagree")
        if k < 2:
            raise ValueError("a model needs at least 2 clusters")
        if (self.algorithm == "gmm") != (self.mixture is not None):
            raise ValueError("gmm models, and only they, carry mixture parameters")
        columns = None if self.features == FEATURES else column_indices(self.features)
        object.__setattr__(self, "_columns", columns)
        object.__setattr__(self, "_stacked_precisions", np.empty((d, 0)))
        object.__setattr__(self, "_projected_means", np.empty((0, d)))
        object.__setattr__(self, "_log_norm", np.empty(0))
        if self.mixture is not None:
            chol = self.mixture.precisions_cholesky
            if chol.shape != (k, d, d) or self.mixture.weights.shape != (k,):
                raise ValueError("mixture parameters have the wrong shape")
            # As sklearn's _estimate_log_gaussian_prob: y = x·P_k - mu_k·P_k, and the
            # log-determinant of each precision factor plus the log weight. The P_k sit
            # side by side so all components take one matrix product (one BLAS call:
            # small per-component calls cost more in threading than in arithmetic).
            log_det = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
            stacked = np.ascontiguousarray(chol.transpose(1, 0, 2).reshape(d, k * d))
            projected = np.einsum("kd,kde->ke", self.mixture.means, chol)
            object.__setattr__(self, "_stacked_precisions", stacked)
            object.__setattr__(self, "_projected_means", projected)
            object.__setattr__(self, "_log_norm", log_det + np.log(self.mixture.weights))

    @property
    def n_clusters(self) -> int:
        return len(self.centers)

    def scale_input(self, values: np.ndarray) -> np.ndarray:
        """(n, 4) input rows (or one row) → the model's scaled columns."""
        x = np.asarray(values, dtype=np.float64)
        if self._columns is not None:
            x = x[..., self._columns]
        return (x - self.mean) / self.scale

    def predict_one(self, values: Sequence[float]) -> tuple[int, float]:
        """(cluster, confidence %) of one customer's four input features."""
        x = np.asarray(values, dtype=np.float64)
        if self._columns is not None:
            x = x[self._columns]
        x = (x - self.mean) / self.scale
        if self.mixture is None:
            distances = np.sqrt(((self.centers - x) ** 2).sum(axis=1))
            order = np.argsort(distances)
            return int(order[0]), confidence(float(distances[order[0]]), float(distances[order[1]]))
        y = (x @ self._stacked_precisions).reshape(self._projected_means.shape)
        y -= self._projected_means
        weighted = -0.5 * (len(x) * np.log(2 * np.pi) + (y * y).sum(axis=1)) + self._log_norm
        best = int(weighted.argmax())
        posterior = 1.0 / float(np.exp(weighted - weighted[best]).sum())
        return best, round(posterior * 100.0, 2)

    def predict_many(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised (clusters, confidences %) for an (n, 4) array of input rows."""
        x = self.scale_input(values)
        if self.mixture is None:
            squared = self._squared_distances(x)
            nearest_two = np.partition(squared, 1, axis=1)[:, :2]
            labels = squared.argmin(axis=1)
            d1, d2 = np.sqrt(nearest_two[:, 0]), np.sqrt(nearest_two[:, 1])
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(d2 > 0, d1 / d2, 1.0)
            return labels, np.round(np.clip((1.0 - ratio) * 100.0, 0.0, 100.0), 2)
        weighted = self._weighted_log_prob(x)
        labels = weighted.argmax(axis=1)
        top = weighted[np.arange(len(x)), labels]
        posterior = 1.0 / np.exp(weighted - top[:, None]).sum(axis=1)
        return labels, np.round(posterior * 100.0, 2)

    def posteriors(self, values: np.ndarray) -> np.ndarray:
        """(n, k) membership probabilities of input rows (gmm only)."""
        if self.mixture is None:
            raise ValueError(f"{self.algorithm} models assign hard clusters only")
        weighted = self._weighted_log_prob(self.scale_input(values))
        top = weighted.max(axis=1, keepdims=True)
        log_norm = top + np.log(np.exp(weighted - top).sum(axis=1, keepdims=True))
        return np.exp(weighted - log_norm)

    def labels_scaled(self, x: np.ndarray) -> np.ndarray:
        """Cluster of each row of already scaled data, in blocks (any number of rows)."""
        labels = np.empty(len(x), dtype=np.intp)
        for start in range(0, len(x), CHUNK_ROWS):
            block = x[start : start + CHUNK_ROWS]
            if self.mixture is None:
                labels[start : start + len(block)] = self._squared_distances(block).argmin(axis=1)
            else:
                labels[start : start + len(block)] = self._weighted_log_prob(block).argmax(axis=1)
        return labels

    def _squared_distances(self, x: np.ndarray) -> np.ndarray:
        return ((x[:, None, :] - self.centers[None, :, :]) ** 2).sum(axis=2)

    def _weighted_log_prob(self, x: np.ndarray) -> np.ndarray:
        n, d = x.shape
        y = (x @ self._stacked_precisions).reshape(n, self.n_clusters, d)
        y -= self._projected_means
        squared = np.einsum("nkd,nkd->nk", y, y)
        return -0.5 * (d * np.log(2 * np.pi) + squared) + self._log_norm


@dataclass(frozen=True, eq=False)
class SegmentModel:
    """A loaded model version: its trained model plus the stored document; swapped whole."""

    version: str
    trained: TrainedModel
    metadata: Mapping[str, Any] = field(default_factory=dict)  # the stored metadata.json

    @property
    def names(self) -> tuple[str, ...]:
        return self.trained.names

    @property
    def n_clusters(self) -> int:
        return self.trained.n_clusters

    def predict_one(self, features: Sequence[float]) -> tuple[int, float]:
        """(cluster, confidence %) of one customer's four input features."""
        return self.trained.predictor.predict_one(features)

    def predict_many(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised (clusters, confidences %) for an (n, 4) array."""
        return self.trained.predictor.predict_many(features)


def confidence(nearest: float, second: float) -> float:
    """(1 - d_nearest / d_second) * 100, clipped to 0..100, rounded to 2 decimals."""
    if second <= 0:
        return 0.0
    return round(min(100.0, max(0.0, (1.0 - nearest / second) * 100.0)), 2)
