"""Table models of the auth-service (schema `auth`)."""

from __future__ import annotations

from segshared.db import schema_metadata
from sqlmodel import SQLModel

SCHEMA = "auth"


class Base(SQLModel):
    """Base of every table here: binds it to the service's own schema."""

    metadata = schema_metadata(SCHEMA)
