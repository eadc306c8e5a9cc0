"""Drift of the customers being predicted: rolling histograms in Redis, reports, the check.

Every prediction adds one count per feature to the bin (the model's stored training
quantile bins, `engine.drift`) its value falls in, in a Redis hash per model version
and UTC day (`ml:drift:<version>:<YYYYMMDD>`, kept `HISTOGRAM_DAYS` days). A report
for the last `days` days sums those hashes and computes the PSI per feature.

Why a histogram here rather than reading history from profile-service: the bins are
the model's own, so the counting belongs where the model is; a report costs `days`
HGETALLs of at most 42 fields instead of shipping and re-binning every customer of the
window across services (a million predictions a day would be a million rows); batch
predictions, which history records only as one summary row, count row by row; and
predicting adds only a few HINCRBYs to the round trip it already makes. The price:
counts start when this code ships (earlier predictions are not binned), and a model's
window only holds what it predicted itself, which is what its drift means.

The periodic check (`check_active_model`) runs on one replica at a time (a Redis lock
per interval), stores the last status of each version, and calls `_on_drift` once
when a version's status becomes `drift` (not again until it changes and comes back).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from prometheus_client import Gauge
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ml_service.engine.drift import N_BINS, DriftReport, drift_report, is_low_confidence
from ml_service.engine.predictor import SegmentModel
from ml_service.tables import DriftCheck
from ml_service.webhooks.events import DriftDetected, raise_event

logger = logging.getLogger("ml_service.drift")

HISTOGRAM_DAYS = 90
_TTL_SECONDS = (HISTOGRAM_DAYS + 1) * 86_400
CHECK_LOCK = "ml:drift-check-lock"

FEATURE_PSI = Gauge(
    "ml_feature_psi",
    "PSI of each feature of a model over the last drift report's window",
    ["model_version", "feature"],
)


def histogram_key(version: str, day: date) -> str:
    """The Redis hash of one model version's predictions on one UTC day."""
    return f"ml:drift:{version}:{day:%Y%m%d}"


@dataclass(frozen=True, eq=False)
class DriftCounts:
    """Histogram increments from some predictions of one model: (d, N_BINS) counts."""

    version: str
    counts: np.ndarray
    low_confidence: int
    n: int


def counts_of(model: SegmentModel, rows: np.ndarray, confidences: np.ndarray) -> DriftCounts | None:
    """Bins of (n, 4) predicted rows; None for models without training bins (or no rows)."""
    reference = model.trained.drift_reference
    if reference is None or len(rows) == 0:
        return None
    low = int(np.count_nonzero(np.asarray(confidences) < 20.0))
    return DriftCounts(model.version, reference.counts(rows), low, len(rows))


def count_one(
    model: SegmentModel, values: tuple[float, float, float, float], confidence: float
) -> DriftCounts | None:
    """Bins of one predicted customer (the single-prediction path, no (n, 4) array)."""
    reference = model.trained.drift_reference
    if reference is None:
        return None
    bins = reference.bin_indices(np.asarray(values, dtype=np.float64))
    counts = np.zeros((len(bins), N_BINS), dtype=np.int64)
    counts[np.arange(len(bins)), bins] = 1
    return DriftCounts(model.version, counts, int(is_low_confidence(confidence)), 1)


def add_counts(pipe: Pipeline, counts: DriftCounts, today: date | None = None) -> None:
    """Queue the increments on `pipe` (the caller's round trip)."""
    key = histogram_key(counts.version, today or datetime.now(UTC).date())
    for j, b in zip(*np.nonzero(counts.counts), strict=True):
        pipe.hincrby(key, f"{j}:{b}", int(counts.counts[j, b]))
    pipe.hincrby(key, "n", counts.n)
    if counts.low_confidence:
        pipe.hincrby(key, "low", counts.low_confidence)
    pipe.expire(key, _TTL_SECONDS)


async def window_report(redis: Redis, model: SegmentModel, days: int) -> DriftReport | None:
    """The drift of `model` over the last `days` UTC days (today included); None without bins."""
    reference = model.trained.drift_reference
    if reference is None:
        return None
    today = datetime.now(UTC).date()
    async with redis.pipeline(transaction=False) as pipe:
        for back in range(days):
            pipe.hgetall(histogram_key(model.version, today - timedelta(days=back)))
        hashes = await pipe.execute()
    counts = np.zeros_like(reference.proportions, dtype=np.int64)
    low = 0
    for fields in hashes:
        for name, value in fields.items():
            if name == "low":
                low += int(value)
            elif name != "n":
                j, b = name.split(":")
                counts[int(j), int(b)] += int(value)
    report = drift_report(reference, counts, low)
    for feature, drift in report.features.items():
        FEATURE_PSI.labels(model.version, feature).set(drift.psi)
    return report


async def _on_drift(session: AsyncSession, version: str, report: DriftReport, days: int) -> None:
    """A model's status just became `drift`: the one place `drift.detected` is raised.

    Runs inside the transaction that stores the new status, so the outbox event commits
    with it (exactly once per change to `drift`).
    """
    drifting = sorted(f for f, d in report.features.items() if d.status == "drift")
    logger.warning("drift detected on model %s: %s", version, ", ".join(drifting))
    psi = {name: d.psi for name, d in report.features.items()}
    event = DriftDetected(version, days, report.n_predictions, psi)
    await raise_event(session, event)


async def record_check(session: AsyncSession, version: str, report: DriftReport, days: int) -> bool:
    """Store the status of a check; True (and `_on_drift` called) when it became `drift`."""
    report_json = report_document(report, days)
    row = await session.get(DriftCheck, version, with_for_update=True)
    previous = row.status if row is not None else None
    if row is None:
        row = DriftCheck(model_version=version, status=report.status, report=report_json)
        session.add(row)
    row.status, row.report, row.checked_at = report.status, report_json, datetime.now(UTC)
    became_drift = report.status == "drift" and previous != "drift"
    if became_drift:
        await _on_drift(session, version, report, days)
    return became_drift


async def check_active_model(
    redis: Redis,
    sessionmaker: async_sessionmaker[AsyncSession],
    model: SegmentModel | None,
    days: int,
    lock_seconds: float,
    owner: str,
) -> DriftReport | None:
    """One periodic check: only the replica that takes this interval's lock runs it."""
    if model is None or model.trained.drift_reference is None:
        return None
    if not await redis.set(CHECK_LOCK, owner, nx=True, px=max(int(lock_seconds * 1000), 1)):
        return None
    report = await window_report(redis, model, days)
    assert report is not None
    async with sessionmaker() as session, session.begin():
        await record_check(session, model.version, report, days)
    return report


def report_document(report: DriftReport, days: int) -> dict[str, object]:
    """The report as `GET /models/{version}/drift` answers it (without the version)."""
    return {
        "window_days": days,
        "n_predictions": report.n_predictions,
        "features": {
            name: {"psi": d.psi, "status": d.status} for name, d in report.features.items()
        },
        "low_confidence_share": report.low_confidence_share,
        "status": report.status,
    }
