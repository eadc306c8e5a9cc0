"""Alembic environment of the auth-service: its own schema and version table, as its own role."""

from auth_service import models
from auth_service.settings import AuthSettings
from segshared.migrations import run

run(models.Base.metadata, models.SCHEMA, AuthSettings)
