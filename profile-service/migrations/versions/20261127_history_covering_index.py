"""History at scale: the per-user index also carries the filter columns.

`/history` counts and filters a user's rows by cluster and confidence; with both in the
index (INCLUDE) the total and a filtered page are index-only scans, not one heap visit per
row (a user with 50k rows: tens of ms instead of hundreds).

Revision ID: 20261127_profiles_0003
Revises: 20261127_profiles_0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261127_profiles_0003"
down_revision: str | None = "20261127_profiles_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "profiles"
NAME = "ix_prediction_history_user_created"
KEY = ["user_id", sa.text("created_at DESC"), sa.text("id DESC")]


def upgrade() -> None:
    op.drop_index(NAME, "prediction_history", schema=SCHEMA)
    op.create_index(
        NAME,
        "prediction_history",
        KEY,
        schema=SCHEMA,
        postgresql_include=["cluster", "confidence"],
    )


def downgrade() -> None:
    op.drop_index(NAME, "prediction_history", schema=SCHEMA)
    op.create_index(NAME, "prediction_history", KEY, schema=SCHEMA)
