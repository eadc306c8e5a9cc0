"""Names for clusters from their centroids relative to the data.

Rule: each archetype scores a centroid by a sum of its features' z-scores (centroid
minus data mean, over data std). Pairs are assigned greedily, best score first, so
every name is used once per model; clusters left over are "Mixed Segment N".
A model trained on a subset of the features drops the weights of the others, and an
archetype left with no weight at all (e.g. "Loyal Customers" without
purchase_frequency) is not offered.
"""

from __future__ import annotations

import numpy as np

from ml_service.engine.features import FEATURES, column_indices

# name, description, weights on z(age), z(income), z(spending), z(frequency)
ARCHETYPES: tuple[tuple[str, str, tuple[float, float, float, float]], ...] = (
    ("High Value Customers", "High income and high spending", (0, 1, 1, 0)),
    ("Potential Growth", "High income but low spending", (0, 1, -1, 0)),
    ("Budget Conscious", "Lower income and careful spending", (0, -1, -1, 0)),
    ("Young Enthusiasts", "Younger customers who spend freely", (-1, 0, 1, 0)),
    ("Loyal Customers", "Buy far more often than most", (0, 0, 0, 1.5)),
    ("Occasional Buyers", "Buy rarely", (0, 0, 0, -1.5)),
    ("Impulsive Spenders", "Spend more than their income suggests", (0, -1, 1, 0)),
    ("Mature Savers", "Older customers who spend little", (1, 0, -1, 0)),
    ("Standard Customers", "Close to the average customer", (0, 0, 0, 0)),
)


def name_clusters(
    centers: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray,
    features: tuple[str, ...] = FEATURES,
) -> list[tuple[str, str]]:
    """A unique `(name, description)` for each centroid (input units, columns `features`)."""
    z = (centers - mean) / np.where(std > 0, std, 1.0)
    weights = np.array([a[2] for a in ARCHETYPES])[:, column_indices(features)]
    scores = z @ weights.T
    # "Standard" fits centroids near the mean: score it by closeness instead.
    scores[:, -1] = 1.0 - np.linalg.norm(z, axis=1)
    names: list[tuple[str, str] | None] = [None] * len(centers)
    free_clusters = set(range(len(centers)))
    free_names = {i for i in range(len(ARCHETYPES) - 1) if weights[i].any()}
    free_names.add(len(ARCHETYPES) - 1)
    for flat in np.argsort(-scores, axis=None):
        cluster, archetype = divmod(int(flat), len(ARCHETYPES))
        if cluster in free_clusters and archetype in free_names:
            names[cluster] = ARCHETYPES[archetype][:2]
            free_clusters.discard(cluster)
            free_names.discard(archetype)
            if not free_clusters:
                break
    extra = 1
    for cluster in sorted(free_clusters):
        names[cluster] = (f"Mixed Segment {extra}", "No single trait stands out")
        extra += 1
    return [n for n in names if n is not None]
