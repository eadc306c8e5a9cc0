"""Per-user and global totals from profile-service, degrading to `None` when it is down."""

from __future__ import annotations

import logging
from typing import Any

from segshared.errors import ServiceUnavailable
from segshared.internal_client import InternalClient
from segshared.stats_window import Bucket

logger = logging.getLogger("auth_service.profile_stats")


class ProfileStats:
    """Reads `/internal/...` stats of profile-service."""

    def __init__(self, client: InternalClient) -> None:
        self.client = client

    async def for_users(self, user_ids: list[int]) -> dict[int, dict[str, int]]:
        """`{user_id: {total_predictions, total_saved_profiles}}`, empty when unavailable."""
        if not user_ids:
            return {}
        try:
            response = await self.client.request(
                "POST", "/internal/users/stats", json={"user_ids": user_ids}
            )
            if response.status_code != 200:
                raise ServiceUnavailable(f"profile-service answered {response.status_code}")
            return {int(k): v for k, v in response.json().items()}
        except (ServiceUnavailable, ValueError) as exc:
            logger.warning("user totals unavailable: %s", exc)
            return {}

    async def overall(self, days: int = 7, bucket: Bucket = "day") -> dict[str, Any] | None:
        """Totals for `/admin/stats` (predictions per `bucket` over `days`), or None when
        unavailable."""
        try:
            return await self.client.get_json(
                "/internal/stats", params={"days": days, "bucket": bucket}
            )
        except (ServiceUnavailable, ValueError) as exc:
            logger.warning("overall totals unavailable: %s", exc)
            return None
