"""Customer CSV files: header mapping (incl. Mall Customers style) and vectorised validation.

Used by dataset uploads and by batch predict, chunk by chunk, so a file of any size is
read in constant memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np
import pandas as pd
from segshared.customer import CLUSTER_FEATURES
from segshared.errors import Unprocessable

# Header spellings, compared after lower-casing and dropping everything but [a-z0-9].
_ALIASES = {
    "customerid": "customer_id",
    "id": "customer_id",
    "sex": "sex",
    "gender": "sex",
    "genre": "sex",
    "age": "age",
    "annualincome": "annual_income",
    "annualincomek": "annual_income",
    "income": "annual_income",
    "spendingscore": "spending_score",
    "spendingscore1100": "spending_score",
    "purchasefrequency": "purchase_frequency",
    "purchasesperyear": "purchase_frequency",
}
REQUIRED = ("sex", *CLUSTER_FEATURES)
# (minimum, maximum, whole numbers only) per clustering feature, as in the API input.
_RANGES = {
    "age": (18, 100, True),
    "annual_income": (0, 10_000, False),
    "spending_score": (1, 100, True),
    "purchase_frequency": (0, 365, True),
}


def canonical_name(header: str) -> str | None:
    """The canonical column a header stands for, or None when it is not a customer field."""
    return _ALIASES.get(re.sub(r"[^a-z0-9]", "", header.lower()))


def column_mapping(headers: list[str]) -> dict[str, str]:
    """`{canonical: original header}` for the recognised columns (first one wins)."""
    mapping: dict[str, str] = {}
    for header in headers:
        name = canonical_name(header)
        if name is not None and name not in mapping:
            mapping[name] = header
    return mapping


def missing_columns(mapping: dict[str, str], fill_purchase_frequency: int | None) -> list[str]:
    """Required canonical columns absent from the file (and not filled in)."""
    missing = [c for c in REQUIRED if c not in mapping]
    if fill_purchase_frequency is not None and "purchase_frequency" in missing:
        missing.remove("purchase_frequency")
    return missing


@dataclass
class ValidatedChunk:
    """One chunk after validation: canonical values of valid rows and the reasons of others."""

    features: np.ndarray  # (n_valid, 4) float64
    sex: np.ndarray  # (n_valid,) "Male"/"Female"
    valid: np.ndarray  # (n,) bool mask over the chunk's rows
    reasons: dict[int, str]  # chunk position → why the row was refused


def validate_chunk(
    chunk: pd.DataFrame, mapping: dict[str, str], fill_purchase_frequency: int | None
) -> ValidatedChunk:
    """Check every row against the customer input ranges, all at once."""
    n = len(chunk)
    valid = np.ones(n, dtype=bool)
    reasons: dict[int, str] = {}

    def refuse(mask: np.ndarray, reason: str) -> None:
        for position in np.flatnonzero(mask & valid):
            reasons.setdefault(int(position), reason)
        valid[mask] = False

    sex = chunk[mapping["sex"]].astype(str).str.strip().str.capitalize().to_numpy()
    refuse(~np.isin(sex, ["Male", "Female"]), "sex must be Male or Female")
    columns = []
    for name in CLUSTER_FEATURES:
        if name == "purchase_frequency" and name not in mapping:
            values = np.full(n, float(fill_purchase_frequency or 0))
        else:
            values = pd.to_numeric(chunk[mapping[name]], errors="coerce").to_numpy(dtype=float)
        low, high, whole = _RANGES[name]
        refuse(~np.isfinite(values), f"{name} must be a number")
        finite = np.where(np.isfinite(values), values, low)
        refuse((finite < low) | (finite > high), f"{name} must be between {low} and {high}")
        if whole:
            refuse(finite != np.round(finite), f"{name} must be a whole number")
        columns.append(finite)
    features = np.column_stack(columns)[valid]
    return ValidatedChunk(features=features, sex=sex[valid], valid=valid, reasons=reasons)


def read_chunks(handle: IO[bytes], rows: int) -> tuple[list[str], Iterator[pd.DataFrame]]:
    """The header and an iterator of string-typed chunks of `rows` rows."""
    try:
        reader = pd.read_csv(
            handle, dtype=str, keep_default_na=False, chunksize=rows, skipinitialspace=True
        )
    except pd.errors.EmptyDataError:
        return [], iter(())
    first = next(reader, None)
    if first is None:
        return [], iter(())
    header = [str(c) for c in first.columns]

    def chunks() -> Iterator[pd.DataFrame]:
        yield first
        yield from reader

    return header, chunks()


def open_customer_csv(
    source: IO[bytes], chunk_rows: int, fill_purchase_frequency: int | None
) -> tuple[dict[str, str], Iterator[pd.DataFrame]]:
    """The column mapping and chunks of a customer CSV; 422 when unreadable or incomplete."""
    try:
        header, chunks = read_chunks(source, chunk_rows)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise Unprocessable("The file is not a readable CSV") from exc
    if not header:
        raise Unprocessable("The file is empty")
    mapping = column_mapping(header)
    missing = missing_columns(mapping, fill_purchase_frequency)
    if missing:
        hint = " (or pass ?fill_purchase_frequency=N)" if missing == ["purchase_frequency"] else ""
        raise Unprocessable(f"Missing required column: {', '.join(missing)}{hint}")
    return mapping, chunks
