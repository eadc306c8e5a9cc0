"""auth-service settings (environment only)."""

from __future__ import annotations

from segshared.settings import ServiceSettings


class AuthSettings(ServiceSettings):
    """Settings of the auth-service."""
