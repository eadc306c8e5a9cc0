"""Alembic environment of the profile-service: its own schema and version table."""

from profile_service import models
from segshared.migrations import run

run(models.Base.metadata, models.SCHEMA)
