"""ml-service settings (environment only)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from segshared.settings import DEV_ONLY_MARKER, ServiceSettings, database_url_field

from ml_service.webhooks.crypto import parse_keys

# A valid Fernet key that carries the dev-only marker, so production refuses it.
DEV_WEBHOOK_KEY = f"{DEV_ONLY_MARKER}-webhook-key-000000000000A="


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
    # Algorithms that can't take every row fit on a sample of this many (see engine.algorithms).
    gmm_sample_size: int = Field(default=50_000, ge=100, le=10_000_000)
    agglomerative_sample_size: int = Field(default=20_000, ge=100, le=100_000)
    projection_sample_size: int = Field(default=5_000, ge=100, le=100_000)
    # POST /models/compare scores every candidate on a sample of this many rows.
    compare_sample_size: int = Field(default=5_000, ge=100, le=100_000)
    # The periodic drift check of the active model: how often (0 = never) and over how many days.
    drift_check_seconds: float = Field(default=3600.0, ge=0, le=7 * 86_400)
    drift_check_days: int = Field(default=7, ge=1, le=90)
    reload_poll_seconds: float = 0.5
    max_json_batch: int = 10_000
    # A JSON batch body is refused past this while it is read, before parsing (413).
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    # A CSV batch answered as JSON lists the first refused rows only.
    max_batch_errors: int = Field(default=10_000, ge=0, le=1_000_000)
    csv_chunk_rows: int = 20_000
    # Disk on the model volume per analyst: at most this many datasets (409 beyond; delete
    # one first), each upload at most this many bytes (413), so one user holds at most
    # their product.
    dataset_quota_per_user: int = Field(default=20, ge=1, le=10_000)
    max_dataset_upload_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)
    # One training per dataset at a time: a lock with this TTL, renewed by the job's
    # heartbeat; jobs whose heartbeat is older than job_stale_seconds are failed.
    train_lock_ttl_seconds: float = Field(default=30.0, gt=1, le=3600)
    job_heartbeat_seconds: float = Field(default=5.0, gt=0, le=600)
    job_stale_seconds: float = Field(default=30.0, gt=1, le=86_400)
    # First start: retry the bootstrap training (with backoff up to this) until a model exists.
    bootstrap_retry_cap_seconds: float = Field(default=60.0, gt=0, le=3600)
    # /health warns (still 200) when the model volume has less free space than this.
    model_dir_min_free_mb: int = 1_024
    # Webhooks. WEBHOOK_SECRET_KEYS: comma-separated Fernet keys; the first encrypts new
    # secrets, all of them decrypt (rotation: put the new key first, run
    # `python -m ml_service.cli rotate-webhook-secrets`, then drop the old key).
    webhook_secret_keys: str = DEV_WEBHOOK_KEY
    # Allow URLs resolving to private/loopback/link-local addresses (tests, on-prem receivers).
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # Attempt n (n >= 1) failing waits min(cap, base * 2^(n-1)) * U(0.5, 1) before the next;
    # the defaults make 8 attempts over at least 1 h (3810 s with the smallest jitter).
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_backoff_base_seconds: float = Field(default=60.0, gt=0, le=86_400)
    webhook_backoff_cap_seconds: float = Field(default=3_600.0, gt=0, le=7 * 86_400)
    # How often each replica's delivery worker looks for due deliveries, and how many it
    # sends at once.
    webhook_poll_seconds: float = Field(default=1.0, gt=0, le=600)
    webhook_batch_size: int = Field(default=10, ge=1, le=100)
    webhook_max_per_user: int = Field(default=20, ge=1, le=1_000)

    @field_validator("webhook_secret_keys")
    @classmethod
    def _fernet_keys(cls, value: str) -> str:
        parse_keys(value)
        return value

    def secret_settings(self) -> dict[str, str]:
        """The common secrets plus the webhook encryption keys."""
        return {**super().secret_settings(), "WEBHOOK_SECRET_KEYS": self.webhook_secret_keys}

    @property
    def model_path(self) -> Path:
        """MODEL_DIR as a path."""
        return Path(self.model_dir)

    @property
    def dataset_dir(self) -> Path:
        """Where uploaded and generated datasets are kept (beside the models)."""
        return Path(self.model_dir) / "datasets"
