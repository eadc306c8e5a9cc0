"""Alembic environment of the profile-service: its own schema and version table, as its own role."""

from profile_service import models
from profile_service.settings import ProfileSettings
from segshared.migrations import run

run(models.Base.metadata, models.SCHEMA, ProfileSettings)
