"""ml-service settings (environment only)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from segshared.settings import ServiceSettings, database_url_field


class MlSettings(ServiceSettings):
    """Model storage, training speed knobs and batch limits."""

    database_url: str = database_url_field("ML")
    model_dir: str = ".data/models"
    default_dataset_rows: int = 5_000
    default_seed: int = 42
    default_k_min: int = 2
    default_k_max: int = 10
    # Training stays fast on large data: silhouette on a sample, mini-batches above a size.
    silhouette_sample_size: int = 2_000
    minibatch_threshold: int = 50_000
    kmeans_n_init: int = 3
    reload_poll_seconds: float = 0.5
    max_json_batch: int = 10_000
    # A JSON batch body is refused past this while it is read, before parsing (413).
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # A CSV batch answered as JSON lists the first refused rows only.
    max_batch_errors: int = Field(default=10_000, ge=0, le=1_000_000)
    csv_chunk_rows: int = 20_000
    # One training per dataset at a time: a lock with this TTL, renewed by the job's
    # heartbeat; jobs whose heartbeat is older than job_stale_seconds are failed.
    train_lock_ttl_seconds: float = Field(default=30.0, gt=1, le=3600)
    job_heartbeat_seconds: float = Field(default=5.0, gt=0, le=600)
    job_stale_seconds: float = Field(default=30.0, gt=1, le=86_400)
    # First start: retry the bootstrap training (with backoff up to this) until a model exists.
    bootstrap_retry_cap_seconds: float = Field(default=60.0, gt=0, le=3600)
    # /health warns (still 200) when the model volume has less free space than this.
    model_dir_min_free_mb: int = 1_024

    @property
    def model_path(self) -> Path:
        """MODEL_DIR as a path."""
        return Path(self.model_dir)

    @property
    def dataset_dir(self) -> Path:
        """Where uploaded and generated datasets are kept (beside the models)."""
        return Path(self.model_dir) / "datasets"
