"""deploy/k8s: every overlay renders, is valid Kubernetes (strict) and keeps the rules."""

from __future__ import annotations

import copy
import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("k8s_check", ROOT / "deploy" / "k8s" / "check.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["k8s_check"] = module
    spec.loader.exec_module(module)
    return module


check = _load_check()
OVERLAYS = {path.name: path for path in check.overlays()}


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    return tuple(check.render(OVERLAYS[overlay]))


def docs(overlay: str) -> list[dict[str, Any]]:
    """A private copy of the rendered overlay, free to change."""
    return copy.deepcopy(list(rendered(overlay)))


def find(items: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(d for d in items if d["kind"] == kind and d["metadata"]["name"] == name)


def test_the_overlays_are_dev_and_prod() -> None:
    assert set(OVERLAYS) == {"dev", "prod"}


@pytest.mark.parametrize("version", check.KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_overlay_is_valid_kubernetes(overlay: str, version: str) -> None:
    assert check.schema_problems(docs(overlay), version) == []


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_overlay_keeps_the_invariants(overlay: str) -> None:
    assert check.invariant_problems(docs(overlay)) == []


class TestOverlays:
    def test_prod_autoscales_the_gateway_and_ml_and_bounds_disruption(self) -> None:
        prod = docs("prod")
        scaled = {
            d["spec"]["scaleTargetRef"]["name"]
            for d in prod
            if d["kind"] == "HorizontalPodAutoscaler"
        }
        assert scaled == {"gateway", "ml-service"}
        budgets = {d["metadata"]["name"] for d in prod if d["kind"] == "PodDisruptionBudget"}
        assert budgets == {"gateway", "auth-service", "profile-service", "ml-service"}
        assert not [d for d in prod if d["kind"] in ("StatefulSet", "Secret")]  # all external
        assert find(prod, "ConfigMap", "segmentation-config")["data"]["ENVIRONMENT"] == "production"
        assert find(prod, "Ingress", "gateway")["spec"]["tls"]

    def test_dev_runs_one_replica_beside_its_own_datastores(self) -> None:
        dev = docs("dev")
        replicas = {
            d["metadata"]["name"]: d["spec"]["replicas"] for d in dev if d["kind"] == "Deployment"
        }
        assert replicas == dict.fromkeys(
            ("gateway", "auth-service", "profile-service", "ml-service"), 1
        )
        assert {d["metadata"]["name"] for d in dev if d["kind"] == "StatefulSet"} == {
            "postgres",
            "redis",
        }
        assert not [d for d in dev if d["kind"] == "HorizontalPodAutoscaler"]
        redis = find(dev, "StatefulSet", "redis")["spec"]["template"]["spec"]["containers"][0]
        assert "--requirepass" in redis["args"]

    def test_services_use_their_own_database_role_secret(self) -> None:
        for name in ("auth-service", "profile-service", "ml-service"):
            pod = find(docs("prod"), "Deployment", name)["spec"]["template"]["spec"]
            refs = {
                e["secretRef"]["name"] for e in pod["containers"][0]["envFrom"] if "secretRef" in e
            }
            # ml-service alone also gets the keys that encrypt webhook secrets.
            own = {"ml-service-webhooks"} if name == "ml-service" else set()
            assert refs == {"segmentation", f"{name}-db", *own}

    def test_only_the_gateway_is_open_to_other_namespaces(self) -> None:
        policies = {
            d["metadata"]["name"]: d["spec"] for d in docs("prod") if d["kind"] == "NetworkPolicy"
        }
        open_to_all = [
            name
            for name, spec in policies.items()
            if any("from" not in rule for rule in spec.get("ingress", []))
        ]
        assert open_to_all == ["gateway"]


class TestTheChecksCanFail:
    """Each rule, broken on purpose, is reported."""

    def test_a_missing_probe_limit_or_hardening(self) -> None:
        prod = docs("prod")
        container = find(prod, "Deployment", "profile-service")["spec"]["template"]["spec"][
            "containers"
        ][0]
        del container["livenessProbe"]
        del container["resources"]["limits"]
        container["securityContext"]["readOnlyRootFilesystem"] = False
        container["image"] = "segmentation/profile-service:latest"
        problems = check.invariant_problems(prod)
        where = "Deployment/profile-service container app"
        assert f"{where}: no livenessProbe" in problems
        assert f"{where}: no cpu and memory limits" in problems
        assert f"{where}: the root filesystem is writable" in problems
        assert f"{where}: image segmentation/profile-service:latest has no fixed tag" in problems

    def test_a_service_without_a_network_policy(self) -> None:
        prod = docs("prod")
        for doc in prod:
            if doc["kind"] == "NetworkPolicy" and doc["metadata"]["name"] == "services":
                doc["spec"]["podSelector"] = {"matchLabels": {"app.kubernetes.io/name": "nothing"}}
        problems = check.invariant_problems(prod)
        assert (
            "Service/ml-service: Deployment/ml-service is covered by no NetworkPolicy" in problems
        )

    def test_a_service_that_does_not_wait_for_migrations(self) -> None:
        prod = docs("prod")
        del find(prod, "Deployment", "auth-service")["spec"]["template"]["spec"]["initContainers"]
        problems = check.invariant_problems(prod)
        assert "Deployment/auth-service: starts without waiting for its migrations" in problems

    def test_an_unknown_field_fails_strict_validation(self) -> None:
        prod = docs("prod")
        find(prod, "Deployment", "gateway")["spec"]["template"]["spec"]["containers"][0][
            "memoryLimit"
        ] = "1Gi"
        problems = check.schema_problems(prod, check.KUBERNETES_VERSIONS[-1])
        assert len(problems) == 1 and problems[0].startswith("Deployment/gateway: ")
        assert "memoryLimit" in problems[0]
