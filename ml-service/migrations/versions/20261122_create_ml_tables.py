"""Create datasets, the model registry and training jobs.

Revision ID: 20261122_ml_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261122_ml_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "ml"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("owner_id", sa.Integer),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("rejected_rows", sa.Integer, nullable=False),
        sa.Column("columns", sa.JSON, nullable=False),
        sa.Column("rejected_examples", sa.JSON, nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        _ts("created_at"),
        schema=SCHEMA,
    )
    op.create_index("ix_ml_datasets_owner_id", "datasets", ["owner_id"], schema=SCHEMA)
    op.create_table(
        "models",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.String(64), nullable=False, unique=True),
        sa.Column("n_clusters", sa.Integer, nullable=False),
        sa.Column("silhouette_score", sa.Float, nullable=False),
        sa.Column("inertia", sa.Float, nullable=False),
        sa.Column("n_samples", sa.Integer, nullable=False),
        sa.Column("dataset_id", sa.Integer),
        sa.Column("trained_by", sa.Integer),
        _ts("trained_at"),
        sa.Column("duration_seconds", sa.Float, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_ml_models_trained_by", "models", ["trained_by"], schema=SCHEMA)
    op.create_table(
        "training_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON),
        sa.Column("error", sa.String(1000)),
        sa.Column("requested_by", sa.Integer),
        _ts("created_at"),
        _ts("finished_at", nullable=True),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("training_jobs", "models", "datasets"):
        op.drop_table(table, schema=SCHEMA)
