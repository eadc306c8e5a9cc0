"""Explanations, projection, drift and comparison, checked against direct computations."""

from __future__ import annotations

import numpy as np
import pytest
from ml_service.engine.compare import Candidate, CompareParams, compare_models, recommend
from ml_service.engine.drift import (
    N_BINS,
    DriftReference,
    drift_report,
    fit_drift_reference,
    low_confidence_share,
    psi,
    psi_status,
)
from ml_service.engine.features import FEATURES
from ml_service.engine.generator import generate_customers
from ml_service.engine.model import TrainedModel
from ml_service.engine.projection import stratified_sample
from ml_service.engine.training import TrainingParams, train_segments
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA


def trained(
    rows: int = 4000, seed: int = 1, **overrides: object
) -> tuple[TrainedModel, np.ndarray]:
    base = dict(
        n_clusters=5,
        k_min=2,
        k_max=6,
        seed=7,
        silhouette_sample_size=1000,
        minibatch_threshold=50_000,
        n_init=3,
    )
    frame = generate_customers(rows, seed=seed)
    data = frame[list(FEATURES)].to_numpy(float)
    params = TrainingParams(**(base | overrides))  # type: ignore[arg-type]
    return train_segments(data, (frame.sex == "Female").to_numpy(), params), data


def labels_of(model: TrainedModel, data: np.ndarray) -> np.ndarray:
    return model.predictor.predict_many(data)[0]


class TestExplain:
    @pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "agglomerative"])
    def test_feature_importance_is_normalised_eta_squared(self, algorithm: str) -> None:
        model, data = trained(algorithm=algorithm)
        labels = labels_of(model, data)
        eta = []
        for j in range(4):
            column = data[:, j]
            within = sum(
                ((column[labels == c] - column[labels == c].mean()) ** 2).sum()
                for c in np.unique(labels)
            )
            eta.append(1 - within / ((column - column.mean()) ** 2).sum())
        expected = np.array(eta) / sum(eta)
        assert list(model.feature_importance) == list(FEATURES)
        np.testing.assert_allclose(list(model.feature_importance.values()), expected, atol=1e-9)
        assert sum(model.feature_importance.values()) == pytest.approx(1.0)

    def test_clusters_carry_their_centroid_and_distinctive_z_scores(self) -> None:
        model, data = trained()
        labels = labels_of(model, data)
        mean, std = data.mean(axis=0), data.std(axis=0)
        for stats in model.clusters:
            members = data[labels == stats.cluster_id]
            assert stats.size == len(members)
            assert stats.avg_income == round(float(members[:, 1].mean()), 2)
            centroid = model.centers[stats.cluster_id] * model.scale + model.mean
            assert stats.centroid == pytest.approx(
                dict(zip(FEATURES, centroid, strict=True)), abs=1e-4
            )
            z = (members.mean(axis=0) - mean) / std
            expected = sorted(
                (
                    (f, round(float(v), 2))
                    for f, v in zip(FEATURES, z, strict=True)
                    if abs(v) >= 0.5
                ),
                key=lambda item: -abs(item[1]),
            )
            assert [(d.feature, d.z_score) for d in stats.distinctive] == expected

    def test_names_on_income_and_spending_come_from_those_two_features(self) -> None:
        model, _ = trained(features=("annual_income", "spending_score"))
        assert model.features == ("annual_income", "spending_score")
        assert set(model.clusters[0].centroid) == {"annual_income", "spending_score"}
        assert "Loyal Customers" not in model.names and "Young Enthusiasts" not in model.names
        assert {"High Value Customers", "Potential Growth", "Budget Conscious"} <= set(model.names)
        high_value = model.clusters[model.names.index("High Value Customers")]
        assert {d.feature for d in high_value.distinctive} == {"annual_income", "spending_score"}
        assert all(d.z_score > 0 for d in high_value.distinctive)
        assert set(model.feature_importance) == {"annual_income", "spending_score"}


