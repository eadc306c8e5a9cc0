"""Load synthetic prediction history with COPY, for measuring `/history` at scale.

    uv run --frozen python -m devstack.history_load DATABASE_URL [--rows 10000000]
        [--heavy-user 1 --heavy-rows 50000] [--users 20000]

Writes into `profiles.prediction_history` of an already-migrated database whose name
starts with `seg_test` (a bench or test database: never dev or production data). One
"heavy" user gets `--heavy-rows` rows spread over a year; the rest are spread over
`--users` other users. Rows stream to PostgreSQL as CSV through COPY in chunks, so memory
stays flat whatever `--rows` is; secondary indexes are dropped for the load and built
once after it. Prints rows/s (indexes included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from segshared.contracts.events import HISTORY_FIELDS
from sqlalchemy.engine import make_url

NAMES = ("Budget Shoppers", "Young Spenders", "Careful Savers", "Affluent Regulars", "Occasional")
CHUNK_ROWS = 50_000


def _dsn(url: str) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if not (parsed.database or "").startswith("seg_test"):
        raise SystemExit("refusing: the database name must start with seg_test (bench/test only)")
    return parsed.render_as_string(hide_password=False)


@dataclass(frozen=True)
class UserMix:
    """Row n belongs to `heavy` when n % `every` == 0, else to one of `others`."""

    heavy: int
    every: int
    others: int

    def user(self, n: int) -> int:
        return self.heavy if n % self.every == 0 else self.heavy + 1 + n % self.others


def _variants(rng: random.Random, now: datetime) -> tuple[list[str], list[str]]:
    """Pre-formatted customers (CSV-quoted JSON) and timestamps over the past year: rows
    pick from them, so formatting a row is one f-string (~1 µs), not a json.dumps."""
    customers = []
    for n in range(997):
        text = json.dumps(
            {
                "sex": "Female" if n % 2 else "Male",
                "age": 18 + n % 60,
                "annual_income": round(15 + rng.random() * 120, 1),
                "spending_score": rng.randrange(1, 100),
                "purchase_frequency": rng.randrange(1, 50),
            }
        )
        customers.append('"' + text.replace('"', '""') + '"')
    year = 365 * 24 * 3600
    times = [(now - timedelta(seconds=rng.randrange(year))).isoformat() for _ in range(100_003)]
    return customers, times


def _chunk(start: int, count: int, mix: UserMix, variants: tuple[list[str], list[str]]) -> bytes:
    """`count` CSV rows; the row number makes event ids unique across chunks, and its hash
    picks the row's cluster, confidence, customer and time (uncorrelated with the user)."""
    customers, times = variants
    lines = []
    for n in range(start, start + count):
        h = (n * 2654435761) & 0xFFFFFFFF
        cluster = h % 5
        lines.append(
            f"hl-{n},{mix.user(n)},,{customers[h % 997]},{cluster},{NAMES[cluster]},"
            f"{50 + (h >> 8) % 5000 / 100:.2f},bench-v1,{times[h % 100_003]}\n"
        )
    return "".join(lines).encode()


async def _rows(total: int, mix: UserMix, seed: int) -> AsyncIterator[bytes]:
    variants = _variants(random.Random(seed), datetime.now(UTC))  # noqa: S311 (synthetic data)
    for start in range(0, total, CHUNK_ROWS):
        yield _chunk(start, min(CHUNK_ROWS, total - start), mix, variants)
        await asyncio.sleep(0)


async def _drop_secondary_indexes(conn: asyncpg.Connection) -> list[str]:
    """Drop the table's indexes and unique constraints except the primary key (a bulk
    load then builds each once instead of updating it row by row); returns the DDL that
    recreates them."""
    table = "profiles.prediction_history"
    constraints = await conn.fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint"
        " WHERE conrelid = $1::regclass AND contype = 'u'",
        table,
    )
    indexes = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'profiles'"
        " AND tablename = 'prediction_history' AND indexname NOT IN"
        " (SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass)",
        table,
    )
    for c in constraints:
        await conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{c["conname"]}"')
    for i in indexes:
        await conn.execute(f'DROP INDEX profiles."{i["indexname"]}"')
    return [i["indexdef"] for i in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{c["conname"]}" {c["def"]}' for c in constraints
    ]


async def load(url: str, rows: int, heavy_user: int, heavy_rows: int, users: int) -> float:
    """COPY `rows` rows; returns rows/s."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        started = time.perf_counter()
        recreate = await _drop_secondary_indexes(conn)
        await conn.copy_to_table(
            "prediction_history",
            schema_name="profiles",
            source=_rows(rows, UserMix(heavy_user, max(1, rows // heavy_rows), users), seed=7),
            columns=HISTORY_FIELDS,
            format="csv",
        )
        await conn.execute("SET maintenance_work_mem = '256MB'")
        for ddl in recreate:
            await conn.execute(ddl)
        elapsed = time.perf_counter() - started
        await conn.execute("VACUUM ANALYZE profiles.prediction_history")
    finally:
        await conn.close()
    return rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--heavy-user", type=int, default=1)
    parser.add_argument("--heavy-rows", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=20_000)
    args = parser.parse_args()
    rate = asyncio.run(
        load(args.database_url, args.rows, args.heavy_user, args.heavy_rows, args.users)
    )
    print(f"loaded {args.rows:,} rows at {rate:,.0f} rows/s")


if __name__ == "__main__":
    main()
