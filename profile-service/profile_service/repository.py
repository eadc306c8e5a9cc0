"""Every query of the profile-service, nothing else."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from segshared.contracts.customer import CUSTOMER_FIELDS
from segshared.contracts.events import HISTORY_FIELDS, HistoryEvent
from sqlalchemy import (
    BindParameter,
    CursorResult,
    DateTime,
    Dialect,
    Integer,
    Select,
    Text,
    bindparam,
    delete,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import col

from profile_service.filters import FilterShape, HistoryFilter
from profile_service.tables import CustomerProfile, PredictionHistory


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def get_profile(
    session: AsyncSession, user_id: int, profile_id: int
) -> CustomerProfile | None:
    """The profile if it exists and belongs to `user_id`."""
    profile = await session.get(CustomerProfile, profile_id)
    return profile if profile is not None and profile.user_id == user_id else None


async def list_profiles(
    session: AsyncSession, user_id: int, skip: int, limit: int, q: str | None
) -> tuple[list[CustomerProfile], int]:
    """A page of the user's profiles, newest first, and the total before paging."""
    filters: list[Any] = [col(CustomerProfile.user_id) == user_id]
    if q:
        pattern = f"%{_escape_like(q)}%"
        filters.append(
            or_(col(CustomerProfile.name).ilike(pattern), col(CustomerProfile.notes).ilike(pattern))
        )
    total = (await session.execute(select(func.count()).where(*filters))).scalar_one()
    rows = await session.execute(
        select(CustomerProfile)
        .where(*filters)
        .order_by(col(CustomerProfile.created_at).desc(), col(CustomerProfile.id).desc())
        .offset(skip)
        .limit(limit)
    )
    return list(rows.scalars().all()), int(total)


_H = PredictionHistory
_TIMESTAMP = DateTime(timezone=True)


def _history_query(shape: FilterShape, *columns: Any) -> Select[Any]:
    """The user's rows matching a filter of this shape; parameters `user_id` and the
    set filters' names (HistoryFilter.params)."""
    query = select(*columns).where(col(_H.user_id) == bindparam("user_id"))
    if shape.cluster:
        query = query.where(col(_H.cluster) == bindparam("cluster"))
    if shape.created_from:
        query = query.where(col(_H.created_at) >= bindparam("created_from"))
    if shape.created_before:
        before = bindparam("created_before", type_=_TIMESTAMP)
        column = col(_H.created_at)
        query = query.where(column <= before if shape.before_inclusive else column < before)
    if shape.min_confidence:
        query = query.where(col(_H.confidence) >= bindparam("min_confidence"))
    return query


_NEWEST_FIRST = (col(_H.created_at).desc(), col(_H.id).desc())


def _count(name: str) -> BindParameter[int]:
    return bindparam(name, type_=Integer)


# A listed entry: HistoryEntry's fields, named as in its JSON. PostgreSQL turns the page
# into one JSON text value, so no row becomes a Python object (decoding, validating and
# re-encoding 100 entries cost more than the rest of the request).
_ENTRY_COLUMNS: tuple[Any, ...] = (
    _H.id,
    _H.customer_data,
    _H.cluster,
    _H.cluster_name,
    _H.confidence,
    _H.model_version,
    _H.profile_id,
    func.to_char(func.timezone("UTC", _H.created_at), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"').label(
        "created_at"
    ),
)


@functools.cache
def _page_statement(shape: FilterShape) -> Select[Any]:
    """(matches counted up to `count_limit`, the page as a JSON array): one statement per
    shape, built once, so neither building it nor its cache key costs a request."""
    matches = _history_query(shape, _H.id).limit(_count("count_limit")).subquery()
    page = (
        _history_query(shape, *_ENTRY_COLUMNS)
        .order_by(*_NEWEST_FIRST)
        .offset(_count("skip"))
        .limit(_count("limit"))
        .subquery("entry")
    )
    # json_agg of whole rows: compact objects keyed by the column names. The fixed-width
    # UTC timestamp text sorts like the timestamp (byte order, "C").
    newest_first = aggregate_order_by(
        page.table_valued(), page.c.created_at.collate("C").desc(), page.c.id.desc()
    )
    entries = select(
        func.coalesce(func.json_agg(newest_first), literal_column("'[]'::json")).cast(Text)
    ).scalar_subquery()
    return select(select(func.count()).select_from(matches).scalar_subquery(), entries)


@dataclass(frozen=True)
class HistoryJsonPage:
    """A page of history entries as a JSON array, and how many rows match (up to a bound)."""

    entries: bytes
    counted: int


async def list_history(
    connection: AsyncConnection,
    user_id: int,
    flt: HistoryFilter,
    skip: int,
    limit: int,
    count_limit: int,
) -> HistoryJsonPage:
    """A page of the user's history (a JSON array of HistoryEntry), newest first, and how
    many rows match, counted up to `count_limit`: one statement, one round trip.

    Both read indexes only (see tables.py): the page the per-user index that carries every
    listed column, the count the narrow (user, cluster) one, so rows the filters reject
    and the table's pages are never read.
    """
    params = {"user_id": user_id, "skip": skip, "limit": limit, "count_limit": count_limit}
    result = await connection.execute(_page_statement(flt.shape), params | flt.params())
    counted, entries = result.one()
    return HistoryJsonPage(entries=entries.encode(), counted=int(counted))


