"""Create customer profiles and the prediction history (idempotent on event_id).

Revision ID: 20261122_profiles_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261122_profiles_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "profiles"


def upgrade() -> None:
    op.create_table(
        "customer_profiles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("notes", sa.Text),
        sa.Column("sex", sa.String(6), nullable=False),
        sa.Column("age", sa.Integer, nullable=False),
        sa.Column("annual_income", sa.Float, nullable=False),
        sa.Column("spending_score", sa.Integer, nullable=False),
        sa.Column("purchase_frequency", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_customer_profiles_user_created",
        "customer_profiles",
        ["user_id", sa.text("created_at DESC"), sa.text("id DESC")],
        schema=SCHEMA,
    )
    op.create_table(
        "prediction_history",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("profile_id", sa.Integer),
        sa.Column("customer_data", postgresql.JSONB, nullable=False),
        sa.Column("cluster", sa.Integer),
        sa.Column("cluster_name", sa.String(100)),
        sa.Column("confidence", sa.Float),
        sa.Column("model_version", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    # Every history query is "this user's rows, newest first", optionally filtered.
    op.create_index(
        "ix_prediction_history_user_created",
        "prediction_history",
        ["user_id", sa.text("created_at DESC"), sa.text("id DESC")],
        schema=SCHEMA,
    )
    # Global stats for the admin dashboard: last-7-days counts.
    op.create_index(
        "ix_prediction_history_created", "prediction_history", ["created_at"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_table("prediction_history", schema=SCHEMA)
    op.drop_table("customer_profiles", schema=SCHEMA)
