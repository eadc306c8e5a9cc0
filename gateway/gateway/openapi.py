"""`/openapi.json` at the gateway: the services' public paths merged into one document."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from segshared.errors import ErrorBody

from gateway.route_table import Route, match_route
from gateway.upstream import UpstreamError, UpstreamPool

logger = logging.getLogger("gateway.openapi")
_PRIVATE = ("/health", "/ready", "/metrics")
_ERROR = {"$ref": "#/components/schemas/ErrorBody"}
_EDGE_DESCRIPTIONS = {
    401: "Not authenticated (missing, invalid, expired or revoked credentials)",
    403: "Not enough permissions for this route",
    413: "Request body too large",
    429: "Rate limit or API-key quota exceeded (see Retry-After)",
    502: "The service failed mid-answer",
    503: "The service or one of its dependencies is unavailable (the detail names it)",
    504: "The service did not answer in time",
}


def edge_statuses(route: Route, method: str) -> set[int]:
    """The statuses the gateway itself may answer for `method` on `route`."""
    statuses = {429, 502, 503, 504}
    if route.access != "public":
        statuses.add(401)
    if route.access in ("analyst", "admin"):
        statuses.add(403)
    if method in ("post", "put", "patch"):
        statuses.add(413)
    return statuses


def _with_edge_responses(item: dict[str, Any], route: Route) -> dict[str, Any]:
    operations = {}
    for method, operation in item.items():
        if not isinstance(operation, dict) or "responses" not in operation:
            operations[method] = operation
            continue
        responses = dict(operation["responses"])
        for status in sorted(edge_statuses(route, method)):
            responses.setdefault(
                str(status),
                {
                    "description": _EDGE_DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": _ERROR}},
                },
            )
        operations[method] = {**operation, "responses": responses}
    return operations


async def _fetch(pool: UpstreamPool, service: str) -> dict[str, Any] | None:
    try:
        status, doc = await pool.get_json(service, "/openapi.json", 3.0)
        if status == 200:
            return doc
    except (UpstreamError, ValueError):
        logger.warning("openapi of %s unavailable", service)
    return None


def merge(gateway_doc: dict[str, Any], service_docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Add each service's routed paths and schemas to the gateway's own document, with
    the statuses the edge itself answers (authentication, limits, unavailable services)."""
    merged = {**gateway_doc, "paths": dict(gateway_doc.get("paths", {}))}
    components = merged.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.setdefault("ErrorBody", ErrorBody.model_json_schema())
    security = components.setdefault("securitySchemes", {})
    for doc in service_docs.values():
        for path, item in doc.get("paths", {}).items():
            route = match_route(path)
            if route is None or path in _PRIVATE:
                continue
            merged["paths"][path] = _with_edge_responses(item, route)
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
