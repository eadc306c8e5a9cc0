"""Alembic environment of the ml-service: its own schema and version table, as its own role."""

from ml_service import tables
from ml_service.settings import MlSettings
from ml_service.webhooks import tables as webhook_tables
from segshared.migrations import run

assert webhook_tables.Base is tables.Base  # the webhook tables are in this metadata too

run(tables.Base.metadata, tables.SCHEMA, MlSettings)
