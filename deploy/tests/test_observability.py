"""The compose `observability` profile: optional, wired to the services, dashboards that
query metrics the services really export. (`make compose-test` validates the profile
with `compose --profile observability config`.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import segshared.health
import segshared.streams
import yaml
from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ("jaeger", "prometheus", "grafana")
APPS = ("gateway", "auth-service", "profile-service", "ml-service")


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_profile_is_optional_and_tracing_off_by_default() -> None:
    services = compose()["services"]
    for name in OBSERVABILITY:
        assert services[name]["profiles"] == ["observability"]
    for name, service in services.items():
        if name not in OBSERVABILITY:
            assert "profiles" not in service, name  # the plain stack never needs them
    for name in APPS:
        assert services[name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == (
            "${OTEL_EXPORTER_OTLP_ENDPOINT:-}"
        )


def test_prometheus_scrapes_every_service() -> None:
    services = compose()["services"]
    ports = {name: services[name]["build"]["args"]["PORT"] for name in APPS}
    config = yaml.safe_load((ROOT / "deploy/observability/prometheus.yml").read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    assert targets == {f"{name}:{port}" for name, port in ports.items()}


def test_mounted_files_exist() -> None:
    services = compose()["services"]
    for name in OBSERVABILITY:
        for volume in services[name].get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), volume


def exported_series() -> set[str]:
    """Every series name the services' registry can export (labelled ones included)."""
    assert segshared.health.REQUESTS and segshared.streams.CONSUMER_LAG  # registered
    names = set()
    for metric in REGISTRY.collect():
        names.add(metric.name)
        names.update(sample.name for sample in metric.samples)
        if metric.type == "counter":
            names.add(metric.name + "_total")
        if metric.type == "histogram":
            names.update(metric.name + suffix for suffix in ("_bucket", "_sum", "_count"))
    return names


def test_dashboard_queries_only_exported_metrics() -> None:
    exported = exported_series()
    dashboard = json.loads(
        (ROOT / "deploy/observability/grafana/dashboards/segmentation.json").read_text()
    )
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(expressions) >= 8
    for expression in expressions:
        without_grouping = re.sub(r"by \([^)]*\)|\{[^}]*\}", "", expression)
        names = set(re.findall(r"[a-z]+(?:_[a-z]+)+", without_grouping)) - {"histogram_quantile"}
        assert names and names <= exported, (expression, names - exported)
