"""Long-lived collaborators of the auth-service, built once in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from auth_service.limits import LoginLimits
from auth_service.passwords import Passwords
from auth_service.profile_stats import ProfileStats
from auth_service.settings import AuthSettings
from auth_service.signing import Signer


@dataclass(frozen=True)
class AuthContext:
    """What the business rules need besides the request's DB session."""

    settings: AuthSettings
    redis: Redis
    signer: Signer
    passwords: Passwords
    limits: LoginLimits
    profile_stats: ProfileStats

    @property
    def revocation_ttl(self) -> int:
        """How long a `valid_after` must live: as long as any access token could."""
        return self.settings.access_token_seconds + 60
