"""Training: scale, pick k (best silhouette), fit, and compute what the model carries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from ml_service.engine.algorithms import FitOptions, Fitted, Scaling, make_fitter, one_thread
from ml_service.engine.drift import fit_drift_reference
from ml_service.engine.explain import explain_clusters
from ml_service.engine.features import (
    FEATURES,
    Algorithm,
    check_algorithm,
    column_indices,
    select_features,
)
from ml_service.engine.model import ElbowCurve, TrainedModel
from ml_service.engine.projection import fit_projection

Progress = Callable[[float, str], None]


def no_progress(_fraction: float, _stage: str) -> None:
    """The default progress callback: report nothing."""


@dataclass(frozen=True)
class TrainingParams:
    """What to train and how hard to try.

    `features` is any 2..4 of `FEATURES` (put in canonical order); `algorithm` is
    kmeans, gmm or agglomerative. The sample sizes bound the cost on large data.
    """

    n_clusters: int | None
    k_min: int
    k_max: int
    seed: int
    silhouette_sample_size: int
    minibatch_threshold: int
    n_init: int
    algorithm: str = "kmeans"
    features: tuple[str, ...] = FEATURES
    gmm_sample_size: int = 50_000
    agglomerative_sample_size: int = 20_000
    projection_sample_size: int = 5_000

    def fit_options(self) -> FitOptions:
        return FitOptions(
            seed=self.seed,
            n_init=self.n_init,
            minibatch_threshold=self.minibatch_threshold,
            gmm_sample_size=self.gmm_sample_size,
            agglomerative_sample_size=self.agglomerative_sample_size,
        )


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Silhouette of labelled rows, -1 when they fall in fewer than 2 clusters."""
    if not 1 < len(np.unique(labels)) < len(labels):
        return -1.0
    return round(float(silhouette_score(x, labels)), 4)


def train_segments(
    inputs: np.ndarray,
    female: np.ndarray,
    params: TrainingParams,
    progress: Progress = no_progress,
) -> TrainedModel:
    """Fit a model on the training rows `inputs` (n, 4: all input features, FEATURES order).

    Every run computes the elbow curve over k_min..k_max; the chosen k is `n_clusters`
    when given, else the best silhouette (on `silhouette_sample_size` rows). The final
    labels of all rows come from the returned predictor, and the cluster statistics,
    names, feature importance, projection and drift bins are computed from them.
    Deterministic for a dataset and seed. Raises ValueError when the data or the
    parameters can't give the model asked for.
    """
    algorithm = check_algorithm(params.algorithm)
    features = select_features(params.features)
    n = len(inputs)
    largest = max(params.k_max, params.n_clusters or 0)
    if n < largest + 1:
        raise ValueError(f"Need more than {largest} rows, got {n}")
    with one_thread():
        return _train(inputs, female, params, algorithm, features, progress)


def _train(
    inputs: np.ndarray,
    female: np.ndarray,
    params: TrainingParams,
    algorithm: Algorithm,
    features: tuple[str, ...],
    progress: Progress,
) -> TrainedModel:
    n = len(inputs)
    progress(0.05, "scaling")
    data = inputs[:, column_indices(features)]
    scaler = StandardScaler().fit(data)
    x = scaler.transform(data)
    rng = np.random.default_rng(params.seed)
    sample = rng.choice(n, size=min(n, params.silhouette_sample_size), replace=False)
    if algorithm == "agglomerative":
        progress(0.07, "building the Ward tree")
    fitter = make_fitter(
        algorithm, x, Scaling(features, scaler.mean_, scaler.scale_), params.fit_options()
    )
    k_range = list(range(params.k_min, params.k_max + 1))
    inertias: list[float] = []
    silhouettes: list[float] = []
    fitted: dict[int, Fitted] = {}
    for i, k in enumerate(k_range):
        fitted[k] = fitter.fit(k)
        inertias.append(round(fitted[k].inertia, 4))
        silhouettes.append(silhouette(x[sample], fitted[k].predictor.labels_scaled(x[sample])))
        progress(0.1 + 0.75 * (i + 1) / len(k_range), f"evaluating k={k}")
    optimal_k = k_range[int(np.argmax(silhouettes))]
    chosen_k = params.n_clusters or optimal_k
    progress(0.88, f"fitting final model (k={chosen_k})")
    final = fitted.get(chosen_k) or fitter.fit(chosen_k)
    labels = final.predictor.labels_scaled(x)
    if chosen_k in fitted:
        score = silhouettes[k_range.index(chosen_k)]
    else:
        score = silhouette(x[sample], labels[sample])
    progress(0.92, "computing cluster statistics")
    explanation = explain_clusters(inputs, female, labels, final.predictor)
    progress(0.95, "computing the projection and drift bins")
    return TrainedModel(
        predictor=final.predictor,
        names=tuple(c.cluster_name for c in explanation.clusters),
        descriptions=tuple(c.description for c in explanation.clusters),
        silhouette_score=score,
        inertia=round(final.inertia, 4),
        n_samples=n,
        clusters=explanation.clusters,
        elbow=ElbowCurve(optimal_k, tuple(k_range), tuple(inertias), tuple(silhouettes)),
        feature_importance=explanation.feature_importance,
        projection=fit_projection(x, labels, params.projection_sample_size, params.seed),
        drift_reference=fit_drift_reference(inputs, features),
    )
