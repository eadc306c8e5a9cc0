"""Models record their algorithm and features; jobs their kind; drift checks their last status.

Revision ID: 20261127_ml_0004
Revises: 20261127_ml_0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261127_ml_0004"
down_revision: str | None = "20261127_ml_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "ml"
ALL_FEATURES = '["age", "annual_income", "spending_score", "purchase_frequency"]'


def upgrade() -> None:
    # Models trained before this change are k-means on all four features.
    op.add_column(
        "models",
        sa.Column("algorithm", sa.String(16), nullable=False, server_default="kmeans"),
        schema=SCHEMA,
    )
    op.add_column(
        "models",
        sa.Column("features", sa.JSON, nullable=False, server_default=sa.text(f"'{ALL_FEATURES}'")),
        schema=SCHEMA,
    )
    op.add_column(
        "training_jobs",
        sa.Column("kind", sa.String(16), nullable=False, server_default="train"),
        schema=SCHEMA,
    )
    op.create_table(
        "drift_checks",
        sa.Column("model_version", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("drift_checks", schema=SCHEMA)
    op.drop_column("training_jobs", "kind", schema=SCHEMA)
    op.drop_column("models", "features", schema=SCHEMA)
    op.drop_column("models", "algorithm", schema=SCHEMA)
