"""Alembic environment of the ml-service: its own schema and version table, as its own role."""

from ml_service import models
from ml_service.settings import MlSettings
from segshared.migrations import run

run(models.Base.metadata, models.SCHEMA, MlSettings)
