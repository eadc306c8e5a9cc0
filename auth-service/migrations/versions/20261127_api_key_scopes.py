"""API keys get scopes, an optional expiry and optional allowed client addresses.

Existing keys keep working for predictions only (`["predict"]`), the least privilege.

Revision ID: 20261127_auth_0002
Revises: 20261122_auth_0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261127_auth_0002"
down_revision: str | None = "20261122_auth_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "auth"


def upgrade() -> None:
    op.add_column(
        "api_keys",
        sa.Column("scopes", sa.JSON, nullable=False, server_default=sa.text("'[\"predict\"]'")),
        schema=SCHEMA,
    )
    op.add_column("api_keys", sa.Column("expires_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.add_column("api_keys", sa.Column("allowed_ips", sa.JSON), schema=SCHEMA)


def downgrade() -> None:
    for column in ("allowed_ips", "expires_at", "scopes"):
        op.drop_column("api_keys", column, schema=SCHEMA)
