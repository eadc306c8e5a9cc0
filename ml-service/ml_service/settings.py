"""ml-service settings (environment only)."""

from __future__ import annotations

from pathlib import Path

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
    csv_chunk_rows: int = 20_000
    train_lock_seconds: int = 3_600
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