class TestProjection:
    def test_the_stored_pca_equals_sklearn_and_the_view_is_stratified(self) -> None:
        model, data = trained(8000, projection_sample_size=1000)
        assert model.projection is not None
        x = (data - model.mean) / model.scale
        pca = PCA(n_components=2).fit(x)
        np.testing.assert_allclose(model.projection.transform(x), pca.transform(x), atol=1e-9)
        np.testing.assert_allclose(
            model.projection.explained_variance_ratio, pca.explained_variance_ratio_
        )
        assert len(model.projection.points) == 1000
        view = model.projection_view(limit=200)
        assert view is not None
        assert view.axes == ("pc1", "pc2") and len(view.points) == 200
        shares = np.bincount([p.cluster for p in view.points], minlength=5) / 200
        sizes = np.array([c.size for c in model.clusters]) / 8000
        assert np.abs(shares - sizes).max() <= 0.01
        centroids = pca.transform(model.centers)
        assert [(c.x, c.y, c.cluster) for c in view.centroids] == [
            (pytest.approx(x, abs=1e-4), pytest.approx(y, abs=1e-4), i)
            for i, (x, y) in enumerate(centroids)
        ]

    def test_stratified_sample_keeps_every_cluster(self) -> None:
        labels = np.array([0] * 9_890 + [1] * 100 + [2] * 10)
        chosen = stratified_sample(labels, 50, seed=3)
        assert len(chosen) == 50 and len(set(chosen.tolist())) == 50
        counts = np.bincount(labels[chosen], minlength=3)
        assert counts[1] == 1 and counts[2] == 1 and counts[0] == 48
        assert len(stratified_sample(labels[:30], 50, seed=3)) == 30


class TestDrift:
    def reference(self) -> tuple[DriftReference, np.ndarray]:
        data = generate_customers(20_000, seed=11)[list(FEATURES)].to_numpy(float)
        return fit_drift_reference(data), data

    def test_training_bins_are_quantiles_and_shares_sum_to_one(self) -> None:
        reference, data = self.reference()
        assert reference.edges.shape == (4, N_BINS - 1)
        np.testing.assert_allclose(reference.proportions.sum(axis=1), 1.0)
        income = reference.edges[1]
        np.testing.assert_allclose(income, np.quantile(data[:, 1], np.arange(1, 10) / 10))
        bins = reference.bin_indices(data)
        assert bins[:, 1].tolist() == np.searchsorted(income, data[:, 1], side="right").tolist()
        assert reference.bin_indices(data[7]).tolist() == bins[7].tolist()
        assert psi(reference.proportions[1], reference.counts(data)[1]) == 0.0

    def test_customers_from_the_training_distribution_are_ok(self) -> None:
        reference, _ = self.reference()
        live = generate_customers(3000, seed=12)[list(FEATURES)].to_numpy(float)
        report = drift_report(reference, reference.counts(live), low_confidence_count=30)
        assert report.status == "ok" and report.n_predictions == 3000
        assert all(f.psi < 0.1 and f.status == "ok" for f in report.features.values())
        assert report.low_confidence_share == 0.01

    def test_shifted_incomes_drift_on_annual_income_only(self) -> None:
        reference, _ = self.reference()
        live = generate_customers(3000, seed=12)[list(FEATURES)].to_numpy(float)
        live[:, 1] = live[:, 1] * 1.6 + 25
        report = drift_report(reference, reference.counts(live), low_confidence_count=0)
        assert report.status == "drift"
        assert report.features["annual_income"].status == "drift"
        assert {f for f, d in report.features.items() if d.status != "ok"} == {"annual_income"}

    def test_fewer_than_100_predictions_is_insufficient_data(self) -> None:
        reference, _ = self.reference()
        live = generate_customers(99, seed=12)[list(FEATURES)].to_numpy(float)
        live[:, 1] += 500
        report = drift_report(reference, reference.counts(live), low_confidence_count=0)
        assert report.status == "insufficient_data" and report.n_predictions == 99
        assert all(f.status == "insufficient_data" for f in report.features.values())
        empty = drift_report(reference, np.zeros((4, N_BINS), int), low_confidence_count=0)
        assert empty.status == "insufficient_data" and empty.low_confidence_share == 0.0

    def test_psi_formula_statuses_and_low_confidence(self) -> None:
        expected = np.array([0.5, 0.5])
        assert psi(expected, np.array([80, 20])) == pytest.approx(
            0.3 * np.log(0.8 / 0.5) - 0.3 * np.log(0.2 / 0.5)
        )
        assert psi(expected, np.array([100, 0])) == pytest.approx(
            0.5 * np.log(1 / 0.5) + (1e-4 - 0.5) * np.log(1e-4 / 0.5)
        )
        assert [psi_status(v) for v in (0.0, 0.0999, 0.1, 0.2499, 0.25, 3)] == [
            "ok",
            "ok",
            "warning",
            "warning",
            "drift",
            "drift",
        ]
        assert low_confidence_share(np.array([5.0, 19.99, 20.0, 80.0])) == 0.5
        assert low_confidence_share(np.array([])) == 0.0

    def test_tied_quantiles_merge_bins(self) -> None:
        data = generate_customers(2000, seed=3)[list(FEATURES)].to_numpy(float)
        data[:, 3] = 12  # e.g. the Mall file with a filled purchase_frequency
        reference = fit_drift_reference(data, ("annual_income", "purchase_frequency"))
        assert reference.edges[1, 0] == 12 and np.isinf(reference.edges[1, 1:]).all()
        assert reference.proportions[1].tolist() == [0, 1] + [0] * 8
        report = drift_report(reference, reference.counts(data), low_confidence_count=0)
        assert report.features["purchase_frequency"].psi == 0.0 and report.status == "ok"


