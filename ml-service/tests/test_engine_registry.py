"""Artifacts: every algorithm round-trips; old (pre-format-2) artifacts still load and predict."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ml_service.engine.features import FEATURES
from ml_service.engine.generator import generate_customers
from ml_service.engine.model import TrainedModel
from ml_service.engine.naming import name_clusters
from ml_service.engine.training import TrainingParams, train_segments
from ml_service.serving import registry
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

PUBLICATION = registry.Publication(
    dataset_id=3, trained_by=9, trained_at=datetime(2026, 1, 2, tzinfo=UTC), duration_seconds=1.5
)


def train(algorithm: str, features: tuple[str, ...] = FEATURES) -> TrainedModel:
    frame = generate_customers(2000, seed=4)
    params = TrainingParams(
        n_clusters=4,
        k_min=2,
        k_max=5,
        seed=1,
        silhouette_sample_size=500,
        minibatch_threshold=50_000,
        n_init=2,
        algorithm=algorithm,
        features=features,
    )
    return train_segments(
        frame[list(FEATURES)].to_numpy(float), (frame.sex == "Female").to_numpy(), params
    )


def write_legacy_version(
    root: Path, version: str, rows: int = 1500
) -> tuple[KMeans, StandardScaler]:
    """An artifact exactly as the registry wrote it before format 2 (the seed's writer)."""
    frame = generate_customers(rows, seed=6)
    features = frame[list(FEATURES)].to_numpy(float)
    female = (frame.sex == "Female").to_numpy()
    scaler = StandardScaler().fit(features)
    kmeans = KMeans(n_clusters=4, n_init=3, random_state=0).fit(scaler.transform(features))
    labels = kmeans.labels_
    centers = scaler.inverse_transform(kmeans.cluster_centers_)
    names = name_clusters(centers, features.mean(axis=0), features.std(axis=0))
    clusters = []
    for cluster, (name, description) in enumerate(names):
        mask = labels == cluster
        means = features[mask].mean(axis=0)
        clusters.append(
            {
                "cluster_id": cluster,
                "cluster_name": name,
                "description": description,
                "size": int(mask.sum()),
                "percentage": round(mask.sum() / rows * 100, 2),
                "avg_age": round(float(means[0]), 2),
                "avg_income": round(float(means[1]), 2),
                "avg_spending_score": round(float(means[2]), 2),
                "avg_purchase_frequency": round(float(means[3]), 2),
                "sex_ratio": {
                    "Female": round(float(female[mask].mean()), 4),
                    "Male": round(1 - float(female[mask].mean()), 4),
                },
            }
        )
    buffer = io.BytesIO()
    np.savez(buffer, mean=scaler.mean_, scale=scaler.scale_, centers=kmeans.cluster_centers_)
    payload = buffer.getvalue()
    metadata = {
        "n_clusters": 4,
        "silhouette_score": 0.41,
        "inertia": float(kmeans.inertia_),
        "n_samples": rows,
        "clusters": clusters,
        "elbow": {
            "optimal_k": 4,
            "k_range": [2, 3, 4],
            "inertias": [3.0, 2.0, 1.0],
            "silhouette_scores": [0.3, 0.35, 0.41],
        },
        "dataset_id": None,
        "trained_by": 1,
        "trained_at": "2025-12-01T00:00:00+00:00",
        "duration_seconds": 0.5,
    }
    target = registry.versions_dir(root) / version
    target.mkdir(parents=True)
    (target / registry.ARRAYS).write_bytes(payload)
    document = {
        **metadata,
        "version": version,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "names": [n for n, _ in names],
    }
    (target / registry.METADATA).write_text(json.dumps(document, default=str))
    return kmeans, scaler


def inputs(rows: int, seed: int) -> np.ndarray:
    return generate_customers(rows, seed=seed)[list(FEATURES)].to_numpy(float)


class TestRoundTrip:
    @pytest.mark.parametrize(
        ("algorithm", "features"),
        [
            ("kmeans", FEATURES),
            ("gmm", FEATURES),
            ("agglomerative", ("annual_income", "spending_score")),
            ("gmm", ("age", "spending_score", "purchase_frequency")),
        ],
    )
    def test_a_published_model_loads_whole_and_predicts_the_same(
        self, tmp_path: Path, algorithm: str, features: tuple[str, ...]
    ) -> None:
        trained = train(algorithm, features)
        checksum = registry.write_version(tmp_path, "v1-test", trained, PUBLICATION)
        loaded = registry.load_version(tmp_path, "v1-test")
        assert loaded.version == "v1-test" and loaded.metadata["sha256"] == checksum
        model = loaded.trained
        assert (model.algorithm, model.features) == (algorithm, features)
        rows = inputs(5000, 8)
        for got, want in zip(
            loaded.predict_many(rows), trained.predictor.predict_many(rows), strict=True
        ):
            assert np.array_equal(got, want)
        assert loaded.predict_one(tuple(rows[0])) == trained.predictor.predict_one(tuple(rows[0]))
        assert model.names == trained.names and model.descriptions == trained.descriptions
        assert model.clusters == trained.clusters and model.elbow == trained.elbow
        assert model.feature_importance == trained.feature_importance
        assert (model.silhouette_score, model.inertia, model.n_samples) == (
            trained.silhouette_score,
            trained.inertia,
            trained.n_samples,
        )
        assert model.projection is not None and trained.projection is not None
        for field in dataclasses.fields(model.projection):
            assert np.array_equal(
                getattr(model.projection, field.name), getattr(trained.projection, field.name)
            )
        assert model.drift_reference is not None and trained.drift_reference is not None
        assert np.array_equal(model.drift_reference.edges, trained.drift_reference.edges)
        assert np.array_equal(
            model.drift_reference.proportions, trained.drift_reference.proportions
        )
        # What /clusters and /elbow read from the stored document.
        assert loaded.metadata["n_samples"] == 2000 and loaded.metadata["elbow"]["k_range"] == [
            2,
            3,
            4,
            5,
        ]
        assert loaded.metadata["clusters"][0]["avg_income"] == trained.clusters[0].avg_income
        assert loaded.metadata["trained_by"] == 9

    def test_the_checksum_covers_the_metadata_too(self, tmp_path: Path) -> None:
        registry.write_version(tmp_path, "v2-test", train("kmeans"), PUBLICATION)
        path = registry.versions_dir(tmp_path) / "v2-test" / registry.METADATA
        document: dict[str, Any] = json.loads(path.read_text())
        document["features"] = ["age", "annual_income", "spending_score"]
        path.write_text(json.dumps(document))
        with pytest.raises(registry.ArtifactError, match="checksum"):
            registry.load_version(tmp_path, "v2-test")

    def test_a_truncated_array_file_is_refused(self, tmp_path: Path) -> None:
        registry.write_version(tmp_path, "v3-test", train("gmm"), PUBLICATION)
        arrays = registry.versions_dir(tmp_path) / "v3-test" / registry.ARRAYS
        arrays.write_bytes(arrays.read_bytes()[:-100])
        with pytest.raises(registry.ArtifactError):
            registry.load_version(tmp_path, "v3-test")


class TestOldArtifacts:
    def test_an_artifact_from_before_the_change_loads_and_predicts_as_kmeans(
        self, tmp_path: Path
    ) -> None:
        kmeans, scaler = write_legacy_version(tmp_path, "v1-old")
        loaded = registry.load_version(tmp_path, "v1-old")
        model = loaded.trained
        assert (model.algorithm, model.features, model.n_clusters) == ("kmeans", FEATURES, 4)
        rows = inputs(100_000, 9)
        labels, confidences = loaded.predict_many(rows)
        assert np.array_equal(labels, kmeans.predict(scaler.transform(rows)))
        assert ((confidences >= 0) & (confidences <= 100)).all()
        assert loaded.predict_one(tuple(rows[0]))[0] == labels[0]
        assert model.projection is None and model.drift_reference is None
        assert model.projection_view(100) is None
        assert model.names == tuple(loaded.metadata["names"])
        assert model.elbow.k_range == (2, 3, 4)

    def test_its_explanation_is_derived_from_what_it_stored(self, tmp_path: Path) -> None:
        kmeans, scaler = write_legacy_version(tmp_path, "v1-old")
        model = registry.load_version(tmp_path, "v1-old").trained
        stored = json.loads(
            (registry.versions_dir(tmp_path) / "v1-old" / registry.METADATA).read_text()
        )
        for stats, item in zip(model.clusters, stored["clusters"], strict=True):
            assert stats.size == item["size"] and stats.avg_income == item["avg_income"]
            centroid = scaler.inverse_transform(kmeans.cluster_centers_)[stats.cluster_id]
            assert list(stats.centroid.values()) == pytest.approx(centroid, abs=1e-4)
            z = (
                np.array(
                    [
                        item["avg_age"],
                        item["avg_income"],
                        item["avg_spending_score"],
                        item["avg_purchase_frequency"],
                    ]
                )
                - scaler.mean_
            ) / scaler.scale_
            assert {d.feature: d.z_score for d in stats.distinctive} == {
                f: round(float(v), 2) for f, v in zip(FEATURES, z, strict=True) if abs(v) >= 0.5
            }
        assert sum(model.feature_importance.values()) == pytest.approx(1.0)
        assert model.feature_importance["purchase_frequency"] > 0
