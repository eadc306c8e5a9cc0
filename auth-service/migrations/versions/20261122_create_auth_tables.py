"""Create the auth schema's tables: users, refresh tokens, API keys, audit log, outbox.

Revision ID: 20261122_auth_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261122_auth_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "auth"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("username", sa.String(50), nullable=False),
        sa.Column("full_name", sa.String(255)),
        sa.Column("hashed_password", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False, server_default="user"),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        _ts("created_at"),
        _ts("updated_at"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True, schema=SCHEMA
    )
    op.create_index(
        "uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True, schema=SCHEMA
    )
    op.create_index("ix_auth_users_role", "users", ["role"], schema=SCHEMA)
    op.create_index("ix_auth_users_is_active", "users", ["is_active"], schema=SCHEMA)

    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("auth.users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("family_id", sa.String(32), nullable=False),
        _ts("expires_at"),
        _ts("rotated_at", nullable=True),
        _ts("revoked_at", nullable=True),
        _ts("created_at"),
        schema=SCHEMA,
    )
    op.create_index("ix_auth_refresh_tokens_user_id", "refresh_tokens", ["user_id"], schema=SCHEMA)
    op.create_index(
        "ix_auth_refresh_tokens_family_id", "refresh_tokens", ["family_id"], schema=SCHEMA
    )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("auth.users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("daily_quota", sa.Integer),
        _ts("created_at"),
        _ts("last_used_at", nullable=True),
        _ts("revoked_at", nullable=True),
        schema=SCHEMA,
    )
    op.create_index("ix_auth_api_keys_user_id", "api_keys", ["user_id"], schema=SCHEMA)
    op.create_index("ix_auth_api_keys_prefix", "api_keys", ["prefix"], schema=SCHEMA)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("actor_id", sa.Integer),
        sa.Column("target_id", sa.Integer),
        sa.Column("ip", sa.String(64)),
        sa.Column("detail", sa.JSON, nullable=False),
        _ts("created_at"),
        schema=SCHEMA,
    )
    op.create_index("ix_auth_audit_log_action", "audit_log", ["action"], schema=SCHEMA)
    op.create_index("ix_auth_audit_log_actor_id", "audit_log", ["actor_id"], schema=SCHEMA)
    op.create_index("ix_auth_audit_log_created_at", "audit_log", ["created_at"], schema=SCHEMA)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.String(32), nullable=False, unique=True),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        _ts("created_at"),
        _ts("published_at", nullable=True),
        schema=SCHEMA,
    )
    op.create_index("ix_auth_outbox_published_at", "outbox", ["published_at"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("outbox", "audit_log", "api_keys", "refresh_tokens", "users"):
        op.drop_table(table, schema=SCHEMA)
