"""Training jobs carry their owner process and a heartbeat, so jobs of a dead process fail.

Revision ID: 20261127_ml_0002
Revises: 20261122_ml_0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261127_ml_0002"
down_revision: str | None = "20261122_ml_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "ml"


def upgrade() -> None:
    op.add_column("training_jobs", sa.Column("owner", sa.String(128)), schema=SCHEMA)
    op.add_column(
        "training_jobs", sa.Column("heartbeat_at", sa.DateTime(timezone=True)), schema=SCHEMA
    )
    # The reaper looks only at unfinished jobs; finished ones pile up and are never scanned.
    op.create_index(
        "ix_training_jobs_unfinished",
        "training_jobs",
        ["heartbeat_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )


def downgrade() -> None:
    op.drop_index("ix_training_jobs_unfinished", "training_jobs", schema=SCHEMA)
    op.drop_column("training_jobs", "heartbeat_at", schema=SCHEMA)
    op.drop_column("training_jobs", "owner", schema=SCHEMA)
