"""Synthetic customers with latent segments, deterministic for a seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
from segshared.contracts.customer import FEATURE_RANGES

COLUMNS = ("customer_id", "sex", "age", "annual_income", "spending_score", "purchase_frequency")

# (share, age mean/sd, income mean/sd [k/yr], spending mean/sd, purchases/yr mean/sd)
_SEGMENTS = (
    (0.20, 38, 8, 95, 18, 80, 8, 40, 10),   # affluent, spend a lot
    (0.18, 45, 10, 90, 15, 20, 8, 8, 4),    # affluent, spend little
    (0.22, 50, 12, 30, 10, 25, 10, 6, 3),   # modest income, careful
    (0.20, 24, 4, 35, 12, 78, 10, 30, 8),   # young, enthusiastic
    (0.20, 40, 10, 60, 12, 50, 10, 95, 20), # frequent, loyal
)  # fmt: skip


def _bounds(feature: str) -> tuple[int, int]:
    low, high, _ = FEATURE_RANGES[feature]
    return low, high


def generate_customers(rows: int = 5_000, seed: int = 42) -> pd.DataFrame:
    """`rows` customers drawn from five latent segments, clipped to the input ranges."""
    rng = np.random.default_rng(seed)
    shares = np.array([s[0] for s in _SEGMENTS])
    segment = rng.choice(len(_SEGMENTS), size=rows, p=shares / shares.sum())
    params = np.array([s[1:] for s in _SEGMENTS], dtype=float)[segment]
    age = rng.normal(params[:, 0], params[:, 1]).round().clip(*_bounds("age"))
    income = rng.normal(params[:, 2], params[:, 3]).clip(*_bounds("annual_income")).round(1)
    spending = rng.normal(params[:, 4], params[:, 5]).round().clip(*_bounds("spending_score"))
    frequency = rng.normal(params[:, 6], params[:, 7]).round().clip(*_bounds("purchase_frequency"))
    sex = np.where(rng.random(rows) < 0.52, "Female", "Male")
    return pd.DataFrame(
        {
            "customer_id": np.arange(1, rows + 1),
            "sex": sex,
            "age": age.astype(int),
            "annual_income": income,
            "spending_score": spending.astype(int),
            "purchase_frequency": frequency.astype(int),
        }
    )
