"""Model artifacts on disk: `MODEL_DIR/versions/<version>/` and the `current` pointer.

A version is written to a temp dir and renamed into place (atomic); the pointer is a
small file replaced atomically. Loading verifies the artifact's SHA-256, so a corrupt
or truncated artifact is refused instead of served.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ml_service.engine.predictor import SegmentModel

ARRAYS = "model.npz"
METADATA = "metadata.json"
POINTER = "current"


class ArtifactError(Exception):
    """The artifact is missing, truncated or fails its checksum."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def versions_dir(root: Path) -> Path:
    return root / "versions"


def write_version(
    root: Path, version: str, trained: dict[str, Any], metadata: dict[str, Any]
) -> str:
    """Write a version atomically; returns the artifact's SHA-256."""
    buffer = io.BytesIO()
    np.savez(buffer, mean=trained["mean"], scale=trained["scale"], centers=trained["centers"])
    payload = buffer.getvalue()
    checksum = _sha256(payload)
    target = versions_dir(root) / version
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
    try:
        (staging / ARRAYS).write_bytes(payload)
        document = {**metadata, "version": version, "sha256": checksum, "names": trained["names"]}
        (staging / METADATA).write_text(json.dumps(document, default=str))
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
    if _sha256(payload) != metadata.get("sha256"):
        raise ArtifactError(f"{version}: checksum mismatch")
    try:
        arrays = np.load(io.BytesIO(payload))
        model = SegmentModel(
            version=version,
            mean=arrays["mean"],
            scale=arrays["scale"],
            centers=arrays["centers"],
            names=tuple(metadata["names"]),
            metadata=metadata,
        )
    except (KeyError, ValueError, OSError) as exc:
        raise ArtifactError(f"{version}: malformed artifact ({exc})") from exc
    if model.centers.shape != (len(model.names), 4):
        raise ArtifactError(f"{version}: centers and names disagree")
    return model


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
