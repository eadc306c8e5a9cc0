"""Revocation rules: jti denylist, per-user valid_after, revoked API keys."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis
from segshared.contracts.revocation import (
    ensure_not_revoked,
    invalidate_user_tokens,
    revoke_jti,
    revoked_api_key_key,
)
from segshared.errors import Unauthorized
from segshared.testing import TokenSigner


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner()


class TestRevocation:
    async def test_fresh_token_passes(self, redis: Redis, signer: TokenSigner) -> None:
        claims = await signer.verifier().verify(signer.token(3))
        await ensure_not_revoked(redis, claims)

    async def test_revoked_jti_is_refused_until_expiry(
        self, redis: Redis, signer: TokenSigner
    ) -> None:
        claims = await signer.verifier().verify(signer.token(3, expires_in=120))
        await revoke_jti(redis, claims.jti, claims.expires_at)
        with pytest.raises(Unauthorized):
            await ensure_not_revoked(redis, claims)
        ttl = await redis.ttl(f"auth:revoked:jti:{claims.jti}")
        assert 100 < ttl <= 122

    async def test_tokens_issued_before_valid_after_are_refused(
        self, redis: Redis, signer: TokenSigner
    ) -> None:
        old = await signer.verifier().verify(signer.token(4))
        await asyncio.sleep(0.01)
        await invalidate_user_tokens(redis, 4, ttl_seconds=60)
        with pytest.raises(Unauthorized):
            await ensure_not_revoked(redis, old)
        await asyncio.sleep(0.01)
        # A token minted right after the change, even within the same second, passes.
        new = await signer.verifier().verify(signer.token(4))
        assert int(new.issued_at) <= int(time.time())
        await ensure_not_revoked(redis, new)

    async def test_other_users_are_unaffected(self, redis: Redis, signer: TokenSigner) -> None:
        await invalidate_user_tokens(redis, 4, ttl_seconds=60)
        await ensure_not_revoked(redis, await signer.verifier().verify(signer.token(5)))

    async def test_revoked_api_key_stops_its_tokens(
        self, redis: Redis, signer: TokenSigner
    ) -> None:
        claims = await signer.verifier().verify(signer.token(6, akid=9))
        await ensure_not_revoked(redis, claims)
        await redis.set(revoked_api_key_key(9), "1")
        with pytest.raises(Unauthorized):
            await ensure_not_revoked(redis, claims)

    async def test_the_token_that_made_the_change_can_be_kept(
        self, redis: Redis, signer: TokenSigner
    ) -> None:
        current = await signer.verifier().verify(signer.token(8))
        other = await signer.verifier().verify(signer.token(8))
        await asyncio.sleep(0.01)
        await invalidate_user_tokens(redis, 8, ttl_seconds=60, keep_jti=current.jti)
        await ensure_not_revoked(redis, current)
        with pytest.raises(Unauthorized):
            await ensure_not_revoked(redis, other)
