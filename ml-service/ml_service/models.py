"""Table models of the ml-service (schema `ml`)."""

from __future__ import annotations

from segshared.db import schema_metadata
from sqlmodel import SQLModel

SCHEMA = "ml"


class Base(SQLModel):
    """Base of every table here: binds it to the service's own schema."""

    metadata = schema_metadata(SCHEMA)
