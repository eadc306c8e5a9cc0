"""The pure engine: k-means numpy path equals scikit-learn, determinism, auto-k, naming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from ml_service.cli import main
from ml_service.engine.features import FEATURES as INPUT_FEATURES
from ml_service.engine.generator import generate_customers
from ml_service.engine.naming import name_clusters
from ml_service.engine.predictor import Predictor, confidence
from ml_service.engine.training import TrainingParams, train_segments
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

FEATURES = ["age", "annual_income", "spending_score", "purchase_frequency"]


def params(**overrides: object) -> TrainingParams:
    base = dict(
        n_clusters=None,
        k_min=2,
        k_max=8,
        seed=7,
        silhouette_sample_size=1000,
        minibatch_threshold=50_000,
        n_init=3,
    )
    return TrainingParams(**(base | overrides))  # type: ignore[arg-type]


class TestPredictor:
    def test_numpy_path_equals_sklearn_predict_on_a_large_sample(self) -> None:
        data = generate_customers(3000, seed=1)[FEATURES].to_numpy(float)
        scaler = StandardScaler().fit(data)
        kmeans = KMeans(n_clusters=6, n_init=3, random_state=0).fit(scaler.transform(data))
        model = Predictor(
            "kmeans", INPUT_FEATURES, scaler.mean_, scaler.scale_, kmeans.cluster_centers_
        )
        rng = np.random.default_rng(3)
        sample = np.column_stack(
            [
                rng.integers(18, 101, 100_000),
                rng.uniform(0, 300, 100_000),
                rng.integers(1, 101, 100_000),
                rng.integers(0, 366, 100_000),
            ]
        ).astype(float)
        expected = kmeans.predict(scaler.transform(sample))
        labels, confidences = model.predict_many(sample)
        assert np.array_equal(labels, expected)
        assert ((confidences >= 0) & (confidences <= 100)).all()
        for row in sample[:2000]:
            cluster, _ = model.predict_one(tuple(row))
            assert cluster == kmeans.predict(scaler.transform(row[None, :]))[0]

    def test_confidence_formula(self) -> None:
        assert confidence(1.0, 4.0) == 75.0
        assert confidence(2.0, 2.0) == 0.0
        assert confidence(0.0, 3.0) == 100.0
        assert confidence(1.0, 3.0) == 66.67


class TestTraining:
    def test_auto_k_finds_the_true_number_of_blobs(self) -> None:
        blobs, _ = make_blobs(
            n_samples=1200, centers=4, n_features=4, cluster_std=0.4, random_state=2
        )
        data = blobs * [5, 10, 5, 10] + [50, 100, 50, 100]
        result = train_segments(data, np.zeros(len(data), bool), params())
        assert result.n_clusters == 4 == result.elbow.optimal_k
        assert result.elbow.k_range == tuple(range(2, 9))
        assert len(result.elbow.inertias) == len(result.elbow.silhouette_scores) == 7

    def test_same_data_and_seed_give_the_same_model(self) -> None:
        frame = generate_customers(1500, seed=5)
        data, female = frame[FEATURES].to_numpy(float), (frame.sex == "Female").to_numpy()
        first = train_segments(data, female, params())
        second = train_segments(data, female, params())
        assert np.array_equal(first.centers, second.centers)
        assert first.names == second.names

    def test_fixed_k_still_computes_the_elbow(self) -> None:
        frame = generate_customers(1000, seed=5)
        result = train_segments(
            frame[FEATURES].to_numpy(float),
            (frame.sex == "Female").to_numpy(),
            params(n_clusters=3, k_min=2, k_max=5),
        )
        assert result.n_clusters == 3 and len(result.clusters) == 3
        assert result.elbow.k_range == (2, 3, 4, 5)
        stats = result.clusters
        assert sum(c.size for c in stats) == 1000
        assert round(sum(c.percentage for c in stats)) == 100
        assert all(abs(sum(c.sex_ratio.values()) - 1) < 1e-6 for c in stats)

    def test_large_data_uses_minibatches(self) -> None:
        frame = generate_customers(12_000, seed=9)
        result = train_segments(
            frame[FEATURES].to_numpy(float),
            (frame.sex == "Female").to_numpy(),
            params(minibatch_threshold=10_000, k_max=6),
        )
        assert result.n_samples == 12_000 and 2 <= result.n_clusters <= 6


class TestNaming:
    def test_names_are_unique_and_follow_the_rule(self) -> None:
        mean, std = np.array([40, 60, 50, 30.0]), np.array([10, 20, 20, 15.0])
        centers = np.array(
            [
                [40, 100, 90, 30],
                [40, 100, 10, 30],
                [40, 20, 10, 30],
                [22, 60, 90, 30],
                [40, 60, 50, 90],
                [40, 60, 50, 2],
                [40, 20, 90, 30],
                [70, 60, 10, 30],
                [40, 60, 50, 30],
                [41, 61, 51, 31],
                [39, 59, 49, 29],
            ],
            dtype=float,
        )
        names = [n for n, _ in name_clusters(centers, mean, std)]
        assert names[:6] == [
            "High Value Customers",
            "Potential Growth",
            "Budget Conscious",
            "Young Enthusiasts",
            "Loyal Customers",
            "Occasional Buyers",
        ]
        assert len(set(names)) == len(names)
        assert sum(n.startswith("Mixed Segment") for n in names) == 2


class TestGeneratorCli:
    def test_cli_writes_a_deterministic_dataset(self, tmp_path: Path) -> None:

        first, second = tmp_path / "a.csv", tmp_path / "b.csv"
        assert main(["generate", "--rows", "300", "--seed", "3", "--out", str(first)]) == 0
        main(["generate", "--rows", "300", "--seed", "3", "--out", str(second)])
        frame = pd.read_csv(first)
        assert list(frame.columns) == [
            "customer_id",
            "sex",
            "age",
            "annual_income",
            "spending_score",
            "purchase_frequency",
        ]
        assert len(frame) == 300 and first.read_bytes() == second.read_bytes()
        assert frame.age.between(18, 100).all() and frame.spending_score.between(1, 100).all()