def blobs(k: int, rows: int = 900) -> np.ndarray:
    points, _ = make_blobs(n_samples=rows, centers=k, n_features=4, cluster_std=0.5, random_state=4)
    return points * [5, 10, 5, 10] + [50, 100, 50, 100]


class TestCompare:
    @pytest.mark.parametrize("true_k", [3, 5])
    def test_blobs_recommend_the_true_k(self, true_k: int) -> None:
        seen: list[float] = []
        comparison = compare_models(
            blobs(true_k),
            CompareParams(k_min=2, k_max=7),
            lambda fraction, _stage: seen.append(fraction),
        )
        assert comparison.recommended.k == true_k
        assert len(comparison.candidates) == 3 * 6
        assert [(c.algorithm, c.k) for c in comparison.candidates[:2]] == [
            ("kmeans", 2),
            ("kmeans", 3),
        ]
        best = [c for c in comparison.candidates if c.k == true_k]
        assert all(c.stability >= 0.95 and c.silhouette > 0.6 for c in best)
        for candidate in comparison.candidates:
            assert sum(candidate.sizes) == 900 and len(candidate.sizes) == candidate.k
            assert candidate.davies_bouldin is not None and candidate.davies_bouldin > 0
            assert candidate.calinski_harabasz is not None and candidate.calinski_harabasz > 0
        assert seen == sorted(seen) and seen[-1] == pytest.approx(0.95)

    def test_large_data_is_compared_on_a_sample(self) -> None:
        data = blobs(3, rows=3000)
        comparison = compare_models(
            data, CompareParams(k_min=2, k_max=4, algorithms=("kmeans",), sample_size=1000)
        )
        assert comparison.n_samples == 1000
        assert all(sum(c.sizes) == 1000 for c in comparison.candidates)
        assert comparison.recommended.k == 3

    def test_recommendation_prefers_stable_candidates(self) -> None:
        def candidate(algorithm: str, k: int, silhouette: float, stability: float) -> Candidate:
            return Candidate(algorithm, k, silhouette, 1.0, 10.0, stability, (1,) * k)  # type: ignore[arg-type]

        unstable_best = candidate("gmm", 6, 0.9, 0.5)
        stable = (candidate("kmeans", 3, 0.6, 0.85), candidate("agglomerative", 4, 0.7, 0.8))
        assert recommend((unstable_best, *stable)).k == 4
        assert recommend((unstable_best, candidate("kmeans", 2, 0.5, 0.3))).k == 6

    def test_bad_parameters_are_value_errors(self) -> None:
        data = blobs(3)
        with pytest.raises(ValueError, match="Unknown algorithm"):
            compare_models(data, CompareParams(algorithms=("kmeans", "spectral")))
        with pytest.raises(ValueError, match="at least one"):
            compare_models(data, CompareParams(algorithms=()))
        with pytest.raises(ValueError, match="k_min"):
            compare_models(data, CompareParams(k_min=5, k_max=3))
