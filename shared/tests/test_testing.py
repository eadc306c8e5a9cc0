"""The test helpers that touch real PostgreSQL behave under a running app's background work."""

from __future__ import annotations

import asyncio

import asyncpg
from segshared.testing import database_url_for_tests, recreate_database, truncate_schema

DATABASE_URL = database_url_for_tests("shared_testing")


async def test_truncate_survives_a_deadlock_with_background_work() -> None:
    await asyncio.to_thread(recreate_database, DATABASE_URL)
    dsn = DATABASE_URL.replace("postgresql+asyncpg", "postgresql")
    admin, worker = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        await admin.execute(
            "CREATE SCHEMA s; CREATE TABLE s.a (n int); CREATE TABLE s.b (n int);"
            "INSERT INTO s.a VALUES (1); INSERT INTO s.b VALUES (2);"
        )
        # The worker (an app's background job) holds s.b and will then want s.a; it waits
        # long before checking for deadlocks, so the TRUNCATE is the side cancelled.
        await worker.execute("SET deadlock_timeout = '30s'")
        transaction = worker.transaction()
        await transaction.start()
        await worker.fetch("SELECT * FROM s.b")
        truncation = asyncio.create_task(truncate_schema(DATABASE_URL, "s"))
        # The TRUNCATE locks s.a, then waits for s.b.
        for _ in range(200):
            blocked = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE query LIKE 'TRUNCATE%' "
                "AND wait_event_type = 'Lock'"
            )
            if blocked:
                break
            await asyncio.sleep(0.05)
        assert blocked, "the TRUNCATE never waited for the worker's lock"
        await worker.fetch("SELECT * FROM s.a")  # the cycle: PostgreSQL cancels the TRUNCATE
        await transaction.commit()
        await asyncio.wait_for(truncation, 30)
        assert (
            await admin.fetchval("SELECT (SELECT count(*) FROM s.a) + (SELECT count(*) FROM s.b)")
            == 0
        )
    finally:
        await worker.close()
        await admin.close()
