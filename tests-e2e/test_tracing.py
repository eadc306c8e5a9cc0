"""Traces across services: a stack of its own exports over OTLP/HTTP to a collector here.

The collector decodes what the real processes send (configured only by the standard
`OTEL_*` variables) and keeps the spans in memory.
"""

from __future__ import annotations

import gzip
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from segshared.testing import database_url_for_tests, redis_url_for_tests, serve_in_thread

from devstack import Stack

CUSTOMER = {
    "sex": "Male",
    "age": 41,
    "annual_income": 72.0,
    "spending_score": 55,
    "purchase_frequency": 12,
}
SERVER, CLIENT, CONSUMER = (
    ProtoSpan.SPAN_KIND_SERVER,
    ProtoSpan.SPAN_KIND_CLIENT,
    ProtoSpan.SPAN_KIND_CONSUMER,
)


@dataclass(frozen=True)
class ExportedSpan:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    links: tuple[str, ...]


def exported(service: str, span: ProtoSpan) -> ExportedSpan:
    return ExportedSpan(
        service,
        span.name,
        span.kind,
        span.trace_id.hex(),
        span.span_id.hex(),
        span.parent_span_id.hex(),
        tuple(link.span_id.hex() for link in span.links),
    )


SpanKey = tuple[str, int, str]
"""A span's service, kind and a part of its name."""


def matching(
    spans: list[ExportedSpan], service: str, kind: int, name: str = ""
) -> list[ExportedSpan]:
    return [s for s in spans if s.service == service and s.kind == kind and name in s.name]


