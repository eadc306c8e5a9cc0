"""Quota before work: an API-key call reserves its prediction rows before it is forwarded.

`/predict` and `/profiles/{id}/predict` take one row; a JSON batch takes its number of
customers; a CSV batch takes its lines as they stream through, and the upload is stopped
the moment they pass the quota. Rows the service did not predict are refunded.
"""

from __future__ import annotations

import json

from segshared.contracts.quota import QuotaMeter, seconds_until_utc_midnight
from segshared.errors import TooManyRequests
from segshared.request_body import read_limited
from starlette.requests import Request


class RowReservation:
    """The rows one call holds against its API key's quota."""

    def __init__(self, meter: QuotaMeter, api_key_id: int, quota: int) -> None:
        self._meter = meter
        self._api_key_id = api_key_id
        self._quota = quota
        self.rows = 0

    async def take(self, rows: int) -> None:
        """Reserve `rows` more, or raise 429 naming the rows left (nothing reserved)."""
        left = await self._meter.reserve(self._api_key_id, rows, self._quota)
        if left is None:
            remaining = await self._meter.reserve(self._api_key_id, 0, self._quota) or 0
            raise TooManyRequests(
                f"Daily API key quota exceeded: {remaining} rows left today",
                retry_after=seconds_until_utc_midnight(),
            )
        self.rows += rows

    async def take_lines(self, chunk: bytes) -> None:
        """Reserve one row per line in a chunk of a streamed CSV upload."""
        lines = chunk.count(b"\n")
        if lines:
            await self.take(lines)

    async def settle(self, status: int, predicted: str | None) -> None:
        """Refund everything after a failed call, and what went unpredicted after a good one."""
        if status >= 300:
            used = 0
        elif predicted is not None and predicted.isdigit():
            used = min(int(predicted), self.rows)
        else:
            return
        await self._meter.refund(self._api_key_id, self.rows - used)
        self.rows = used


def is_csv_upload(request: Request) -> bool:
    """A batch sent as a file (multipart) or raw CSV: counted line by line as it streams."""
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("multipart/form-data", "text/csv"))


async def read_json_batch(request: Request, limit: int) -> tuple[bytes, int]:
    """The body of a JSON batch (413 past `limit` bytes, counted as it is read) and the
    number of customers it asks for (1 when malformed: the service answers 422 and the
    row is refunded)."""
    body = await read_limited(request, limit)
    try:
        payload = json.loads(body)
    except ValueError:
        return bytes(body), 1
    items = payload.get("customers") if isinstance(payload, dict) else None
    return body, max(1, len(items)) if isinstance(items, list) else 1
