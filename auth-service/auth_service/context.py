"""Long-lived collaborators of the auth-service, built once in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from segshared.contracts.revocation import invalidate_user_tokens
from segshared.db import after_commit
from sqlalchemy.ext.asyncio import AsyncSession

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

    async def invalidate_user(
        self, session: AsyncSession, user_id: int, keep_jti: str | None = None
    ) -> None:
        """Void the user's tokens now *and* once the change commits, so a token minted
        from the old row in between (a refresh racing a demotion) is void too."""

        async def invalidate() -> None:
            await invalidate_user_tokens(
                self.redis, user_id, self.settings.revocation_ttl, keep_jti
            )

        await invalidate()
        after_commit(session, invalidate)
