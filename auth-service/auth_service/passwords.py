"""argon2id password hashing (parameters from settings; rehash when they change)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from auth_service.settings import AuthSettings


class Passwords:
    """Hash and verify off the event loop: argon2 is deliberately slow CPU work."""

    def __init__(self, settings: AuthSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost_kib,
            parallelism=settings.argon2_parallelism,
        )
        # Verified when the account doesn't exist, so timing doesn't reveal it.
        self._dummy = self._hasher.hash("timing-equaliser-not-a-password")

    async def hash(self, password: str) -> str:
        """An argon2id hash of `password`."""
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, hashed: str | None, password: str) -> bool:
        """True when `password` matches; always does the same work."""
        target = hashed or self._dummy
        try:
            await asyncio.to_thread(self._hasher.verify, target, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return hashed is not None

    def needs_rehash(self, hashed: str) -> bool:
        """True when the stored hash used other parameters than the current ones."""
        return self._hasher.check_needs_rehash(hashed)
