"""The clustering features a model may use, and the checks on a requested subset."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

import numpy as np
from segshared.contracts.customer import CLUSTER_FEATURES

# Input order of the numeric customer fields: every predict call passes all four in
# this order and each model picks the columns it was trained on.
FEATURES: tuple[str, ...] = CLUSTER_FEATURES

Algorithm = Literal["kmeans", "gmm", "agglomerative"]
ALGORITHMS: tuple[Algorithm, ...] = get_args(Algorithm)


def select_features(names: Iterable[str] | None) -> tuple[str, ...]:
    """2..4 distinct known feature names in canonical order (None = all four).

    Raises ValueError naming the problem, so a service can answer 422.
    """
    if names is None:
        return FEATURES
    requested = list(names)
    unknown = sorted(set(requested) - set(FEATURES))
    if unknown:
        raise ValueError(f"Unknown features {unknown}; choose from {list(FEATURES)}")
    if len(set(requested)) != len(requested):
        raise ValueError("Features must not repeat")
    if len(requested) < 2:
        raise ValueError("Choose at least 2 features")
    return tuple(f for f in FEATURES if f in requested)


def check_algorithm(name: str) -> Algorithm:
    """`name` as an `Algorithm`, or ValueError listing the choices."""
    for algorithm in ALGORITHMS:
        if name == algorithm:
            return algorithm
    raise ValueError(f"Unknown algorithm {name!r}; choose from {list(ALGORITHMS)}")


def column_indices(features: tuple[str, ...]) -> np.ndarray:
    """Positions of `features` in the four-column input."""
    return np.array([FEATURES.index(f) for f in features], dtype=np.intp)
