"""Webhook secrets: generated, encrypted at rest with Fernet keys from WEBHOOK_SECRET_KEYS.

Several keys (comma-separated) make rotation possible: the first encrypts, every one
decrypts, and `rotate` re-encrypts a stored secret with the first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SIGNATURE_VERSION = "v1"


def parse_keys(value: str) -> list[Fernet]:
    """The Fernet keys of a comma-separated setting; ValueError if one is not a key."""
    keys = [part.strip() for part in value.split(",") if part.strip()]
    if not keys:
        raise ValueError("WEBHOOK_SECRET_KEYS must hold at least one Fernet key")
    try:
        return [Fernet(key) for key in keys]
    except (ValueError, TypeError) as exc:
        raise ValueError(
            "WEBHOOK_SECRET_KEYS: each entry must be a Fernet key (32 url-safe base64 bytes)"
        ) from exc


class SecretBox:
    """Encrypts and decrypts webhook secrets with the configured keys."""

    def __init__(self, keys: str) -> None:
        self._fernet = MultiFernet(parse_keys(keys))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The secret; ValueError when no configured key opens it."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("no WEBHOOK_SECRET_KEYS key decrypts this secret") from exc

    def rotate(self, token: str) -> str:
        """The same secret encrypted with the first key."""
        return self._fernet.rotate(token.encode()).decode()


def new_secret() -> str:
    """A signing secret for one subscription (shown once)."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` (API.md)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={digest.hexdigest()}"
