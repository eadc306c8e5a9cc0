"""Each algorithm: the numpy predictor equals scikit-learn on 100k rows, auto-k, Ward, inertia."""

from __future__ import annotations

import numpy as np
import pytest
from ml_service.engine.algorithms import (
    AgglomerativeFitter,
    FitOptions,
    Scaling,
    cut_tree,
    ward_tree,
    within_cluster_ss,
)
from ml_service.engine.features import FEATURES
from ml_service.engine.generator import generate_customers
from ml_service.engine.model import TrainedModel
from ml_service.engine.training import TrainingParams, train_segments
from sklearn.cluster import AgglomerativeClustering
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, pairwise_distances_argmin
from sklearn.mixture import GaussianMixture


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


def train(rows: int = 3000, seed: int = 1, **overrides: object) -> tuple[TrainedModel, np.ndarray]:
    frame = generate_customers(rows, seed=seed)
    data = frame[list(FEATURES)].to_numpy(float)
    return train_segments(data, (frame.sex == "Female").to_numpy(), params(**overrides)), data


def random_customers(rows: int, seed: int) -> np.ndarray:
    """Rows spread over the whole input ranges, far outliers included."""
    rng = np.random.default_rng(seed)
    return np.column_stack(
        [
            rng.integers(18, 101, rows),
            rng.uniform(0, 300, rows),
            rng.integers(1, 101, rows),
            rng.integers(0, 366, rows),
        ]
    ).astype(float)


def sklearn_mixture(model: TrainedModel) -> GaussianMixture:
    """A scikit-learn GaussianMixture holding the trained model's parameters."""
    assert model.mixture is not None
    mixture = GaussianMixture(n_components=model.n_clusters, covariance_type="full")
    mixture.weights_ = model.mixture.weights
    mixture.means_ = model.mixture.means
    mixture.precisions_cholesky_ = model.mixture.precisions_cholesky
    return mixture


def scaled(model: TrainedModel, rows: np.ndarray) -> np.ndarray:
    columns = [FEATURES.index(f) for f in model.features]
    return (rows[:, columns] - model.mean) / model.scale


class TestParityWithScikitLearn:
    def test_gmm_labels_and_posteriors_equal_sklearn_on_100k_rows(self) -> None:
        model, _ = train(algorithm="gmm", n_clusters=5, k_max=6)
        mixture = sklearn_mixture(model)
        sample = np.vstack([random_customers(100_000, 3), [[100, 10_000, 100, 365], [18, 0, 1, 0]]])
        x = scaled(model, sample)
        labels, confidences = model.predictor.predict_many(sample)
        assert np.array_equal(labels, mixture.predict(x))
        expected = mixture.predict_proba(x)
        posteriors = model.predictor.posteriors(sample)
        assert np.isfinite(posteriors).all()
        np.testing.assert_allclose(posteriors, expected, rtol=0, atol=1e-9)
        assert np.abs(confidences - expected.max(axis=1) * 100).max() <= 0.005 + 1e-9
        for row, label, conf in zip(sample[:2000], labels[:2000], confidences[:2000], strict=True):
            assert model.predictor.predict_one(tuple(row)) == (label, conf)

    def test_agglomerative_predicts_the_nearest_centroid_as_sklearn_does(self) -> None:
        model, _ = train(algorithm="agglomerative", features=("annual_income", "spending_score"))
        sample = random_customers(100_000, 4)
        labels, confidences = model.predictor.predict_many(sample)
        assert np.array_equal(
            labels, pairwise_distances_argmin(scaled(model, sample), model.centers)
        )
        assert ((confidences >= 0) & (confidences <= 100)).all()
        for row, label, conf in zip(sample[:2000], labels[:2000], confidences[:2000], strict=True):
            assert model.predictor.predict_one(tuple(row)) == (label, conf)

    def test_kmeans_on_a_feature_subset_uses_only_those_columns(self) -> None:
        model, _ = train(features=("spending_score", "age"), n_clusters=4)
        assert model.features == ("age", "spending_score")
        sample = random_customers(100_000, 5)
        labels, _ = model.predictor.predict_many(sample)
        assert np.array_equal(
            labels, pairwise_distances_argmin(scaled(model, sample), model.centers)
        )
        changed = sample.copy()
        changed[:, [1, 3]] = np.random.default_rng(6).uniform(0, 300, (len(sample), 2))
        assert np.array_equal(model.predictor.predict_many(changed)[0], labels)


