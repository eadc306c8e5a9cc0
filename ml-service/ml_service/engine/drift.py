"""Drift: how far the customers being predicted have moved from the training data.

At training time each feature the model uses gets 10 quantile bins (the 10%..90%
quantiles are the 9 inner edges) and the share of training rows in each bin. Live
rows are binned with `np.searchsorted(edges, value, side="right")` on those stored
edges, so a service only has to keep one integer count per (feature, bin): e.g. a
Redis hash per model and day, incremented with the indices `bin_indices` returns.
PSI compares the live shares with the training shares.

Discrete features (ages, scores) can make quantiles coincide; equal edges are merged,
so such a feature has fewer than 10 bins and the unused trailing edges are +inf (no
finite value reaches the bins past them, whose training share is 0 as well).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ml_service.engine.features import FEATURES, column_indices

N_BINS = 10
PSI_EPSILON = 1e-4  # stands in for an empty bin's share (ln 0 is undefined)
PSI_WARNING = 0.1
PSI_DRIFT = 0.25
MIN_PREDICTIONS = 100
LOW_CONFIDENCE = 20.0

DriftStatus = Literal["ok", "warning", "drift", "insufficient_data"]
_SEVERITY: dict[DriftStatus, int] = {"insufficient_data": -1, "ok": 0, "warning": 1, "drift": 2}


@dataclass(frozen=True, eq=False)
class DriftReference:
    """Training bins per used feature: inner edges (input units) and training shares."""

    features: tuple[str, ...]
    edges: np.ndarray  # (d, N_BINS - 1), sorted, +inf padded
    proportions: np.ndarray  # (d, N_BINS), each row sums to 1
    _columns: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        d = len(self.features)
        if self.edges.shape != (d, N_BINS - 1) or self.proportions.shape != (d, N_BINS):
            raise ValueError("drift bins have the wrong shape")
        object.__setattr__(self, "_columns", column_indices(self.features))

    def bin_indices(self, values: np.ndarray) -> np.ndarray:
        """(n, d) bin of each used feature (0..9) for (n, 4) input rows, or (d,) for one row."""
        x = np.asarray(values, dtype=np.float64)[..., self._columns]
        if x.ndim == 1:  # the count of edges <= v is searchsorted(side="right"), in one call
            return np.count_nonzero(self.edges <= x[:, None], axis=1)
        return np.column_stack(
            [np.searchsorted(e, x[:, j], side="right") for j, e in enumerate(self.edges)]
        )

    def counts(self, values: np.ndarray) -> np.ndarray:
        """(d, N_BINS) counts of (n, 4) input rows per feature and bin."""
        bins = self.bin_indices(values)
        return np.stack(
            [np.bincount(bins[:, j], minlength=N_BINS) for j in range(len(self.features))]
        )


def fit_drift_reference(inputs: np.ndarray, features: tuple[str, ...] = FEATURES) -> DriftReference:
    """Quantile bins of the training rows (n, 4) for the model's `features`."""
    x = inputs[:, column_indices(features)]
    quantiles = np.quantile(x, np.arange(1, N_BINS) / N_BINS, axis=0).T  # (d, 9)
    edges = np.full((len(features), N_BINS - 1), np.inf)
    for j, row in enumerate(quantiles):
        unique = np.unique(row)
        edges[j, : len(unique)] = unique
    reference = DriftReference(features, edges, np.zeros((len(features), N_BINS)))
    counts = reference.counts(inputs)
    return DriftReference(features, edges, counts / len(inputs))


def psi(expected: np.ndarray, counts: np.ndarray) -> float:
    """Population stability index of live `counts` against training shares `expected`.

    PSI = sum (a - e) * ln(a / e) over bins, shares floored at PSI_EPSILON.
    """
    total = counts.sum()
    actual = counts / total if total else np.zeros_like(expected)
    a = np.maximum(actual, PSI_EPSILON)
    e = np.maximum(expected, PSI_EPSILON)
    return float(((a - e) * np.log(a / e)).sum())


def psi_status(value: float) -> DriftStatus:
    """`ok` < 0.1 <= `warning` < 0.25 <= `drift`."""
    if value >= PSI_DRIFT:
        return "drift"
    if value >= PSI_WARNING:
        return "warning"
    return "ok"


def is_low_confidence(confidence: float) -> bool:
    """A prediction the model was unsure of (confidence below 20 %)."""
    return confidence < LOW_CONFIDENCE


def low_confidence_share(confidences: np.ndarray) -> float:
    """Share of predictions with confidence < 20 (0 when there are none)."""
    values = np.asarray(confidences, dtype=np.float64)
    return float((values < LOW_CONFIDENCE).mean()) if len(values) else 0.0


@dataclass(frozen=True)
class FeatureDrift:
    """PSI of one feature and its status."""

    psi: float
    status: DriftStatus


@dataclass(frozen=True)
class DriftReport:
    """The drift of one window: per-feature PSI and the overall status.

    Under MIN_PREDICTIONS predictions every status is `insufficient_data` (the PSI is
    still given); otherwise `status` is the worst feature status.
    """

    n_predictions: int
    features: dict[str, FeatureDrift]
    low_confidence_share: float
    status: DriftStatus


def drift_report(
    reference: DriftReference, counts: np.ndarray, low_confidence_count: int
) -> DriftReport:
    """Report from live (d, N_BINS) counts (one row per used feature, as `counts` gives).

    The number of predictions is the row total (every prediction lands in one bin of
    each feature).
    """
    counts = np.asarray(counts)
    if counts.shape != reference.proportions.shape:
        raise ValueError(f"counts must have shape {reference.proportions.shape}")
    n = int(counts[0].sum())
    enough = n >= MIN_PREDICTIONS
    features = {}
    for name, expected, live in zip(reference.features, reference.proportions, counts, strict=True):
        value = round(psi(expected, live), 4)
        features[name] = FeatureDrift(value, psi_status(value) if enough else "insufficient_data")
    status = max((f.status for f in features.values()), key=_SEVERITY.__getitem__)
    share = round(low_confidence_count / n, 4) if n else 0.0
    return DriftReport(n, features, share, status)