class Collector:
    """An OTLP/HTTP trace receiver that keeps every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[ExportedSpan] = []
        self._lock = threading.Lock()
        self.app = FastAPI()
        self.app.post("/v1/traces")(self.receive)

    async def receive(self, request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        export = ExportTraceServiceRequest.FromString(body)
        received = []
        for resource_spans in export.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                service = attributes.get("service.name", "")
                received.extend(exported(service, span) for span in scope_spans.spans)
        with self._lock:
            self.spans.extend(received)
        return Response(
            ExportTraceServiceResponse().SerializeToString(),
            media_type="application/x-protobuf",
        )

    def trace(self, trace_id: str) -> list[ExportedSpan]:
        with self._lock:
            return [span for span in self.spans if span.trace_id == trace_id]

    def wait_for(self, trace_id: str, *wanted: SpanKey, timeout: float = 20) -> list[ExportedSpan]:
        """The trace's spans once every wanted span has arrived.

        Each process exports in its own batches, and a span is sent only after it ends (a
        server span after its response), so spans arrive in no fixed order.
        """
        deadline = time.monotonic() + timeout
        spans = self.trace(trace_id)
        while not all(matching(spans, *key) for key in wanted) and time.monotonic() < deadline:
            time.sleep(0.1)
            spans = self.trace(trace_id)
        return spans


@pytest.fixture(scope="module")
def collector() -> Iterator[tuple[Collector, str]]:
    receiver = Collector()
    with serve_in_thread(receiver.app) as url:
        yield receiver, url


@pytest.fixture(scope="module")
def traced_gateway(
    stack_runner: Callable[..., AbstractContextManager[Stack]],
    collector: tuple[Collector, str],
) -> Iterator[httpx.Client]:
    _, url = collector
    admin = {"username": "trace_admin", "password": "Adm1n-" + secrets.token_urlsafe(12)}
    tracing = {"OTEL_EXPORTER_OTLP_ENDPOINT": url, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    with (
        stack_runner(
            database_url_for_tests("e2e_tracing"),
            redis_url_for_tests(13),
            admin,
            tracing,
        ) as running,
        httpx.Client(base_url=running.gateway_url, timeout=30) as client,
    ):
        yield client


def user_headers(gateway: httpx.Client) -> dict[str, str]:
    suffix = secrets.token_hex(4)
    user = {
        "username": f"t_{suffix}",
        "email": f"t_{suffix}@example.com",
        "password": f"Passw0rd-{suffix}",
        "full_name": "Traced",
    }
    assert gateway.post("/auth/register", json=user).status_code == 201
    login = gateway.post(
        "/auth/login", json={"username": user["username"], "password": user["password"]}
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def one(spans: list[ExportedSpan], service: str, kind: int, name: str = "") -> ExportedSpan:
    found = matching(spans, service, kind, name)
    assert len(found) == 1, (service, kind, name, spans)
    return found[0]


def test_profile_predict_is_one_trace_across_gateway_profile_and_ml(
    traced_gateway: httpx.Client, collector: tuple[Collector, str]
) -> None:
    receiver, _ = collector
    headers = user_headers(traced_gateway)
    profile = traced_gateway.post("/profiles/", json={"name": "T", **CUSTOMER}, headers=headers)
    assert profile.status_code == 201, profile.text
    trace_id = secrets.token_hex(16)
    caller_span = secrets.token_hex(8)

    predicted = traced_gateway.post(
        f"/profiles/{profile.json()['id']}/predict",
        headers={**headers, "traceparent": f"00-{trace_id}-{caller_span}-01"},
    )
    assert predicted.status_code == 200, predicted.text

    spans = receiver.wait_for(
        trace_id,
        ("gateway", SERVER, ""),
        ("gateway", CLIENT, "POST"),
        ("profile-service", SERVER, ""),
        ("profile-service", CLIENT, "POST"),
        ("ml-service", SERVER, ""),
        ("profile-service", CONSUMER, "stream:prediction-history"),
    )
    gateway_in = one(spans, "gateway", SERVER)
    assert gateway_in.parent_id == caller_span  # the caller's trace is continued
    assert gateway_in.name == "POST /profiles"  # the proxy's route, not just the method
    gateway_out = one(spans, "gateway", CLIENT, "POST")
    assert gateway_out.parent_id == gateway_in.span_id
    profile_in = one(spans, "profile-service", SERVER)
    assert profile_in.parent_id == gateway_out.span_id
    profile_out = one(spans, "profile-service", CLIENT, "POST")
    ml_in = one(spans, "ml-service", SERVER)
    assert ml_in.parent_id == profile_out.span_id
    # Database and Redis calls are children within the services.
    profile_ids = {s.span_id for s in spans if s.service == "profile-service"}
    assert any(
        s.kind == CLIENT and s.name != profile_out.name and s.parent_id in profile_ids
        for s in spans
        if s.service == "profile-service"
    ), spans
    ml_ids = {s.span_id for s in spans if s.service == "ml-service"}
    ml_redis = [s for s in spans if s.service == "ml-service" and s.kind == CLIENT]
    assert ml_redis and all(s.parent_id in ml_ids for s in ml_redis)
    # The history event took the trace through the stream to profile-service's consumer.
    consumed = one(spans, "profile-service", CONSUMER, "stream:prediction-history")
    assert consumed.parent_id in ml_ids
    assert consumed.parent_id in consumed.links


def test_a_request_without_traceparent_starts_a_trace_at_the_gateway(
    traced_gateway: httpx.Client, collector: tuple[Collector, str]
) -> None:
    receiver, _ = collector
    before = len(receiver.spans)
    predicted = traced_gateway.post("/predict", json=CUSTOMER, headers=user_headers(traced_gateway))
    assert predicted.status_code == 200, predicted.text

    def new_roots() -> list[ExportedSpan]:
        return [
            s
            for s in receiver.spans[before:]
            if s.service == "gateway" and s.name == "POST /predict" and not s.parent_id
        ]

    deadline = time.monotonic() + 20
    while not new_roots() and time.monotonic() < deadline:
        time.sleep(0.1)
    (root,) = new_roots()
    spans = receiver.wait_for(
        root.trace_id, ("ml-service", SERVER, ""), ("gateway", CLIENT, "POST")
    )
    ml_in = one(spans, "ml-service", SERVER)
    assert ml_in.parent_id == one(spans, "gateway", CLIENT, "POST").span_id
