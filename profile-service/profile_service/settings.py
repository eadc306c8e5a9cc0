"""profile-service settings (environment only)."""

from __future__ import annotations

from segshared.settings import ServiceSettings, database_url_field


class ProfileSettings(ServiceSettings):
    """Event consumption and export tuning."""

    database_url: str = database_url_field("PROFILE")
    # Events per XREADGROUP and per INSERT: each transaction's fixed costs (round trips,
    # commit, the tombstone check's plan) over more rows.
    history_batch_size: int = 2000
    history_block_ms: int = 200
    # Pause after a partial batch (bounded well under the 1 s visibility promise).
    history_gather_seconds: float = 0.25
    export_page_size: int = 10_000
    predict_timeout_seconds: float = 5.0
