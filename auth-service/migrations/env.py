"""Alembic environment of the auth-service: its own schema and version table, as its own role."""

from auth_service import tables
from auth_service.settings import AuthSettings
from segshared.migrations import run

run(tables.Base.metadata, tables.SCHEMA, AuthSettings)
