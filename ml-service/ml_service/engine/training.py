"""K-Means training with automatic k (best silhouette) and the statistics a model carries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from ml_service.engine.naming import name_clusters

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class TrainingParams:
    """What to train and how hard to try."""

    n_clusters: int | None
    k_min: int
    k_max: int
    seed: int
    silhouette_sample_size: int
    minibatch_threshold: int
    n_init: int


def _fit(x: np.ndarray, k: int, params: TrainingParams) -> KMeans | MiniBatchKMeans:
    if len(x) > params.minibatch_threshold:
        return MiniBatchKMeans(
            n_clusters=k, n_init=params.n_init, batch_size=8192, random_state=params.seed
        ).fit(x)
    return KMeans(n_clusters=k, n_init=params.n_init, random_state=params.seed).fit(x)


def _cluster_stats(
    features: np.ndarray, female: np.ndarray, labels: np.ndarray, names: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    total = len(labels)
    stats = []
    for cluster, (name, description) in enumerate(names):
        mask = labels == cluster
        size = int(mask.sum())
        members = features[mask]
        share_female = float(female[mask].mean()) if size else 0.0
        means = members.mean(axis=0) if size else np.zeros(4)
        stats.append(
            {
                "cluster_id": cluster,
                "cluster_name": name,
                "description": description,
                "size": size,
                "percentage": round(size / total * 100, 2) if total else 0.0,
                "avg_age": round(float(means[0]), 2),
                "avg_income": round(float(means[1]), 2),
                "avg_spending_score": round(float(means[2]), 2),
                "avg_purchase_frequency": round(float(means[3]), 2),
                "sex_ratio": {
                    "Female": round(share_female, 4),
                    "Male": round(1 - share_female, 4) if size else 0.0,
                },
            }
        )
    return stats


def train_segments(
    features: np.ndarray,
    female: np.ndarray,
    params: TrainingParams,
    progress: Progress = lambda _fraction, _stage: None,
) -> dict[str, Any]:
    """Fit StandardScaler + K-Means; returns arrays and metadata of the new model.

    Every run computes the elbow curve over k_min..k_max; the chosen k is `n_clusters`
    when given, else the best silhouette. Deterministic for a dataset and seed.
    """
    n = len(features)
    if n < max(params.k_max, params.n_clusters or 0) + 1:
        raise ValueError(
            f"Need more than {max(params.k_max, params.n_clusters or 0)} rows, got {n}"
        )
    progress(0.05, "scaling")
    scaler = StandardScaler().fit(features)
    x = scaler.transform(features)
    rng = np.random.default_rng(params.seed)
    sample = rng.choice(n, size=min(n, params.silhouette_sample_size), replace=False)
    k_range = list(range(params.k_min, params.k_max + 1))
    inertias: list[float] = []
    silhouettes: list[float] = []
    fitted: dict[int, KMeans | MiniBatchKMeans] = {}
    for i, k in enumerate(k_range):
        model = _fit(x, k, params)
        fitted[k] = model
        inertias.append(round(float(model.inertia_), 4))
        labels = model.predict(x[sample])
        score = silhouette_score(x[sample], labels) if len(set(labels)) > 1 else -1.0
        silhouettes.append(round(float(score), 4))
        progress(0.1 + 0.75 * (i + 1) / len(k_range), f"evaluating k={k}")
    optimal_k = k_range[int(np.argmax(silhouettes))]
    chosen_k = params.n_clusters or optimal_k
    progress(0.88, f"fitting final model (k={chosen_k})")
    final = fitted.get(chosen_k) or _fit(x, chosen_k, params)
    labels = final.predict(x)
    if chosen_k in fitted:
        silhouette = silhouettes[k_range.index(chosen_k)]
    else:
        silhouette = round(float(silhouette_score(x[sample], labels[sample])), 4)
    centers_original = scaler.inverse_transform(final.cluster_centers_)
    names = name_clusters(centers_original, features.mean(axis=0), features.std(axis=0))
    progress(0.95, "computing cluster statistics")
    return {
        "mean": scaler.mean_,
        "scale": scaler.scale_,
        "centers": final.cluster_centers_,
        "names": [name for name, _ in names],
        "n_clusters": chosen_k,
        "silhouette_score": silhouette,
        "inertia": round(float(final.inertia_), 4),
        "n_samples": n,
        "clusters": _cluster_stats(features, female, labels, names),
        "elbow": {
            "optimal_k": optimal_k,
            "k_range": k_range,
            "inertias": inertias,
            "silhouette_scores": silhouettes,
        },
    }
