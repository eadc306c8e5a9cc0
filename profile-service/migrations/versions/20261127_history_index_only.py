"""History at scale: pages and exports read one index only; a cluster filter has its own.

A heavy user's rows are scattered over the whole table (every other user's predictions
land between them), so reading 50k of them visited ~50k table pages: at 10M rows the
export spent most of its time there (EXPLAIN: 10,000 rows, 10,000 pages read, 75-280 ms).
The per-user index now carries every column a page or an export shows (INCLUDE): both
are index-only scans over the user's consecutive entries (10,000 rows: 28 ms).
`customer_data` is a validated customer or a batch summary (at most 15 cluster counts), a
few hundred bytes: far below a btree entry's 2.7 kB limit.

A cluster filter read every entry of the user to count the few that match (50k entries
for 8k matches: 20 ms); the (user, cluster) index reads only that cluster's (3 ms), and
being the narrowest per-user index it also serves the unfiltered count.

Revision ID: 20261127_profiles_0004
Revises: 20261127_profiles_0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261127_profiles_0004"
down_revision: str | None = "20261127_profiles_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "profiles"
TABLE = "prediction_history"
USER_INDEX = "ix_prediction_history_user_created"
CLUSTER_INDEX = "ix_prediction_history_user_cluster"
ORDER = [sa.text("created_at DESC"), sa.text("id DESC")]
FILTERS = ["cluster", "confidence"]
LISTED = [*FILTERS, "cluster_name", "model_version", "profile_id", "customer_data"]


def upgrade() -> None:
    op.drop_index(USER_INDEX, TABLE, schema=SCHEMA)
    op.create_index(
        USER_INDEX, TABLE, ["user_id", *ORDER], schema=SCHEMA, postgresql_include=LISTED
    )
    op.create_index(
        CLUSTER_INDEX,
        TABLE,
        ["user_id", "cluster", *ORDER],
        schema=SCHEMA,
        postgresql_include=["confidence"],
    )


def downgrade() -> None:
    op.drop_index(CLUSTER_INDEX, TABLE, schema=SCHEMA)
    op.drop_index(USER_INDEX, TABLE, schema=SCHEMA)
    op.create_index(
        USER_INDEX, TABLE, ["user_id", *ORDER], schema=SCHEMA, postgresql_include=FILTERS
    )
