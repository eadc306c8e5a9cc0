"""Alembic environment shared by every service: async engine, one schema per service.

A service's `migrations/env.py` only names its metadata, schema and settings class and
calls `run()`; the migrations connect with that service's DATABASE_URL (its own role).
`python -m segshared.migrations wait --schema S` blocks until that schema is at the head
revision of ./alembic.ini: Kubernetes pods start only once the migrate Job is done.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from segshared.settings import ServiceSettings


def _database_url(settings: type[ServiceSettings]) -> str:
    configured = context.config.get_main_option("sqlalchemy.url")
    if configured:
        return configured
    return settings().database_url


def _configure(connection: Connection, metadata: MetaData, schema: str) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        include_schemas=True,
        include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, metadata: MetaData, schema: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        # The version table lives inside the schema, so the schema must exist first. Where
        # the roles are set up (segshared.dbroles) it does, owned by the service's role,
        # which has no right to create schemas (not even `IF NOT EXISTS`).
        found = await connection.scalar(
            text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
        )
        if not found:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await connection.commit()
        await connection.run_sync(_configure, metadata, schema)
        await connection.commit()
    await engine.dispose()


def run(metadata: MetaData, schema: str, settings: type[ServiceSettings] = ServiceSettings) -> None:
    """Entry point for a service's env.py (online mode only: we always have a database)."""
    asyncio.run(_run_online(_database_url(settings), metadata, schema))


def apply_migrations(alembic_ini: Path, database_url: str) -> None:
    """Upgrade one service's schema to head (the only way schemas are created)."""
    config = Config(str(alembic_ini))
    config.set_main_option("script_location", str(alembic_ini.parent / "migrations"))
    config.set_main_option(
        "sqlalchemy.url", ServiceSettings(database_url=database_url).database_url
    )
    command.upgrade(config, "head")


async def applied_revisions(database_url: str, schema: str) -> set[str]:
    """The revisions recorded in `schema`'s version table (none before the first migration)."""
    engine = create_async_engine(database_url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: set(
                    MigrationContext.configure(
                        sync, opts={"version_table_schema": schema}
                    ).get_current_heads()
                )
            )
    finally:
        await engine.dispose()


def wait_for_head(alembic_ini: Path, database_url: str, schema: str, timeout: float) -> bool:
    """Poll until the database is at the scripts' head revision; False after `timeout`."""
    heads = set(ScriptDirectory.from_config(Config(str(alembic_ini))).get_heads())
    deadline = time.monotonic() + timeout
    while True:
        try:
            applied = asyncio.run(applied_revisions(database_url, schema))
        except Exception as exc:  # not reachable or not set up yet: the Job may be running
            applied = {f"unknown ({type(exc).__name__})"}
        if applied == heads:
            return True
        if time.monotonic() > deadline:
            return False
        print(
            f"waiting for migrations of {schema}: at {sorted(applied)}, head {sorted(heads)}",
            flush=True,
        )
        time.sleep(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="segshared.migrations")
    commands = parser.add_subparsers(dest="command", required=True)
    wait = commands.add_parser("wait", help="block until the schema is at head")
    wait.add_argument("--schema", required=True)
    wait.add_argument("--config", default="alembic.ini", type=Path)
    wait.add_argument("--timeout", default=600.0, type=float)
    args = parser.parse_args(argv)
    url = ServiceSettings().database_url
    if wait_for_head(args.config, url, args.schema, args.timeout):
        print(f"migrations of {args.schema}: at head", flush=True)
        return 0
    print(f"migrations of {args.schema}: not at head after {args.timeout:.0f} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