# An export row, as CSV by COPY: PostgreSQL formats every field (created_at as ISO 8601
# UTC, the customer fields read out of the JSON), so Python only moves bytes.
EXPORT_COLUMNS = (
    "id",
    "created_at",
    "cluster",
    "cluster_name",
    "confidence",
    "model_version",
    "profile_id",
    *CUSTOMER_FIELDS,
    "batch_size",
)
_EXPORT_SELECT: tuple[Any, ...] = (
    _H.id,
    func.to_char(func.timezone("UTC", _H.created_at), 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
    _H.cluster,
    _H.cluster_name,
    _H.confidence,
    _H.model_version,
    _H.profile_id,
    *(_H.customer_data[name].astext for name in EXPORT_COLUMNS[7:]),
)


@functools.cache
def _export_statement(shape: FilterShape, after: bool, dialect: Dialect) -> SQLCompiler:
    """A page of export rows (`page_size`), after the keyset cursor (`after_created`,
    `after_id`) when `after`, compiled once per shape."""
    query = _history_query(shape, *_EXPORT_SELECT)
    if after:
        created = bindparam("after_created", type_=_TIMESTAMP)
        # `created_at <= created` bounds the index scan (it starts at the cursor); the OR
        # alone was only a filter, so page k re-read every row of pages 1..k.
        query = query.where(
            col(_H.created_at) <= created,
            or_(col(_H.created_at) < created, col(_H.id) < bindparam("after_id")),
        )
    return query.order_by(*_NEWEST_FIRST).limit(_count("page_size")).compile(dialect=dialect)


@dataclass(frozen=True)
class CsvPage:
    """CSV lines of export rows and the keyset cursor (created_at, id) of the last one."""

    data: bytes
    last: tuple[datetime, int] | None


def _last_record_start(data: bytes) -> int:
    """Offset of the last CSV record in `data` (a newline inside a quoted field is not a
    record boundary: it has an odd number of quotes before it)."""
    end = data.rfind(b"\n", 0, len(data) - 1)
    while end >= 0 and data.count(b'"', 0, end) % 2:
        end = data.rfind(b"\n", 0, end)
    return end + 1


async def history_csv_page(
    session: AsyncSession,
    user_id: int,
    flt: HistoryFilter,
    page_size: int,
    after: tuple[datetime, int] | None,
) -> CsvPage:
    """Up to `page_size` matching rows as CSV (EXPORT_COLUMNS, no header), newest first,
    after the keyset cursor `after`, written by PostgreSQL's COPY."""
    compiled = _export_statement(flt.shape, after is not None, session.get_bind().dialect)
    values = {"user_id": user_id, "page_size": page_size, **flt.params()}
    if after is not None:
        values["after_created"], values["after_id"] = after
    params = compiled.construct_params(values)
    chunks: list[bytes] = []

    async def collect(chunk: bytes) -> None:
        chunks.append(chunk)

    driver = (await (await session.connection()).get_raw_connection()).driver_connection
    assert driver is not None  # an asyncpg connection
    await driver.copy_from_query(
        compiled.string,
        *(params[name] for name in compiled.positiontup or ()),
        output=collect,
        format="csv",
    )
    data = b"".join(chunks)
    if not data:
        return CsvPage(data, None)
    last_id, last_created, _ = data[_last_record_start(data) :].split(b",", 2)
    return CsvPage(data, (datetime.fromisoformat(last_created.decode()), int(last_id)))


async def get_history_entry(
    session: AsyncSession, user_id: int, entry_id: int
) -> PredictionHistory | None:
    """The entry if it exists and belongs to `user_id`."""
    entry = await session.get(PredictionHistory, entry_id)
    return entry if entry is not None and entry.user_id == user_id else None


# One statement whatever the batch size: columns travel as arrays, so the SQL text is
# constant (prepared once) instead of being rebuilt with 9 parameters per row.
# Events of deleted users (tombstoned) are skipped: they may arrive after the deletion.
_INSERT_HISTORY = text(
    """
    INSERT INTO profiles.prediction_history
        (event_id, user_id, profile_id, customer_data, cluster, cluster_name, confidence,
         model_version, created_at)
    SELECT * FROM unnest(
        CAST(:event_id AS text[]), CAST(:user_id AS int[]), CAST(:profile_id AS int[]),
        CAST(CAST(:customer_data AS text[]) AS jsonb[]), CAST(:cluster AS int[]),
        CAST(:cluster_name AS text[]), CAST(:confidence AS float8[]),
        CAST(:model_version AS text[]), CAST(:created_at AS timestamptz[]))
        AS e(event_id, user_id, profile_id, customer_data, cluster, cluster_name, confidence,
             model_version, created_at)
    WHERE NOT EXISTS (SELECT 1 FROM profiles.deleted_users d WHERE d.user_id = e.user_id)
    ON CONFLICT (event_id) DO NOTHING
    """
)
# History inserts (shared) and user deletions (exclusive) take this transaction-level
# advisory lock first, so a deletion never runs beside an insert that could not yet see
# its tombstone: the insert's next statement sees it, or the deletion sees its rows.
_HISTORY_DELETION_LOCK = 0x5E6_0001
_LOCK_SHARED = text("SELECT pg_advisory_xact_lock_shared(:key)")
_LOCK_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(:key)")
_TOMBSTONE = text(
    "INSERT INTO profiles.deleted_users (user_id, deleted_at) VALUES (:user_id, now()) "
    "ON CONFLICT (user_id) DO NOTHING"
)


async def insert_history(session: AsyncSession, events: list[HistoryEvent]) -> int:
    """One multi-row insert; known `event_id`s are skipped."""
    if not events:
        return 0
    columns = {name: [getattr(event, name) for event in events] for name in HISTORY_FIELDS}
    await session.execute(_LOCK_SHARED, {"key": _HISTORY_DELETION_LOCK})
    result = await session.execute(_INSERT_HISTORY, columns)
    return cast(CursorResult[Any], result).rowcount


async def delete_user_data(session: AsyncSession, user_id: int) -> None:
    """Remove every profile and history row of a deleted user, and keep a tombstone so
    history events for them consumed later are not stored (idempotent)."""
    await session.execute(_LOCK_EXCLUSIVE, {"key": _HISTORY_DELETION_LOCK})
    await session.execute(_TOMBSTONE, {"user_id": user_id})
    await session.execute(
        delete(PredictionHistory).where(col(PredictionHistory.user_id) == user_id)
    )
    await session.execute(delete(CustomerProfile).where(col(CustomerProfile.user_id) == user_id))


async def _count_by_user(session: AsyncSession, column: Any, user_ids: list[int]) -> dict[int, int]:
    rows = await session.execute(
        select(column, func.count()).where(column.in_(user_ids)).group_by(column)
    )
    return {int(uid): int(count) for uid, count in rows.all()}


async def counts_for_users(
    session: AsyncSession, user_ids: list[int]
) -> dict[int, tuple[int, int]]:
    """`{user_id: (predictions, profiles)}` for the given users (zeros included)."""
    predictions = await _count_by_user(session, PredictionHistory.user_id, user_ids)
    profiles = await _count_by_user(session, CustomerProfile.user_id, user_ids)
    return {uid: (predictions.get(uid, 0), profiles.get(uid, 0)) for uid in user_ids}


async def overall_counts(
    session: AsyncSession, since: datetime
) -> tuple[int, int, dict[str, int], dict[str, int]]:
    """Totals, single predictions per cluster name, and per-UTC-day counts since `since`."""
    total_predictions = (
        await session.execute(select(func.count(col(PredictionHistory.id))))
    ).scalar_one()
    total_profiles = (
        await session.execute(select(func.count(col(CustomerProfile.id))))
    ).scalar_one()
    by_cluster = (
        await session.execute(
            select(col(PredictionHistory.cluster_name), func.count())
            .where(col(PredictionHistory.cluster).is_not(None))
            .group_by(col(PredictionHistory.cluster_name))
        )
    ).all()
    day = func.to_char(func.timezone("UTC", PredictionHistory.created_at), "YYYY-MM-DD")
    by_day = (
        await session.execute(
            select(day, func.count())
            .where(col(PredictionHistory.created_at) >= since)
            .group_by(day)
        )
    ).all()
    return (
        int(total_predictions),
        int(total_profiles),
        {str(name): int(count) for name, count in by_cluster},
        {str(d): int(count) for d, count in by_day},
    )


# date_trunc's unit as SQL text: a bound parameter would make the SELECT and GROUP BY
# expressions differ for PostgreSQL. Only these three values can reach it.
_TRUNC_UNIT = {"day": text("'day'"), "week": text("'week'"), "month": text("'month'")}


async def predictions_per_bucket(
    session: AsyncSession, since: datetime, bucket: str
) -> dict[str, int]:
    """`{bucket start (YYYY-MM-DD): count}` of every history row since `since`, UTC buckets."""
    start = func.to_char(
        func.date_trunc(_TRUNC_UNIT[bucket], func.timezone("UTC", PredictionHistory.created_at)),
        "YYYY-MM-DD",
    )
    rows = await session.execute(
        select(start, func.count())
        .where(col(PredictionHistory.created_at) >= since)
        .group_by(start)
    )
    return {str(day): int(count) for day, count in rows.all()}


async def history_rows_estimate(session: AsyncSession) -> int:
    """The planner's row estimate of the history table (-1 before its first ANALYZE)."""
    result = await session.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = 'profiles.prediction_history'::regclass")
    )
    return int(result.scalar_one())
