"""profile-service settings (environment only)."""

from __future__ import annotations

from pydantic import Field
from segshared.settings import ServiceSettings, database_url_field


class ProfileSettings(ServiceSettings):
    """Event consumption and export tuning."""

    database_url: str = database_url_field("PROFILE")
    # Events per XREADGROUP and per INSERT: each transaction's fixed costs (round trips,
    # commit, the tombstone check's plan) over more rows.
    history_batch_size: int = 2000
    history_block_ms: int = 200
    # History consumers per process (one group): while one waits for PostgreSQL to store
    # its batch, the next reads and parses another, so Python and the database overlap.
    history_consumers: int = Field(default=2, ge=1, le=8)
    # Pause after a partial batch (bounded well under the 1 s visibility promise).
    history_gather_seconds: float = 0.25
    export_page_size: int = 10_000
    predict_timeout_seconds: float = 5.0
    # /admin/stats totals: exact while the history holds fewer rows than STATS_EXACT_ROWS
    # (planner estimate); above, computed at most once per STATS_CACHE_SECONDS across
    # replicas (Redis), as they count every history row. 0 seconds: always exact.
    stats_exact_rows: int = Field(default=200_000, ge=0)
    stats_cache_seconds: float = Field(default=60.0, ge=0, le=3600)
