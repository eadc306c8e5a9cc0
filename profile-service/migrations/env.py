"""Alembic environment of the profile-service: its own schema and version table, as its own role."""

from profile_service import tables
from profile_service.settings import ProfileSettings
from segshared.migrations import run

run(tables.Base.metadata, tables.SCHEMA, ProfileSettings)
