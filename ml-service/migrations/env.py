"""Alembic environment of the ml-service: its own schema and version table, as its own role."""

from ml_service import tables
from ml_service.settings import MlSettings
from segshared.migrations import run

run(tables.Base.metadata, tables.SCHEMA, MlSettings)
