"""Which model a report is about, and building it off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

from segshared.errors import NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from ml_service import repository
from ml_service.reports.data import ReportData, report_data
from ml_service.serving import registry
from ml_service.serving.model_store import ModelStore

CHUNK = 64 * 1024


async def load(session: AsyncSession, store: ModelStore, version: str | None) -> ReportData:
    """The active model's report data, or the given version's (404 when unknown)."""
    active = store.require()
    if version is None or version == active.version:
        return report_data(active, active=True)
    # Only versions the registry knows reach the file system (no path games).
    if await repository.model_by_version(session, version) is None:
        raise NotFound("Model version not found")
    try:
        model = await asyncio.to_thread(registry.load_version, store.root, version)
    except registry.ArtifactError as exc:
        raise NotFound("Model version not found (its artifact is missing)") from exc
    return report_data(model, active=False)


async def render(build: Callable[[ReportData], bytes], data: ReportData) -> Iterator[bytes]:
    """Build in a worker thread; the response streams the result in chunks."""
    document = await asyncio.to_thread(build, data)
    return (document[i : i + CHUNK] for i in range(0, len(document), CHUNK))
