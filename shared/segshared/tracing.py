"""OpenTelemetry tracing: W3C `traceparent` across HTTP hops and Redis stream events.

Off unless an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, OTLP over HTTP/protobuf; the other standard
`OTEL_*` exporter and batch settings apply). Off, nothing is installed, instrumented or
exported, and the hot paths pay one check of a module variable.

On, FastAPI (server spans), httpx, asyncpg and Redis (client spans) are instrumented
once per process; the gateway's own upstream connections open a client span per request. A trace starts only at work that
arrives (a request served, a stream batch consumed): client calls made outside of one
(consumer polls, trimming, health probes) are not recorded. Roots are sampled at
`OTEL_TRACES_SAMPLER_ARG` (a ratio, default 1); a caller's sampled `traceparent` is
followed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanProcessor,
)
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, NonRecordingSpan, SpanKind

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp

# Probes and scrapes come every few seconds and say nothing about a request.
_EXCLUDED_URLS = r"/health$,/ready$,/metrics$"
# Links a consumed batch keeps to the traces of its entries (the SDK's default limit).
_MAX_LINKS = 128

_provider: TracerProvider | None = None
_tracer: trace.Tracer = trace.NoOpTracer()


def tracing_configured(env: Mapping[str, str] = os.environ) -> bool:
    """Whether the environment asks for traces to be exported."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if env.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return bool(
        env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def tracing_enabled() -> bool:
    """Whether this process records spans."""
    return _provider is not None


def configure_tracing(service: str, exporter: SpanExporter | None = None) -> bool:
    """Install the tracer provider and instrument the libraries, once per process.

    With `exporter` (tests: an in-memory one) spans go there synchronously; without,
    only when `tracing_configured()`, in batches to the OTLP endpoint. Returns whether
    tracing is on.
    """
    global _provider, _tracer
    if _provider is not None:
        return True
    if exporter is None and not tracing_configured():
        return False
    # Imported here: they patch libraries, and the exporter brings protobuf along.
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    processor: SpanProcessor
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter())
    else:
        processor = SimpleSpanProcessor(exporter)
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: service}),
        sampler=sampler_from(os.environ.get("OTEL_TRACES_SAMPLER_ARG", "")),
    )
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument()
    AsyncPGInstrumentor().instrument()
    RedisInstrumentor().instrument()
    _provider = provider
    _tracer = provider.get_tracer("segshared")
    return True


class ArrivingWorkOnly(Sampler):
    """Roots only for served requests and consumed batches, at a ratio of trace ids."""

    def __init__(self, ratio: float) -> None:
        self._ratio = TraceIdRatioBased(ratio)

    def should_sample(  # type: ignore[no-untyped-def]
        self,
        parent_context,
        trace_id,
        name,
        kind=None,
        attributes=None,
        links=None,
        trace_state=None,
    ) -> SamplingResult:
        if kind not in (SpanKind.SERVER, SpanKind.CONSUMER):
            return SamplingResult(Decision.DROP)
        return self._ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"ArrivingWorkOnly{{{self._ratio.rate}}}"


def sampler_from(ratio_setting: str) -> Sampler:
    """A caller's decision is followed; roots are `ArrivingWorkOnly` at the ratio (default 1)."""
    try:
        ratio = min(max(float(ratio_setting), 0.0), 1.0) if ratio_setting.strip() else 1.0
    except ValueError:
        ratio = 1.0
    return ParentBased(root=ArrivingWorkOnly(ratio))


def instrument_app(app: FastAPI) -> None:
    """Server spans for every request the app serves (its middleware included)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, excluded_urls=_EXCLUDED_URLS, exclude_spans=["receive", "send"]
    )


def trace_asgi(app: ASGIApp) -> ASGIApp:
    """`app` with server spans, when tracing is on: for an ASGI chain served outside
    FastAPI's middleware stack (the gateway's proxy edge)."""
    if _provider is None:
        return app
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return OpenTelemetryMiddleware(
        app, excluded_urls=_EXCLUDED_URLS, exclude_spans=["receive", "send"]
    )


def name_current_span(method: str, route: str) -> None:
    """Name the server span after a route FastAPI's router never saw (the gateway proxy)."""
    if _provider is None:
        return
    span = trace.get_current_span()
    if span.is_recording():
        span.update_name(f"{method} {route}")
        span.set_attribute("http.route", route)


@contextmanager
def client_span(method: str, url: str, headers: dict[str, str]) -> Iterator[None]:
    """A client span around a request sent by hand (the gateway's upstream connections),
    with its `traceparent` added to `headers`; nothing when tracing is off."""
    if _provider is None:
        yield
        return
    tracer = trace.get_tracer("segshared.http")
    attributes = {"http.request.method": method, "url.full": url}
    with tracer.start_as_current_span(method, kind=trace.SpanKind.CLIENT, attributes=attributes):
        propagate.inject(headers)
        yield


def trace_fields() -> dict[str, str]:
    """The current trace context as flat fields (`traceparent`, ...) for an event."""
    if _provider is None:
        return {}
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def consumer_span(stream: str, events: Sequence[Mapping[str, str]]) -> Iterator[None]:
    """Continue the producers' traces while a batch of stream events is handled.

    The span's parent is the first traced event's context; every traced event is linked.
    """
    if _provider is None or not events:
        yield
        return
    contexts = []
    for fields in events:
        if "traceparent" in fields:
            context = trace.get_current_span(propagate.extract(fields)).get_span_context()
            if context.is_valid:
                contexts.append(context)
    parent = trace.set_span_in_context(NonRecordingSpan(contexts[0])) if contexts else None
    with _tracer.start_as_current_span(
        f"{stream} process",
        context=parent,
        kind=SpanKind.CONSUMER,
        links=[Link(context) for context in contexts[:_MAX_LINKS]],
        attributes={
            "messaging.system": "redis",
            "messaging.operation.type": "process",
            "messaging.destination.name": stream,
            "messaging.batch.message_count": len(events),
        },
    ):
        yield


def trace_log_fields() -> tuple[str, str] | None:
    """(trace id, span id) of the current span for log lines, if one is recorded."""
    if _provider is None:
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def flush_tracing() -> None:
    """Export what is buffered (an app shutting down; the rest goes at process exit)."""
    if _provider is not None:
        _provider.force_flush()
