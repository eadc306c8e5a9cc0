"""Tracing: off by default, trace context carried by stream events, trace ids in the logs.

Tracing is process-wide (one tracer provider per process): the spans of every test from
here on go to the in-memory exporter.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import SpanKind
from redis.asyncio import Redis
from segshared import tracing
from segshared.logs import JsonFormatter
from segshared.streams import Entry, StreamConsumer

STREAM = "test:traced"


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    if not tracing.configure_tracing("segshared-tests", exporter):
        pytest.fail("tracing was not configured")
    return exporter


def test_off_unless_an_otlp_endpoint_is_configured() -> None:
    assert not tracing.tracing_configured({})
    assert tracing.tracing_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing.tracing_configured(
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}
    )
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    assert not tracing.tracing_configured({**endpoint, "OTEL_SDK_DISABLED": "true"})
    assert not tracing.tracing_configured({**endpoint, "OTEL_TRACES_EXPORTER": "none"})


def test_a_process_without_an_endpoint_loads_and_sends_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    script = (
        "import sys\n"
        "from segshared.app import build_app\n"
        "from segshared.settings import ServiceSettings\n"
        "from segshared import tracing\n"
        "build_app('svc', '1', ServiceSettings(), None)\n"
        "assert not tracing.tracing_enabled()\n"
        "assert tracing.trace_fields() == {}\n"
        "loaded = [m for m in sys.modules if m.startswith(('opentelemetry.instrumentation',"
        " 'opentelemetry.exporter'))]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_roots_only_for_arriving_work() -> None:
    sampler = tracing.sampler_from("")
    trace_id = 0x1234

    def decision(kind: SpanKind) -> Decision:
        return sampler.should_sample(None, trace_id, "x", kind).decision

    assert decision(SpanKind.SERVER) == Decision.RECORD_AND_SAMPLE
    assert decision(SpanKind.CONSUMER) == Decision.RECORD_AND_SAMPLE
    # A Redis poll or a health probe's query outside of any request starts no trace.
    assert decision(SpanKind.CLIENT) == Decision.DROP
    assert decision(SpanKind.INTERNAL) == Decision.DROP
    never = tracing.sampler_from("0")
    assert never.should_sample(None, trace_id, "x", SpanKind.SERVER).decision == Decision.DROP
    assert "1.0" in tracing.sampler_from("not a number").get_description()


async def test_stream_event_carries_the_trace_to_the_consumer(
    spans: InMemorySpanExporter, redis: Redis
) -> None:
    tracer = trace.get_tracer("test")
    seen: list[trace.SpanContext] = []

    async def handle(entries: list[Entry]) -> None:
        seen.append(trace.get_current_span().get_span_context())

    consumer = StreamConsumer(redis, STREAM, "g", handle, block_ms=10)
    await consumer.ensure_group()
    with tracer.start_as_current_span("POST /predict", kind=SpanKind.SERVER) as request:
        fields = {"n": "1", **tracing.trace_fields()}
        await redis.xadd(STREAM, fields)
    assert set(fields) >= {"n", "traceparent"}
    spans.clear()

    assert await consumer.poll_once() == 1

    producer = request.get_span_context()
    assert seen[0].trace_id == producer.trace_id
    (process,) = [s for s in spans.get_finished_spans() if s.name == f"{STREAM} process"]
    assert process.kind == SpanKind.CONSUMER
    assert process.parent is not None and process.parent.span_id == producer.span_id
    assert [link.context.span_id for link in process.links] == [producer.span_id]
    # The ack (a Redis client span) belongs to the same trace.
    acks = [s for s in spans.get_finished_spans() if s.name == "XACK"]
    assert acks and all(s.context.trace_id == producer.trace_id for s in acks)


async def test_batch_follows_the_first_traced_event_and_links_all(
    spans: InMemorySpanExporter, redis: Redis
) -> None:
    tracer = trace.get_tracer("test")
    consumer = StreamConsumer(redis, STREAM, "g", lambda _: _noop(), block_ms=10)
    await consumer.ensure_group()
    await redis.xadd(STREAM, {"n": "untraced"})
    producers = []
    for n in range(3):
        with tracer.start_as_current_span(f"request {n}", kind=SpanKind.SERVER) as span:
            await redis.xadd(STREAM, {"n": str(n), **tracing.trace_fields()})
        producers.append(span.get_span_context())
    spans.clear()

    assert await consumer.poll_once() == 4

    (process,) = [s for s in spans.get_finished_spans() if s.name == f"{STREAM} process"]
    assert process.context.trace_id == producers[0].trace_id
    assert [link.context.span_id for link in process.links] == [p.span_id for p in producers]
    assert process.attributes is not None
    assert process.attributes["messaging.batch.message_count"] == 4


async def test_untraced_events_start_a_trace_of_their_own(
    spans: InMemorySpanExporter, redis: Redis
) -> None:
    consumer = StreamConsumer(redis, STREAM, "g", lambda _: _noop(), block_ms=10)
    await consumer.ensure_group()
    await redis.xadd(STREAM, {"n": "old producer"})
    spans.clear()

    assert await consumer.poll_once() == 1
    # Idle polls (nothing read) record nothing.
    assert await consumer.poll_once() == 0

    names = [s.name for s in spans.get_finished_spans()]
    assert names.count(f"{STREAM} process") == 1
    (process,) = [s for s in spans.get_finished_spans() if s.name == f"{STREAM} process"]
    assert process.parent is None and not process.links


def test_log_lines_carry_the_trace_id_next_to_the_request_id(
    spans: InMemorySpanExporter,
) -> None:
    formatter = JsonFormatter("test")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    assert "trace_id" not in json.loads(formatter.format(record))
    with trace.get_tracer("test").start_as_current_span("GET /x", kind=SpanKind.SERVER) as span:
        line = json.loads(formatter.format(record))
    context = span.get_span_context()
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")


async def _noop() -> None:
    return None
