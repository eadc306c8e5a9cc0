"""Token verification refuses every token auth-service did not sign as expected."""

from __future__ import annotations

import asyncio
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from segshared.errors import Unauthorized
from segshared.security import http_jwks_loader
from segshared.settings import ServiceSettings
from segshared.testing import TokenSigner, free_port
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
            {
                "sub": "1",
                "role": "admin",
                "jti": "j",
                "iat": now,
                "exp": now + 60,
                "iss": signer.issuer,
                "aud": signer.audience,
            },
            key=None,
            algorithm="none",
            headers={"kid": signer.kid},
        )
        with pytest.raises(Unauthorized):
            await signer.verifier().verify(token)

    async def test_hmac_with_public_key_is_refused(self, signer: TokenSigner) -> None:
        public_jwk = signer.jwks()["keys"][0]["x"]
        now = int(time.time())
        token = jwt.encode(
            {
                "sub": "1",
                "role": "admin",
                "jti": "j",
                "iat": now,
                "exp": now + 60,
                "iss": signer.issuer,
                "aud": signer.audience,
            },
            key=public_jwk,
            algorithm="HS256",
            headers={"kid": signer.kid},
        )
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


class TestClockSkew:
    """Review L9: a verifier whose clock is behind the signer's still accepts fresh tokens."""

    def ahead(self, signer: TokenSigner, seconds: float) -> str:
        issued = time.time() + seconds
        return signer.token(1, iat=int(issued), iat_ms=int(issued * 1000))

    async def test_token_issued_two_seconds_in_the_future_is_accepted(
        self, signer: TokenSigner
    ) -> None:
        claims = await signer.verifier().verify(self.ahead(signer, 2))
        assert claims.user_id == 1

    async def test_skew_beyond_the_leeway_is_refused(self, signer: TokenSigner) -> None:
        with pytest.raises(Unauthorized):
            await signer.verifier().verify(self.ahead(signer, 30))

    async def test_leeway_is_a_setting(self, signer: TokenSigner) -> None:
        async def load() -> dict:
            return signer.jwks()

        strict = TokenVerifier(load, signer.issuer, signer.audience, leeway=0)
        with pytest.raises(Unauthorized):
            await strict.verify(self.ahead(signer, 2))
        assert ServiceSettings.model_fields["jwt_leeway_seconds"].default == 5.0


class TestJwksOutage:
    """Review L10: while auth is down, unknown-kid requests share one fetch per interval."""

    async def test_down_jwks_server_is_fetched_once_per_interval(self) -> None:
        signer = TokenSigner()
        fetches = 0
        port = free_port()  # nothing listens: every fetch fails (connection refused)

        async with httpx.AsyncClient(timeout=3.0) as http:
            fetch = http_jwks_loader(http, f"http://127.0.0.1:{port}/jwks.json")

            async def load() -> dict:
                nonlocal fetches
                fetches += 1
                return await fetch()

            verifier = TokenVerifier(load, signer.issuer, signer.audience, refetch_interval=60)
            for _ in range(2):  # a burst, then another one inside the same interval
                results = await asyncio.gather(
                    *(verifier.verify(signer.token(i)) for i in range(20)), return_exceptions=True
                )
                assert all(isinstance(r, Unauthorized) for r in results)
                assert {r.detail for r in results if isinstance(r, Unauthorized)} == {
                    "Token keys unavailable"
                }
        assert fetches == 1

    async def test_slow_jwks_fetch_is_shared_and_keys_return_after_the_interval(self) -> None:
        signer = TokenSigner()
        fetches = 0
        auth_up = False

        async def load() -> dict:
            nonlocal fetches
            fetches += 1
            await asyncio.sleep(0.2)  # a slow auth-service
            if not auth_up:
                raise httpx.ConnectTimeout("auth is down")
            return signer.jwks()

        verifier = TokenVerifier(load, signer.issuer, signer.audience, refetch_interval=0.5)
        results = await asyncio.gather(
            *(verifier.verify(signer.token(i)) for i in range(20)), return_exceptions=True
        )
        assert all(isinstance(r, Unauthorized) for r in results) and fetches == 1
        auth_up = True
        await asyncio.sleep(0.6)  # the interval passes: the next unknown kid fetches again
        claims = await asyncio.gather(*(verifier.verify(signer.token(i)) for i in range(20)))
        assert [c.user_id for c in claims] == list(range(20)) and fetches == 2
