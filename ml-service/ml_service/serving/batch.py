"""Batch predictions: JSON items, or a CSV file of any size streamed block by block.

A CSV is read with pyarrow's streaming reader (columns stay text, so the answer repeats
them exactly), validated and predicted column-wise, and written with pyarrow's CSV writer
one block at a time: memory depends on the block size, not on the number of rows.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from pydantic import ValidationError
from segshared.contracts.customer import CUSTOMER_FIELDS, CustomerInput

from ml_service.engine.predictor import SegmentModel
from ml_service.serving.csv_input import RowChecks, open_arrow_csv, unreadable, validate_batch
from ml_service.serving.drift_monitor import DriftCounts, counts_of

OUTPUT_COLUMNS = ("cluster", "cluster_name", "confidence")


@dataclass
class BatchOutcome:
    """Per-row results (JSON items only), per-row errors (capped for CSV), counts for history."""

    results: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    cluster_counts: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    drift: DriftCounts | None = None

    def count_drift(self, model: SegmentModel, rows: np.ndarray, confidences: np.ndarray) -> None:
        """Add predicted rows to the drift histogram increments."""
        counts = counts_of(model, rows, confidences)
        if counts is None:
            return
        if self.drift is None:
            self.drift = counts
        else:
            self.drift = DriftCounts(
                counts.version,
                self.drift.counts + counts.counts,
                self.drift.low_confidence + counts.low_confidence,
                self.drift.n + counts.n,
            )

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
        rows = np.array(features)
        labels, confidences = model.predict_many(rows)
        outcome.count_drift(model, rows, confidences)
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


def answer_file() -> IO[bytes]:
    """A batch answer's temporary file. It has no name on disk (unlinked at birth), so an
    error, a client that never reads the answer or a crash can't leave it behind."""
    return tempfile.TemporaryFile()


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


class _CsvSink:
    """Input columns as read (text), then cluster, cluster_name and confidence."""

    def __init__(self, out: IO[bytes], header: list[str]) -> None:
        self.out = out
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerow([*header, *OUTPUT_COLUMNS])
        out.write(text.getvalue().encode())
        self.names = [f"c{i}" for i in range(len(header))] + list(OUTPUT_COLUMNS)

    def write(
        self,
        batch: pa.RecordBatch,
        model: SegmentModel,
        checked: RowChecks,
        labels: np.ndarray,
        confidences: np.ndarray,
        offset: int,
    ) -> None:
        refused = ~checked.valid
        full_labels = np.zeros(batch.num_rows, dtype=np.int64)
        full_conf = np.zeros(batch.num_rows)
        full_labels[checked.valid] = labels
        full_conf[checked.valid] = confidences
        cluster = pa.array(full_labels, mask=refused)
        table = pa.RecordBatch.from_arrays(
            [
                *batch.columns,
                cluster,
                pc.take(pa.array(model.names), cluster),
                pa.array(full_conf, mask=refused),
            ],
            names=self.names,
        )
        try:  # unquoted, like the usual input; quoted only when a value needs it
            pa_csv.write_csv(table, self.out, _PLAIN)
        except pa.ArrowInvalid:
            pa_csv.write_csv(table, self.out, _QUOTED)

    def close(self, outcome: BatchOutcome) -> None:
        """Nothing to add: refused rows already have empty prediction columns."""


class _JsonSink:
    """`{model_version, results, errors}` written as it goes; errors kept up to a cap."""

    def __init__(self, out: IO[bytes], version: str) -> None:
        self.out = out
        self.first = True
        out.write(b'{"model_version":' + orjson.dumps(version) + b',"results":[')

    def write(
        self,
        batch: pa.RecordBatch,
        model: SegmentModel,
        checked: RowChecks,
        labels: np.ndarray,
        confidences: np.ndarray,
        offset: int,
    ) -> None:
        if not len(labels):
            return
        rows = (np.flatnonzero(checked.valid) + offset).tolist()
        names = [model.names[label] for label in labels.tolist()]
        items = [
            {"row": r, "cluster": c, "cluster_name": n, "confidence": f}
            for r, c, n, f in zip(rows, labels.tolist(), names, confidences.tolist(), strict=True)
        ]
        body = orjson.dumps(items)[1:-1]
        self.out.write(body if self.first else b"," + body)
        self.first = False

    def close(self, outcome: BatchOutcome) -> None:
        self.out.write(b'],"errors":' + orjson.dumps(outcome.errors) + b"}")


_PLAIN = pa_csv.WriteOptions(include_header=False, quoting_style="none")
_QUOTED = pa_csv.WriteOptions(include_header=False, quoting_style="needed")


def predict_csv(
    model: SegmentModel,
    source: IO[bytes],
    out: IO[bytes],
    as_csv: bool,
    max_errors: int,
    fill_purchase_frequency: int | None = None,
) -> BatchOutcome:
    """Predict every row of a CSV block by block, writing the answer to `out` as it goes.

    With `as_csv` the answer is the input columns in order with the prediction columns
    appended (empty for refused rows); otherwise the JSON answer, whose `errors` keeps
    the first `max_errors` refused rows.
    Blocking: run in a thread. Memory is bounded by one block, whatever the row count.
    """
    source_csv = open_arrow_csv(source, fill_purchase_frequency)
    sink = _CsvSink(out, source_csv.header) if as_csv else _JsonSink(out, model.version)
    outcome = BatchOutcome()
    while True:
        try:
            batch = next(source_csv.batches, None)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise unreadable(outcome.rows) from exc
        if batch is None:
            break
        checked = validate_batch(batch, source_csv.mapping, fill_purchase_frequency)
        offset = outcome.rows
        outcome.rows += batch.num_rows
        labels, confidences = (
            model.predict_many(checked.features)
            if len(checked.features)
            else (np.empty(0, dtype=int), np.empty(0))
        )
        if len(checked.features):
            outcome.count_drift(model, checked.features, confidences)
        counts = np.bincount(labels, minlength=len(model.names))
        outcome.cluster_counts.update(
            {model.names[i]: int(c) for i, c in enumerate(counts.tolist()) if c}
        )
        room = max_errors - len(outcome.errors)
        outcome.errors.extend(
            {"row": offset + position, "detail": reason}
            for position, reason in sorted(checked.reasons.items())[: max(room, 0)]
        )
        sink.write(batch, model, checked, labels, confidences, offset)
    sink.close(outcome)
    return outcome
