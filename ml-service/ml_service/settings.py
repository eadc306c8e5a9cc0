"""ml-service settings (environment only)."""

from __future__ import annotations

from segshared.settings import ServiceSettings


class MlSettings(ServiceSettings):
    """Settings of the ml-service."""
