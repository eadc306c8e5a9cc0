"""Batch predictions: JSON items or a CSV file of any size, vectorised chunk by chunk."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pandas as pd
from pydantic import ValidationError
from segshared.customer import CUSTOMER_FIELDS, CustomerInput
from segshared.errors import Unprocessable

from ml_service.engine.predictor import SegmentModel
from ml_service.serving.csv_input import open_customer_csv, validate_chunk

OUTPUT_COLUMNS = ("cluster", "cluster_name", "confidence")


@dataclass
class BatchOutcome:
    """Per-row results (when kept), per-row errors, and the counts for history."""

    results: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    cluster_counts: Counter[str] = field(default_factory=Counter)
    rows: int = 0

    @property
    def predicted(self) -> int:
        return sum(self.cluster_counts.values())


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in error.errors()
    )


def predict_items(
    model: SegmentModel, items: list[Any]
) -> tuple[BatchOutcome, np.ndarray, list[int]]:
    """Validate JSON items one by one (bad rows become errors) and predict the rest at once."""
    outcome = BatchOutcome(rows=len(items))
    valid_rows: list[int] = []
    features: list[tuple[float, float, float, float]] = []
    for row, item in enumerate(items):
        try:
            customer = CustomerInput.model_validate(item)
        except ValidationError as exc:
            outcome.errors.append({"row": row, "detail": _describe(exc)})
            continue
        valid_rows.append(row)
        features.append(
            (
                customer.age,
                customer.annual_income,
                customer.spending_score,
                customer.purchase_frequency,
            )
        )
    labels = np.empty(0, dtype=int)
    if features:
        labels, confidences = model.predict_many(np.array(features))
        for row, label, conf in zip(valid_rows, labels.tolist(), confidences.tolist(), strict=True):
            outcome.results.append(
                {
                    "row": row,
                    "cluster": label,
                    "cluster_name": model.names[label],
                    "confidence": conf,
                }
            )
            outcome.cluster_counts[model.names[label]] += 1
    return outcome, labels, valid_rows


def items_as_csv(items: list[Any], outcome: BatchOutcome, out: IO[str]) -> None:
    """JSON items written as CSV with the three prediction columns appended."""
    by_row = {r["row"]: r for r in outcome.results}
    writer = csv.writer(out)
    writer.writerow([*CUSTOMER_FIELDS, *OUTPUT_COLUMNS])
    for row, item in enumerate(items):
        values = [item.get(f, "") if isinstance(item, dict) else "" for f in CUSTOMER_FIELDS]
        result = by_row.get(row)
        extra = [result[c] for c in OUTPUT_COLUMNS] if result else ["", "", ""]
        writer.writerow([*values, *extra])


def predict_csv(
    model: SegmentModel,
    source: IO[bytes],
    chunk_rows: int,
    csv_out: IO[str] | None,
    fill_purchase_frequency: int | None = None,
) -> BatchOutcome:
    """Predict every row of a CSV (blocking: run in a thread).

    With `csv_out`, the input columns are written back in order with the prediction
    columns appended (empty for refused rows); otherwise per-row results are kept.
    """
    mapping, chunks = open_customer_csv(source, chunk_rows, fill_purchase_frequency)
    outcome = BatchOutcome()
    first = True
    try:
        for chunk in chunks:
            checked = validate_chunk(chunk, mapping, fill_purchase_frequency)
            offset = outcome.rows
            outcome.rows += len(chunk)
            labels, confidences = (
                model.predict_many(checked.features)
                if len(checked.features)
                else (np.empty(0, dtype=int), np.empty(0))
            )
            names = np.asarray(model.names, dtype=object)[labels]
            outcome.cluster_counts.update(Counter(names.tolist()))
            outcome.errors.extend(
                {"row": offset + position, "detail": reason}
                for position, reason in sorted(checked.reasons.items())
            )
            positions = np.flatnonzero(checked.valid)
            if csv_out is None:
                outcome.results.extend(
                    {
                        "row": offset + int(p),
                        "cluster": int(c),
                        "cluster_name": n,
                        "confidence": float(f),
                    }
                    for p, c, n, f in zip(positions, labels, names, confidences, strict=True)
                )
                continue
            cluster_col = np.full(len(chunk), "", dtype=object)
            name_col = np.full(len(chunk), "", dtype=object)
            conf_col = np.full(len(chunk), "", dtype=object)
            cluster_col[positions] = labels
            name_col[positions] = names
            conf_col[positions] = confidences
            chunk = chunk.assign(cluster=cluster_col, cluster_name=name_col, confidence=conf_col)
            chunk.to_csv(csv_out, header=first, index=False)
            first = False
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise Unprocessable(f"The file is not a readable CSV near data row {outcome.rows}") from exc
    return outcome