class TestWard:
    def test_the_tree_cut_equals_sklearn_agglomerative_clustering(self) -> None:
        data = generate_customers(1500, seed=8)[list(FEATURES)].to_numpy(float)
        x = (data - data.mean(axis=0)) / data.std(axis=0)
        tree = ward_tree(x)
        for k in range(2, 11):
            ours = cut_tree(tree, k)
            assert len(np.unique(ours)) == k
            reference = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x)
            assert adjusted_rand_score(reference, ours) == 1.0

    def test_fits_on_at_most_the_configured_sample(self) -> None:
        data = generate_customers(3000, seed=2)[list(FEATURES)].to_numpy(float)
        x = (data - data.mean(axis=0)) / data.std(axis=0)
        scaling = Scaling(FEATURES, data.mean(axis=0), data.std(axis=0))
        fitter = AgglomerativeFitter(x, scaling, FitOptions(seed=1, agglomerative_sample_size=700))
        assert fitter.rows.shape == (700, 4)
        fitted = fitter.fit(4)
        ward = AgglomerativeClustering(n_clusters=4, linkage="ward").fit_predict(fitter.rows)
        expected = sorted(tuple(np.round(fitter.rows[ward == c].mean(axis=0), 9)) for c in range(4))
        assert sorted(tuple(np.round(c, 9)) for c in fitted.predictor.centers) == expected


class TestTrainingEachAlgorithm:
    @pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "agglomerative"])
    def test_auto_k_finds_the_true_number_of_blobs(self, algorithm: str) -> None:
        blobs, _ = make_blobs(
            n_samples=1200, centers=4, n_features=4, cluster_std=0.4, random_state=2
        )
        data = blobs * [5, 10, 5, 10] + [50, 100, 50, 100]
        result = train_segments(data, np.zeros(len(data), bool), params(algorithm=algorithm))
        assert result.algorithm == algorithm
        assert result.n_clusters == 4 == result.elbow.optimal_k
        assert len(result.elbow.inertias) == 7

    @pytest.mark.parametrize("algorithm", ["gmm", "agglomerative"])
    def test_inertia_is_the_within_cluster_sum_of_squares_of_the_labels(
        self, algorithm: str
    ) -> None:
        model, data = train(algorithm=algorithm, n_clusters=5, k_min=4, k_max=6)
        x = scaled(model, data)
        labels = model.predictor.labels_scaled(x)
        direct = sum(((x[labels == c] - x[labels == c].mean(axis=0)) ** 2).sum() for c in range(5))
        assert model.inertia == pytest.approx(direct, abs=5e-5)  # reported to 4 decimals
        assert within_cluster_ss(x, labels, 5) == pytest.approx(direct, rel=1e-9)
        assert model.elbow.inertias[1] == model.inertia
        inertias = model.elbow.inertias
        assert inertias[0] > inertias[2]  # more clusters, tighter

    def test_gmm_fits_on_a_sample_and_labels_every_row(self) -> None:
        model, data = train(4000, algorithm="gmm", n_clusters=5, k_max=5, gmm_sample_size=1000)
        assert model.n_samples == 4000 and sum(c.size for c in model.clusters) == 4000
        labels, _ = model.predictor.predict_many(data)
        assert [c.size for c in model.clusters] == np.bincount(labels, minlength=5).tolist()

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"algorithm": "dbscan"}, "Unknown algorithm"),
            ({"features": ("age",)}, "at least 2"),
            ({"features": ("age", "height")}, "Unknown features"),
        ],
    )
    def test_bad_parameters_are_value_errors(self, overrides: dict, message: str) -> None:
        data = generate_customers(100, seed=1)[list(FEATURES)].to_numpy(float)
        with pytest.raises(ValueError, match=message):
            train_segments(data, np.zeros(100, bool), params(**overrides))
