"""Tombstones of deleted users: their late history events are never stored.

Revision ID: 20261127_profiles_0002
Revises: 20261122_profiles_0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261127_profiles_0002"
down_revision: str | None = "20261122_profiles_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "profiles"


def upgrade() -> None:
    op.create_table(
        "deleted_users",
        sa.Column("user_id", sa.Integer, primary_key=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("deleted_users", schema=SCHEMA)
