"""Model artifacts on disk: `MODEL_DIR/versions/<version>/` and the `current` pointer.

A version is written to a temp dir and renamed into place (atomic); the pointer is a
small file replaced atomically. Loading verifies the artifact's SHA-256, so a corrupt
or truncated artifact is refused instead of served.

Format (`"format": 2` in metadata.json):
- `model.npz` (numpy, no pickles): the scaler (`mean`, `scale`), `centers` (scaled
  space), for gmm `mixture_weights`/`mixture_means`/`mixture_precisions_cholesky`, the
  projection (`projection_*`) and the drift bins (`drift_edges`, `drift_proportions`).
- `metadata.json`: algorithm, features, names, metrics, `clusters` (the `/clusters`
  items plus `centroid` and `distinctive`), `elbow`, `feature_importance`, who trained
  it when, and `sha256` = SHA-256 of the npz bytes followed by the canonical JSON of
  the rest of the document, so neither file can change unnoticed.

Artifacts written before format 2 (no `format`: npz with mean/scale/centers, sha256 of
the npz alone) load as k-means on all four features; their centroids, distinctive
features and feature importance are derived from what they stored, and they have no
projection or drift bins.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ml_service.engine.drift import DriftReference
from ml_service.engine.explain import (
    ClusterStats,
    Distinctive,
    cluster_stats,
    feature_importance,
)
from ml_service.engine.features import FEATURES, check_algorithm, select_features
from ml_service.engine.model import ElbowCurve, TrainedModel
from ml_service.engine.predictor import MixtureParams, Predictor, SegmentModel
from ml_service.engine.projection import Projection

ARRAYS = "model.npz"
METADATA = "metadata.json"
POINTER = "current"
FORMAT = 2
_AVERAGES = ("avg_age", "avg_income", "avg_spending_score", "avg_purchase_frequency")


class ArtifactError(Exception):
    """The artifact is missing, truncated or fails its checksum."""


@dataclass(frozen=True)
class Publication:
    """Who published a version, when, from which dataset, and how long training took."""

    dataset_id: int | None
    trained_by: int | None
    trained_at: datetime
    duration_seconds: float


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(document: Mapping[str, Any]) -> bytes:
    body = {key: value for key, value in document.items() if key != "sha256"}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def versions_dir(root: Path) -> Path:
    return root / "versions"


def _arrays(trained: TrainedModel) -> dict[str, np.ndarray]:
    arrays = {"mean": trained.mean, "scale": trained.scale, "centers": trained.centers}
    if trained.mixture is not None:
        arrays |= {
            "mixture_weights": trained.mixture.weights,
            "mixture_means": trained.mixture.means,
            "mixture_precisions_cholesky": trained.mixture.precisions_cholesky,
        }
    if trained.projection is not None:
        projection = trained.projection
        arrays |= {
            "projection_components": projection.components,
            "projection_mean": projection.mean,
            "projection_explained_variance_ratio": projection.explained_variance_ratio,
            "projection_points": projection.points,
            "projection_clusters": projection.point_clusters,
        }
    if trained.drift_reference is not None:
        arrays |= {
            "drift_edges": trained.drift_reference.edges,
            "drift_proportions": trained.drift_reference.proportions,
        }
    return arrays


def _document(version: str, trained: TrainedModel, publication: Publication) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": version,
        "algorithm": trained.algorithm,
        "features": list(trained.features),
        "names": list(trained.names),
        "n_clusters": trained.n_clusters,
        "silhouette_score": trained.silhouette_score,
        "inertia": trained.inertia,
        "n_samples": trained.n_samples,
        "clusters": [dataclasses.asdict(c) for c in trained.clusters],
        "elbow": dataclasses.asdict(trained.elbow),
        "feature_importance": trained.feature_importance,
        "dataset_id": publication.dataset_id,
        "trained_by": publication.trained_by,
        "trained_at": publication.trained_at.isoformat(),
        "duration_seconds": publication.duration_seconds,
    }


def write_version(root: Path, version: str, trained: TrainedModel, publication: Publication) -> str:
    """Write a version atomically; returns the artifact's SHA-256."""
    buffer = io.BytesIO()
    np.savez(buffer, **_arrays(trained))  # type: ignore[arg-type]
    payload = buffer.getvalue()
    document = _document(version, trained, publication)
    checksum = _sha256(payload + _canonical(document))
    document["sha256"] = checksum
    target = versions_dir(root) / version
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
    try:
        (staging / ARRAYS).write_bytes(payload)
        (staging / METADATA).write_text(json.dumps(document))
        for path in (staging / ARRAYS, staging / METADATA):
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return checksum


