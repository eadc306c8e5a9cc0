"""HTTP client for service-to-service calls: timeouts, service credential, request id."""

from __future__ import annotations

from typing import Any

import httpx

from segshared.errors import ServiceUnavailable
from segshared.logs import REQUEST_ID_HEADER, request_id_var
from segshared.security import SERVICE_TOKEN_HEADER


class InternalClient:
    """Calls another service's `/internal/...` endpoints.

    Connection failures and timeouts become `ServiceUnavailable` (503) so callers can
    degrade gracefully instead of failing with a 500.
    """

    def __init__(self, base_url: str, service_token: str, timeout: float = 3.0) -> None:
        self.name = base_url
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 1.0)),
            headers={SERVICE_TOKEN_HEADER: service_token},
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request; raise `ServiceUnavailable` when the peer can't be reached."""
        headers = dict(kwargs.pop("headers", None) or {})
        request_id = request_id_var.get()
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        try:
            return await self._client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"Upstream service unavailable: {type(exc).__name__}") from exc

    async def get_json(self, path: str, **kwargs: Any) -> Any:
        """GET and decode JSON; non-2xx answers raise `ServiceUnavailable`."""
        response = await self.request("GET", path, **kwargs)
        if response.status_code >= 400:
            raise ServiceUnavailable(f"Upstream service answered {response.status_code}")
        return response.json()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
