"""Alembic environment of the ml-service: its own schema and version table."""

from ml_service import models
from segshared.migrations import run

run(models.Base.metadata, models.SCHEMA)
