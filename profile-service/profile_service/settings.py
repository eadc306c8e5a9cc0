"""profile-service settings (environment only)."""

from __future__ import annotations

from segshared.settings import ServiceSettings


class ProfileSettings(ServiceSettings):
    """Settings of the profile-service."""
