"""Alembic environment of the auth-service: its own schema and version table."""

from auth_service import models
from segshared.migrations import run

run(models.Base.metadata, models.SCHEMA)
