"""Token verification refuses every token auth-service did not sign as expected."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from segshared.errors import Unauthorized
from segshared.testing import TokenSigner
from segshared.tokens import TokenVerifier


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner()


class TestTokenVerifier:
    async def test_valid_token_yields_claims(self, signer: TokenSigner) -> None:
        claims = await signer.verifier().verify(signer.token(7, "analyst", username="ann"))
        assert (claims.user_id, claims.role, claims.username) == (7, "analyst", "ann")
        assert claims.has_role("user") and claims.has_role("analyst")
        assert not claims.has_role("admin")

    async def test_expired_token_is_refused(self, signer: TokenSigner) -> None:
        with pytest.raises(Unauthorized) as caught:
            await signer.verifier().verify(signer.token(1, expires_in=-10))
        assert caught.value.headers == {"WWW-Authenticate": "Bearer"}

    async def test_tampered_token_is_refused(self, signer: TokenSigner) -> None:
        header, _payload, signature = signer.token(1).split(".")
        forged = jwt.encode({"sub": "1", "role": "admin"}, "x" * 32, algorithm="HS256").split(".")[
            1
        ]
        with pytest.raises(Unauthorized):
            await signer.verifier().verify(f"{header}.{forged}.{signature}")

    async def test_alg_none_is_refused(self, signer: TokenSigner) -> None:
        now = int(time.time())
        token = jwt.encode(
            {"sub": "1", "role": "admin", "jti": "j", "iat": now, "exp": now + 60,
             "iss": signer.issuer, "aud": signer.audience},
            key=None, algorithm="none", headers={"kid": signer.kid},
        )  # fmt: skip
        with pytest.raises(Unauthorized):
            await signer.verifier().verify(token)

    async def test_hmac_with_public_key_is_refused(self, signer: TokenSigner) -> None:
        public_jwk = signer.jwks()["keys"][0]["x"]
        now = int(time.time())
        token = jwt.encode(
            {"sub": "1", "role": "admin", "jti": "j", "iat": now, "exp": now + 60,
             "iss": signer.issuer, "aud": signer.audience},
            key=public_jwk, algorithm="HS256", headers={"kid": signer.kid},
        )  # fmt: skip
        with pytest.raises(Unauthorized):
            await signer.verifier().verify(token)

    async def test_token_signed_by_another_key_is_refused(self, signer: TokenSigner) -> None:
        other = TokenSigner()
        other.key = Ed25519PrivateKey.generate()
        with pytest.raises(Unauthorized):
            await signer.verifier().verify(other.token(1))

    async def test_wrong_audience_or_issuer_is_refused(self, signer: TokenSigner) -> None:
        for field in ("aud", "iss"):
            with pytest.raises(Unauthorized):
                await signer.verifier().verify(signer.token(1, **{field: "someone-else"}))

    async def test_unknown_kid_triggers_one_refetch(self) -> None:
        signer = TokenSigner()
        calls = 0
        rotated = TokenSigner()
        rotated.kid = "rotated"

        async def load() -> dict:
            nonlocal calls
            calls += 1
            keys = signer.jwks()["keys"] + (rotated.jwks()["keys"] if calls > 1 else [])
            return {"keys": keys}

        verifier = TokenVerifier(load, signer.issuer, signer.audience, refetch_interval=0)
        await verifier.verify(signer.token(1))
        claims = await verifier.verify(rotated.token(2))
        assert claims.user_id == 2 and calls == 2
