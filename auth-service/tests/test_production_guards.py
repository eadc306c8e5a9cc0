"""Production refuses to start without a shared signing key (issue 12 item 11)."""

from __future__ import annotations

from pathlib import Path

import pytest
from auth_service.settings import AuthSettings
from auth_service.signing import Signer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PRODUCTION = {
    "environment": "production",
    "service_token": "s" * 40,
    "redis_url": "redis://:Yq7-long-random@redis:6379/0",
    "database_url": "postgresql://auth:Xk2-long-random@db:5432/seg",
}


def _pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def test_production_never_generates_a_signing_key(tmp_path: Path) -> None:
    settings = AuthSettings(**PRODUCTION, auth_key_dir=str(tmp_path))
    with pytest.raises(RuntimeError, match="AUTH_PRIVATE_KEY"):
        Signer(settings)
    assert not (tmp_path / "signing_key.pem").exists()


def test_production_signs_with_the_configured_or_mounted_key(tmp_path: Path) -> None:
    pem = _pem()
    configured = Signer(AuthSettings(**PRODUCTION, auth_private_key=pem))
    (tmp_path / "signing_key.pem").write_text(pem)
    mounted = Signer(AuthSettings(**PRODUCTION, auth_key_dir=str(tmp_path)))
    assert configured.kid == mounted.kid


def test_development_still_generates_one(tmp_path: Path) -> None:
    Signer(AuthSettings(environment="development", auth_key_dir=str(tmp_path)))
    assert (tmp_path / "signing_key.pem").exists()
