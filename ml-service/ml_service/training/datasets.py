"""Datasets: uploads validated row by row (vectorised per chunk) into a canonical CSV
file, their per-user quota, and deletion (row and file)."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from segshared.contracts.customer import CLUSTER_FEATURES
from segshared.db import after_commit
from segshared.errors import Conflict, InvalidField, NotFound, PayloadTooLarge, Unprocessable
from segshared.params import storable_text
from segshared.tokens import Claims
from sqlalchemy.ext.asyncio import AsyncSession

from ml_service import repository
from ml_service.engine.generator import COLUMNS, generate_customers
from ml_service.serving.csv_input import open_customer_csv, validate_chunk
from ml_service.settings import MlSettings
from ml_service.tables import Dataset

MAX_EXAMPLES = 10


@dataclass
class StoredDataset:
    """What an upload produced on disk."""

    path: Path
    rows: int
    rejected_rows: int
    rejected_examples: list[dict[str, Any]] = field(default_factory=list)
    checksum: str = ""


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def store_upload(
    source: IO[bytes], directory: Path, chunk_rows: int, fill_purchase_frequency: int | None
) -> StoredDataset:
    """Validate an uploaded CSV chunk by chunk and keep its valid rows (blocking: run in a thread)."""
    mapping, chunks = open_customer_csv(source, chunk_rows, fill_purchase_frequency)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{uuid.uuid4().hex}.csv"
    stored = StoredDataset(path=target, rows=0, rejected_rows=0)
    offset = 0
    try:
        with target.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            for chunk in chunks:
                checked = validate_chunk(chunk, mapping, fill_purchase_frequency)
                ids = (
                    chunk[mapping["customer_id"]].to_numpy()[checked.valid]
                    if "customer_id" in mapping
                    else np.arange(stored.rows + 1, stored.rows + 1 + len(checked.sex))
                )
                for customer_id, sex, values in zip(
                    ids, checked.sex, checked.features, strict=True
                ):
                    writer.writerow(
                        [
                            customer_id,
                            sex,
                            int(values[0]),
                            values[1],
                            int(values[2]),
                            int(values[3]),
                        ]
                    )
                stored.rows += len(checked.sex)
                stored.rejected_rows += len(checked.reasons)
                for position, reason in sorted(checked.reasons.items()):
                    if len(stored.rejected_examples) < MAX_EXAMPLES:
                        stored.rejected_examples.append(
                            {"row": offset + position, "reason": reason}
                        )
                offset += len(chunk)
        if stored.rows == 0:
            raise Unprocessable("No valid rows in the file")
        stored.checksum = _checksum(target)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        target.unlink(missing_ok=True)
        raise Unprocessable(f"The file is not a readable CSV near data row {offset}") from exc
    except BaseException:  # any failure (a bad file, a full disk, a cancelled upload)
        target.unlink(missing_ok=True)
        raise
    return stored


def refuse_oversized_upload(size: int | None, limit: int) -> None:
    """413 for an upload (declared or spooled size) larger than `limit` bytes."""
    if size is not None and size > limit:
        raise PayloadTooLarge(f"Dataset uploads are limited to {limit} bytes")


async def check_quota(session: AsyncSession, owner_id: int, quota: int) -> None:
    """409 before any work when `owner_id` already has `quota` datasets."""
    if await repository.count_datasets(session, owner_id) >= quota:
        raise _quota_reached(quota)


def _quota_reached(quota: int) -> Conflict:
    return Conflict(f"Dataset quota reached ({quota} per user); delete a dataset first")


async def record_upload(
    session: AsyncSession, stored: StoredDataset, name: str, owner_id: int, quota: int
) -> Dataset:
    """Insert the stored upload's row under the owner's quota lock. The file is removed
    when the quota filled up meanwhile or the insert fails: no file without its row."""
    try:
        if await repository.count_datasets_locked(session, owner_id) >= quota:
            raise _quota_reached(quota)
        dataset = Dataset(
            name=name[:255],
            owner_id=owner_id,
            rows=stored.rows,
            rejected_rows=stored.rejected_rows,
            columns=list(COLUMNS),
            rejected_examples=stored.rejected_examples,
            checksum=stored.checksum,
            path=str(stored.path),
        )
        await repository.add_dataset(session, dataset)
    except BaseException:
        stored.path.unlink(missing_ok=True)
        raise
    return dataset


async def delete_dataset(
    session: AsyncSession, claims: Claims, dataset_id: int, directory: Path
) -> None:
    """Delete a dataset's row and file: its owner or an admin (others: 404, as if absent).

    The file goes once the row's delete has committed, so a failed commit keeps both.
    """
    dataset = await repository.get_dataset(session, dataset_id)
    if dataset is None or (dataset.owner_id != claims.user_id and not claims.has_role("admin")):
        raise NotFound("Dataset not found")
    path = Path(dataset.path)
    await repository.delete_dataset(session, dataset)

    async def remove_file() -> None:
        await asyncio.to_thread(_remove_dataset_file, path, directory)

    after_commit(session, remove_file)


def _remove_dataset_file(path: Path, directory: Path) -> None:
    if path.parent.resolve() == directory.resolve():  # only ever files of the dataset dir
        path.unlink(missing_ok=True)


async def create_dataset(
    session: AsyncSession,
    settings: MlSettings,
    source: IO[bytes],
    name: str,
    owner_id: int,
    fill_purchase_frequency: int | None,
) -> Dataset:
    """Validate and store an uploaded CSV, and record it as `name` within the owner's
    dataset quota (422s say what is wrong; no file survives a failed insert)."""
    try:
        storable_text(name)
    except ValueError as exc:
        raise InvalidField("name", str(exc)) from exc
    stored = await asyncio.to_thread(
        store_upload, source, settings.dataset_dir, settings.csv_chunk_rows, fill_purchase_frequency
    )
    return await record_upload(session, stored, name, owner_id, settings.dataset_quota_per_user)


def ensure_default_dataset(directory: Path, rows: int, seed: int) -> Path:
    """The generated default dataset, created on first use (blocking).

    Replicas may generate it at the same time: each writes its own temp file and renames
    it into place, so the path only ever shows a complete file (the content is the same).
    """
    path = directory / f"default-{rows}-{seed}.csv"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            generate_customers(rows, seed).to_csv(tmp, index=False)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
    return path


def load_training_arrays(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(features (n, 4), is_female (n,)) of a canonical dataset file (blocking)."""
    frame = pd.read_csv(path, usecols=["sex", *CLUSTER_FEATURES])
    features = frame[list(CLUSTER_FEATURES)].to_numpy(dtype=np.float64)
    return features, (frame["sex"] == "Female").to_numpy()
