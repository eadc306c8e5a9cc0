"""`/openapi.json` at the gateway: the services' public paths merged into one document."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from gateway.proxy import UpstreamPool
from gateway.route_table import match_route

logger = logging.getLogger("gateway.openapi")
_PRIVATE = ("/health", "/ready", "/metrics")


async def _fetch(pool: UpstreamPool, service: str) -> dict[str, Any] | None:
    try:
        async with pool.session.get(
            pool.base_urls[service] + "/openapi.json", timeout=pool.timeout(3.0)
        ) as response:
            if response.status == 200:
                return await response.json()
    except (aiohttp.ClientError, TimeoutError, ValueError):
        logger.warning("openapi of %s unavailable", service)
    return None


def merge(gateway_doc: dict[str, Any], service_docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Add each service's routed paths and schemas to the gateway's own document."""
    merged = {**gateway_doc, "paths": dict(gateway_doc.get("paths", {}))}
    components = merged.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    security = components.setdefault("securitySchemes", {})
    for doc in service_docs.values():
        for path, item in doc.get("paths", {}).items():
            route = match_route(path)
            if route is None or path in _PRIVATE:
                continue
            merged["paths"][path] = item
        schemas.update(doc.get("components", {}).get("schemas", {}))
        security.update(doc.get("components", {}).get("securitySchemes", {}))
    return merged


class OpenApiCache:
    """Merges once every service answered; until then rebuilds on each request."""

    def __init__(self) -> None:
        self._doc: dict[str, Any] | None = None

    async def document(self, pool: UpstreamPool, gateway_doc: dict[str, Any]) -> dict[str, Any]:
        """The merged document."""
        if self._doc is not None:
            return self._doc
        services = list(pool.base_urls)
        fetched = await asyncio.gather(*(_fetch(pool, s) for s in services))
        docs = {s: d for s, d in zip(services, fetched, strict=True) if d is not None}
        doc = merge(gateway_doc, docs)
        if len(docs) == len(services):
            self._doc = doc
        return doc
