"""Alembic environment shared by every service: async engine, one schema per service.

A service's `migrations/env.py` only names its metadata and schema and calls `run()`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from segshared.settings import ServiceSettings


def _database_url() -> str:
    configured = context.config.get_main_option("sqlalchemy.url")
    if configured:
        return configured
    return ServiceSettings().database_url


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


async def _run_online(metadata: MetaData, schema: str) -> None:
    engine = create_async_engine(_database_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        # The version table lives inside the schema, so the schema must exist first.
        await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await connection.commit()
        await connection.run_sync(_configure, metadata, schema)
        await connection.commit()
    await engine.dispose()


def run(metadata: MetaData, schema: str) -> None:
    """Entry point for a service's env.py (online mode only: we always have a database)."""
    asyncio.run(_run_online(metadata, schema))


def apply_migrations(alembic_ini: Path, database_url: str) -> None:
    """Upgrade one service's schema to head (the only way schemas are created)."""
    config = Config(str(alembic_ini))
    config.set_main_option("script_location", str(alembic_ini.parent / "migrations"))
    config.set_main_option(
        "sqlalchemy.url", ServiceSettings(database_url=database_url).database_url
    )
    command.upgrade(config, "head")
