"""The Ed25519 signing key: loading, dev generation, JWKS and access-token minting."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from segshared.tokens import ALGORITHM

from auth_service.settings import AuthSettings

logger = logging.getLogger("auth_service.signing")


def _load_or_generate(settings: AuthSettings) -> Ed25519PrivateKey:
    if settings.auth_private_key:
        pem = settings.auth_private_key.replace("\\n", "\n").encode()
        key = serialization.load_pem_private_key(pem, password=None)
    else:
        path = Path(settings.auth_key_dir) / "signing_key.pem"
        if not path.exists() and settings.environment == "production":
            # A generated key would differ per replica (random 401s) and per restart.
            raise RuntimeError(
                f"production needs a signing key: set AUTH_PRIVATE_KEY or mount {path}"
            )
        if not path.exists():
            # Dev convenience only; production passes AUTH_PRIVATE_KEY or a mounted file.
            path.parent.mkdir(parents=True, exist_ok=True)
            generated = Ed25519PrivateKey.generate()
            pem = generated.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(pem)
            tmp.chmod(0o600)
            tmp.replace(path)
            logger.info("generated a new signing key", extra={"fields": {"path": str(path)}})
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key must be an Ed25519 private key")
    return key


@dataclass(frozen=True)
class IssuedToken:
    """A freshly minted access token and its identifiers."""

    token: str
    jti: str
    expires_in: int


class Signer:
    """Holds the private key; mints access tokens and publishes the public key."""

    def __init__(self, settings: AuthSettings) -> None:
        self._key = _load_or_generate(settings)
        public = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.kid = hashlib.sha256(public).hexdigest()[:16]
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self._key.public_key()))
        self.jwks: dict[str, Any] = {
            "keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]
        }

    def issue(
        self, user_id: int, username: str, role: str, expires_in: int, **extra: Any
    ) -> IssuedToken:
        """Mint an access token (`exp - iat == expires_in`)."""
        now = time.time()
        iat = int(now)
        jti = uuid.uuid4().hex
        payload = {
            "sub": str(user_id),
            "username": username,
            "role": role,
            "jti": jti,
            "iat": iat,
            "iat_ms": int(now * 1000),
            "exp": iat + expires_in,
            "iss": self._issuer,
            "aud": self._audience,
            **extra,
        }
        token = jwt.encode(payload, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})
        return IssuedToken(token, jti, expires_in)