def load_version(root: Path, version: str) -> SegmentModel:
    """Load and verify one version; raise `ArtifactError` when it can't be trusted."""
    directory = versions_dir(root) / version
    try:
        metadata = json.loads((directory / METADATA).read_text())
        payload = (directory / ARRAYS).read_bytes()
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{version}: unreadable artifact ({exc})") from exc
    if not isinstance(metadata, dict):
        raise ArtifactError(f"{version}: malformed metadata")
    legacy = "format" not in metadata
    signed = payload if legacy else payload + _canonical(metadata)
    if _sha256(signed) != metadata.get("sha256"):
        raise ArtifactError(f"{version}: checksum mismatch")
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        trained = _legacy_model(arrays, metadata) if legacy else _model(arrays, metadata)
    except (KeyError, ValueError, TypeError, IndexError, OSError) as exc:
        raise ArtifactError(f"{version}: malformed artifact ({exc})") from exc
    return SegmentModel(version=version, trained=trained, metadata=metadata)


def _model(arrays: dict[str, np.ndarray], doc: dict[str, Any]) -> TrainedModel:
    if doc["format"] != FORMAT:
        raise ValueError(f"unknown artifact format {doc['format']!r}")
    features = select_features(doc["features"])
    if list(features) != doc["features"]:
        raise ValueError("features are not in canonical order")
    mixture = None
    if "mixture_weights" in arrays:
        mixture = MixtureParams(
            arrays["mixture_weights"],
            arrays["mixture_means"],
            arrays["mixture_precisions_cholesky"],
        )
    predictor = Predictor(
        check_algorithm(doc["algorithm"]),
        features,
        arrays["mean"],
        arrays["scale"],
        arrays["centers"],
        mixture,
    )
    projection = None
    if "projection_components" in arrays:
        projection = Projection(
            components=arrays["projection_components"],
            mean=arrays["projection_mean"],
            explained_variance_ratio=arrays["projection_explained_variance_ratio"],
            points=arrays["projection_points"],
            point_clusters=arrays["projection_clusters"],
        )
    drift = None
    if "drift_edges" in arrays:
        drift = DriftReference(features, arrays["drift_edges"], arrays["drift_proportions"])
    clusters = tuple(
        ClusterStats(
            **{
                **item,
                "distinctive": tuple(Distinctive(**d) for d in item["distinctive"]),
            }
        )
        for item in doc["clusters"]
    )
    return _checked(
        TrainedModel(
            predictor=predictor,
            names=tuple(doc["names"]),
            descriptions=tuple(c.description for c in clusters),
            silhouette_score=float(doc["silhouette_score"]),
            inertia=float(doc["inertia"]),
            n_samples=int(doc["n_samples"]),
            clusters=clusters,
            elbow=_elbow(doc["elbow"]),
            feature_importance={f: float(doc["feature_importance"][f]) for f in features},
            projection=projection,
            drift_reference=drift,
        )
    )


def _legacy_model(arrays: dict[str, np.ndarray], doc: dict[str, Any]) -> TrainedModel:
    """A pre-format-2 artifact: k-means on all four features, explained from its stats."""
    predictor = Predictor("kmeans", FEATURES, arrays["mean"], arrays["scale"], arrays["centers"])
    names = tuple(doc["names"])
    items = doc["clusters"]
    averages = np.array([[float(item[key]) for key in _AVERAGES] for item in items])
    sizes = np.array([int(item["size"]) for item in items])
    std = np.where(predictor.scale > 0, predictor.scale, 1.0)
    z = (averages - predictor.mean) / std
    centroids = predictor.centers * predictor.scale + predictor.mean
    total = int(sizes.sum())
    clusters = tuple(
        cluster_stats(
            int(item["cluster_id"]),
            (item["cluster_name"], item.get("description") or ""),
            int(item["size"]),
            total,
            averages[c],
            float(item["sex_ratio"]["Female"]),
            centroids[c],
            z[c],
            FEATURES,
        )
        for c, item in enumerate(items)
    )
    return _checked(
        TrainedModel(
            predictor=predictor,
            names=names,
            descriptions=tuple(c.description for c in clusters),
            silhouette_score=float(doc["silhouette_score"]),
            inertia=float(doc["inertia"]),
            n_samples=int(doc["n_samples"]),
            clusters=clusters,
            elbow=_elbow(doc["elbow"]),
            feature_importance=feature_importance(
                averages, sizes, predictor.mean, predictor.scale, FEATURES
            ),
        )
    )


def _elbow(doc: dict[str, Any]) -> ElbowCurve:
    return ElbowCurve(
        optimal_k=int(doc["optimal_k"]),
        k_range=tuple(int(k) for k in doc["k_range"]),
        inertias=tuple(float(v) for v in doc["inertias"]),
        silhouette_scores=tuple(float(v) for v in doc["silhouette_scores"]),
    )


def _checked(trained: TrainedModel) -> TrainedModel:
    k = trained.n_clusters
    if len(trained.names) != k or len(trained.clusters) != k:
        raise ValueError("centers and names disagree")
    return trained


def read_pointer(root: Path) -> str | None:
    """The active version, or None before the first model."""
    try:
        return (root / POINTER).read_text().strip() or None
    except FileNotFoundError:
        return None


def write_pointer(root: Path, version: str) -> None:
    """Point `current` at `version` atomically (write a temp file, then rename)."""
    root.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".current-", dir=root)
    with os.fdopen(fd, "w") as handle:
        handle.write(version)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / POINTER)
