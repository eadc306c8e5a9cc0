"""Customer CSV files: header mapping (incl. Mall Customers style) and vectorised validation.

Used by dataset uploads (pandas chunks) and by batch predict (pyarrow's streaming reader,
columnar), chunk by chunk, so a file of any size is read in constant memory.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from segshared.contracts.customer import CLUSTER_FEATURES, FEATURE_RANGES
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
class RowChecks:
    """One chunk after validation: features of valid rows and why the others were refused."""

    features: np.ndarray  # (n_valid, 4) float64
    valid: np.ndarray  # (n,) bool mask over the chunk's rows
    reasons: dict[int, str]  # chunk position → why the row was refused


@dataclass
class ValidatedChunk(RowChecks):
    """`RowChecks` plus the canonical sex of the valid rows (for stored datasets)."""

    sex: np.ndarray  # (n_valid,) "Male"/"Female"


def check_rows(sex_ok: np.ndarray, numbers: list[np.ndarray]) -> RowChecks:
    """Range checks over whole columns (`numbers` in CLUSTER_FEATURES order, NaN = not a number)."""
    valid = np.ones(len(sex_ok), dtype=bool)
    reasons: dict[int, str] = {}

    def refuse(mask: np.ndarray, reason: str) -> None:
        for position in np.flatnonzero(mask & valid):
            reasons.setdefault(int(position), reason)
        valid[mask] = False

    refuse(~sex_ok, "sex must be Male or Female")
    columns = []
    for name, values in zip(CLUSTER_FEATURES, numbers, strict=True):
        low, high, whole = FEATURE_RANGES[name]
        finite_mask = np.isfinite(values)
        refuse(~finite_mask, f"{name} must be a number")
        finite = np.where(finite_mask, values, low)
        refuse((finite < low) | (finite > high), f"{name} must be between {low} and {high}")
        if whole:
            refuse(finite != np.round(finite), f"{name} must be a whole number")
        columns.append(finite)
    return RowChecks(features=np.column_stack(columns)[valid], valid=valid, reasons=reasons)


def validate_chunk(
    chunk: pd.DataFrame, mapping: dict[str, str], fill_purchase_frequency: int | None
) -> ValidatedChunk:
    """Check every row of a string-typed pandas chunk against the customer input ranges."""
    n = len(chunk)
    sex = chunk[mapping["sex"]].astype(str).str.strip().str.capitalize().to_numpy()
    numbers = [
        np.full(n, float(fill_purchase_frequency or 0))
        if name not in mapping
        else pd.to_numeric(chunk[mapping[name]], errors="coerce").to_numpy(dtype=float)
        for name in CLUSTER_FEATURES
    ]
    checks = check_rows(np.isin(sex, ["Male", "Female"]), numbers)
    return ValidatedChunk(checks.features, checks.valid, checks.reasons, sex=sex[checks.valid])


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


# The widest line accepted; also the reader's block size (~13k customer rows per block):
# each concurrent batch holds a few blocks' worth of arrays, so this bounds its memory.
MAX_LINE_BYTES = 256 * 1024
# pyarrow's default pool (mimalloc) keeps freed blocks per thread: ~60 MB more peak RSS
# per concurrent batch than the system allocator, which hands them back (measured).
pa.set_memory_pool(pa.system_memory_pool())


@dataclass
class ArrowCsv:
    """A customer CSV opened for columnar streaming: every column read as text, as written."""

    header: list[str]
    mapping: dict[str, int]  # canonical name → column position (first one wins)
    batches: Iterator[pa.RecordBatch]


def unreadable(rows_before: int) -> Unprocessable:
    """The 422 for a line the reader cannot take, near the data row it stopped at."""
    return Unprocessable(
        f"The file is not a readable CSV at or after data row {rows_before}: a line longer than "
        f"{MAX_LINE_BYTES} bytes, an unterminated quote, or a different number of fields "
        "than the header"
    )


def _read_header(source: IO[bytes]) -> list[str]:
    line = source.readline(MAX_LINE_BYTES + 1)
    if len(line) > MAX_LINE_BYTES:
        raise Unprocessable(f"The header line is longer than {MAX_LINE_BYTES} bytes")
    try:
        text = line.decode("utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        raise Unprocessable("The file is not UTF-8 text") from exc
    if not text:
        raise Unprocessable("The file is empty")
    return next(csv.reader([text], skipinitialspace=True))


def open_arrow_csv(source: IO[bytes], fill_purchase_frequency: int | None) -> ArrowCsv:
    """The header, column mapping and record batches of a customer CSV; 422 when unusable."""
    header = _read_header(source)
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        canonical = canonical_name(name)
        if canonical is not None and canonical not in positions:
            positions[canonical] = position
    missing = missing_columns({k: header[v] for k, v in positions.items()}, fill_purchase_frequency)
    if missing:
        hint = " (or pass ?fill_purchase_frequency=N)" if missing == ["purchase_frequency"] else ""
        raise Unprocessable(f"Missing required column: {', '.join(missing)}{hint}")
    # Positional names: the header may repeat a name; the caller keeps the original header.
    names = [f"c{i}" for i in range(len(header))]
    try:
        reader = pa_csv.open_csv(
            source,
            read_options=pa_csv.ReadOptions(
                column_names=names, block_size=MAX_LINE_BYTES, use_threads=False
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise unreadable(0) from exc
    return ArrowCsv(header=header, mapping=positions, batches=iter(reader))


def _numbers(column: pa.Array) -> np.ndarray:
    """A text column as float64 (NaN where it is not a number), vectorised."""
    try:
        return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # spaces, or some cell is not a number: the forgiving parse
        text = pd.Series(pc.utf8_trim_whitespace(column).to_numpy(zero_copy_only=False))
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)


_SEXES = pa.array(["Male", "Female"])


def validate_batch(
    batch: pa.RecordBatch, mapping: dict[str, int], fill_purchase_frequency: int | None
) -> RowChecks:
    """Check every row of an arrow batch against the customer input ranges, column-wise."""
    sex = pc.utf8_capitalize(pc.utf8_trim_whitespace(batch.column(mapping["sex"])))
    sex_ok = pc.is_in(sex, value_set=_SEXES).to_numpy(zero_copy_only=False)
    numbers = [
        np.full(batch.num_rows, float(fill_purchase_frequency or 0))
        if name not in mapping
        else _numbers(batch.column(mapping[name]))
        for name in CLUSTER_FEATURES
    ]
    return check_rows(sex_ok, numbers)
