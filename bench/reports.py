"""How long the segment reports take for a 15-cluster model (target: <= 2 s each).

`uv run --frozen python bench/reports.py` trains a 15-cluster k-means on 5,000 generated
customers in-process, then builds each report 5 times (what the route runs in its worker
thread) and prints the median and the worst time, and the document's size.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ml_service.engine.generator import generate_customers
from ml_service.engine.training import TrainingParams, train_segments
from ml_service.reports.data import report_data
from ml_service.reports.pdf import build_pdf
from ml_service.reports.xlsx import build_xlsx
from ml_service.serving import registry
from ml_service.training.datasets import load_training_arrays

RUNS = 5
TARGET_SECONDS = 2.0


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate_customers(5_000, 42).to_csv(root / "customers.csv", index=False)
        features, female = load_training_arrays(root / "customers.csv")
        params = TrainingParams(
            n_clusters=15,
            k_min=2,
            k_max=15,
            seed=42,
            silhouette_sample_size=2_000,
            minibatch_threshold=50_000,
            n_init=3,
        )
        trained = train_segments(features, female, params)
        publication = registry.Publication(None, None, datetime.now(UTC), 0.0)
        registry.write_version(root, "v15-bench", trained, publication)
        started = time.perf_counter()
        data = report_data(registry.load_version(root, "v15-bench"), active=True)
        print(
            f"load model v15-bench ({data.n_clusters} clusters): "
            f"{time.perf_counter() - started:.3f} s"
        )
        worst = 0.0
        for name, build in (("xlsx", build_xlsx), ("pdf", build_pdf)):
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                document = build(data)
                times.append(time.perf_counter() - started)
            worst = max(worst, max(times))
            print(
                f"{name}: median {statistics.median(times):.3f} s, worst {max(times):.3f} s "
                f"over {RUNS} runs, {len(document) / 1024:.0f} KiB"
            )
    verdict = "within" if worst <= TARGET_SECONDS else "OVER"
    print(f"{verdict} the {TARGET_SECONDS:g} s target")
    return 0 if worst <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
