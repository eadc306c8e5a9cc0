"""Model comparison: every algorithm x k scored for quality and stability; nothing published.

The cost is bounded: data larger than `sample_size` rows is compared on a uniform
sample of that many rows (sizes and scores are of that sample), the silhouette on a
further `silhouette_sample_size` rows as in training. Each candidate is fitted once on
the sample (the reference) and on `bootstrap_rounds` bootstrap resamples of it (rows
drawn with replacement, the same resamples for every candidate); `stability` is the
mean adjusted Rand index between each re-fit's labels of the whole sample and the
reference labels (1 = the same partition every time).

`recommended` is the best silhouette among candidates with stability >= 0.8, else the
best silhouette overall; ties go to the earlier algorithm, then the smaller k.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
)
from sklearn.preprocessing import StandardScaler

from ml_service.engine.algorithms import FitOptions, Fitter, Scaling, make_fitter, one_thread
from ml_service.engine.features import (
    ALGORITHMS,
    FEATURES,
    Algorithm,
    check_algorithm,
    column_indices,
    select_features,
)
from ml_service.engine.training import Progress, no_progress, silhouette

MIN_STABILITY = 0.8


@dataclass(frozen=True)
class CompareParams:
    """What to compare and how much data to spend on it."""

    k_min: int = 2
    k_max: int = 10
    algorithms: tuple[str, ...] = ALGORITHMS
    features: tuple[str, ...] = FEATURES
    seed: int = 42
    sample_size: int = 5_000
    silhouette_sample_size: int = 2_000
    bootstrap_rounds: int = 3
    n_init: int = 3
    minibatch_threshold: int = 50_000
    gmm_sample_size: int = 50_000
    agglomerative_sample_size: int = 20_000


@dataclass(frozen=True)
class Candidate:
    """One algorithm at one k; `sizes` are cluster sizes in the compared sample.

    When the fit put every row in one cluster, silhouette is -1 and the other two
    scores are None (they are undefined then).
    """

    algorithm: Algorithm
    k: int
    silhouette: float
    davies_bouldin: float | None
    calinski_harabasz: float | None
    stability: float
    sizes: tuple[int, ...]


@dataclass(frozen=True)
class Recommendation:
    """The candidate to train (see `recommend`)."""

    algorithm: Algorithm
    k: int


@dataclass(frozen=True)
class Comparison:
    """Every candidate, the recommendation, and how many rows were compared."""

    candidates: tuple[Candidate, ...]
    recommended: Recommendation
    n_samples: int


def _algorithms(names: tuple[str, ...]) -> tuple[Algorithm, ...]:
    if not names:
        raise ValueError("Choose at least one algorithm")
    if len(set(names)) != len(names):
        raise ValueError("Algorithms must not repeat")
    return tuple(check_algorithm(name) for name in names)


def recommend(candidates: tuple[Candidate, ...]) -> Recommendation:
    """Best silhouette among the stable candidates (stability >= 0.8), else overall."""
    stable = [c for c in candidates if c.stability >= MIN_STABILITY]
    best = max(stable or candidates, key=lambda c: c.silhouette)
    return Recommendation(best.algorithm, best.k)


def compare_models(
    inputs: np.ndarray, params: CompareParams, progress: Progress = no_progress
) -> Comparison:
    """Score each algorithm x k over k_min..k_max on rows `inputs` (n, 4, FEATURES order).

    Raises ValueError when the parameters or the data can't give the comparison asked.
    """
    algorithms = _algorithms(params.algorithms)
    features = select_features(params.features)
    if not 2 <= params.k_min <= params.k_max:
        raise ValueError("Need 2 <= k_min <= k_max")
    if params.bootstrap_rounds < 1:
        raise ValueError("Need at least one bootstrap round")
    rng = np.random.default_rng(params.seed)
    n = len(inputs)
    rows = (
        np.sort(rng.choice(n, params.sample_size, replace=False))
        if n > params.sample_size
        else np.arange(n)
    )
    m = len(rows)
    if m < params.k_max + 1:
        raise ValueError(f"Need more than {params.k_max} rows, got {m}")
    progress(0.02, "scaling")
    data = inputs[rows][:, column_indices(features)]
    scaler = StandardScaler().fit(data)
    x = scaler.transform(data)
    scoring = rng.choice(m, size=min(m, params.silhouette_sample_size), replace=False)
    resamples = [rng.integers(0, m, size=m) for _ in range(params.bootstrap_rounds)]
    scaling = Scaling(features, scaler.mean_, scaler.scale_)
    options = FitOptions(
        seed=params.seed,
        n_init=params.n_init,
        minibatch_threshold=params.minibatch_threshold,
        gmm_sample_size=params.gmm_sample_size,
        agglomerative_sample_size=params.agglomerative_sample_size,
    )
    k_range = range(params.k_min, params.k_max + 1)
    steps = len(algorithms) * len(k_range)
    candidates: list[Candidate] = []
    with one_thread():
        for algorithm in algorithms:
            progress(0.05 + 0.9 * len(candidates) / steps, f"preparing {algorithm}")
            reference = make_fitter(algorithm, x, scaling, options)
            refits: list[Fitter] = [
                make_fitter(algorithm, x[rows], scaling, replace(options, seed=params.seed + i))
                for i, rows in enumerate(resamples, start=1)
            ]
            for k in k_range:
                candidates.append(_candidate(algorithm, k, x, scoring, reference, refits))
                progress(0.05 + 0.9 * len(candidates) / steps, f"{algorithm} k={k}")
    result = tuple(candidates)
    return Comparison(result, recommend(result), m)


def _candidate(
    algorithm: Algorithm,
    k: int,
    x: np.ndarray,
    scoring: np.ndarray,
    reference: Fitter,
    refits: list[Fitter],
) -> Candidate:
    labels = reference.fit(k).predictor.labels_scaled(x)
    sizes = tuple(int(s) for s in np.bincount(labels, minlength=k))
    stability = float(
        np.mean([adjusted_rand_score(labels, r.fit(k).predictor.labels_scaled(x)) for r in refits])
    )
    separated = len(np.unique(labels)) > 1
    return Candidate(
        algorithm=algorithm,
        k=k,
        silhouette=silhouette(x[scoring], labels[scoring]),
        davies_bouldin=round(float(davies_bouldin_score(x, labels)), 4) if separated else None,
        calinski_harabasz=round(float(calinski_harabasz_score(x, labels)), 2)
        if separated
        else None,
        stability=round(stability, 4),
        sizes=sizes,
    )
