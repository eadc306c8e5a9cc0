"""The in-memory model: nearest-centroid assignment and confidence with plain numpy.

scikit-learn's per-call input validation costs far more than the arithmetic for one
row, so predictions use the fitted scaler statistics and centers directly; the test
suite checks the result equals `KMeans.predict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SegmentModel:
    """A loaded model version; immutable, swapped whole on reload."""

    version: str
    mean: np.ndarray  # (4,) StandardScaler.mean_
    scale: np.ndarray  # (4,) StandardScaler.scale_
    centers: np.ndarray  # (k, 4) in scaled space
    names: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def n_clusters(self) -> int:
        return len(self.centers)

    def predict_one(self, features: tuple[float, float, float, float]) -> tuple[int, float]:
        """(cluster, confidence %) of one customer's four features."""
        x = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        distances = np.sqrt(((self.centers - x) ** 2).sum(axis=1))
        order = np.argsort(distances)
        return int(order[0]), confidence(float(distances[order[0]]), float(distances[order[1]]))

    def predict_many(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised (clusters, confidences %) for an (n, 4) array."""
        x = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        squared = ((x[:, None, :] - self.centers[None, :, :]) ** 2).sum(axis=2)
        nearest_two = np.partition(squared, 1, axis=1)[:, :2]
        labels = squared.argmin(axis=1)
        d1, d2 = np.sqrt(nearest_two[:, 0]), np.sqrt(nearest_two[:, 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(d2 > 0, d1 / d2, 1.0)
        return labels, np.round(np.clip((1.0 - ratio) * 100.0, 0.0, 100.0), 2)


def confidence(nearest: float, second: float) -> float:
    """(1 - d_nearest / d_second) * 100, clipped to 0..100, rounded to 2 decimals."""
    if second <= 0:
        return 0.0
    return round(min(100.0, max(0.0, (1.0 - nearest / second) * 100.0)), 2)
