"""FastAPI dependencies for callers: end users (re-verified JWT) and other services."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from segshared.contracts.revocation import ensure_not_revoked
from segshared.errors import Forbidden, NotFound, Unauthorized
from segshared.tokens import Claims, TokenVerifier

SERVICE_TOKEN_HEADER = "X-Service-Token"  # noqa: S105 (a header name)

# auto_error=False: we raise our own 401 with WWW-Authenticate; the scheme still
# shows in OpenAPI so Swagger's Authorize button works.
_bearer = HTTPBearer(auto_error=False)


def http_jwks_loader(
    client: httpx.AsyncClient, url: str
) -> Callable[[], Awaitable[dict[str, Any]]]:
    """A JWKS loader fetching the auth-service's public keys over HTTP."""

    async def load() -> dict[str, Any]:
        response = await client.get(url, timeout=3.0)
        response.raise_for_status()
        return response.json()

    return load


async def current_claims(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Claims:
    """The caller's verified token claims (services re-verify what the gateway forwards)."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("Not authenticated")
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(credentials.credentials)


CurrentClaims = Annotated[Claims, Depends(current_claims)]


def require_role(minimum: str) -> Callable[[Claims], Awaitable[Claims]]:
    """Dependency factory: 403 unless the caller's role is `minimum` or higher."""

    async def check(claims: CurrentClaims) -> Claims:
        if not claims.has_role(minimum):
            raise Forbidden("Not enough permissions")
        return claims

    return check


AnalystClaims = Annotated[Claims, Depends(require_role("analyst"))]
AdminClaims = Annotated[Claims, Depends(require_role("admin"))]


async def account_claims(request: Request, claims: CurrentClaims) -> Claims:
    """A person's token, not revoked *now*: for routes that manage keys, the account or
    other users. API-key tokens are refused (403), and revocation is re-checked here
    rather than trusted from the gateway (defence in depth)."""
    if claims.api_key_id is not None:
        raise Forbidden("API keys cannot manage keys, the account or admin routes")
    await ensure_not_revoked(request.app.state.redis, claims)
    return claims


AccountClaims = Annotated[Claims, Depends(account_claims)]


async def account_admin_claims(claims: AccountClaims) -> Claims:
    """`AccountClaims` of an admin."""
    if not claims.has_role("admin"):
        raise Forbidden("Not enough permissions")
    return claims


AccountAdminClaims = Annotated[Claims, Depends(account_admin_claims)]


async def require_service(request: Request) -> None:
    """Only other services (holding SERVICE_TOKEN) may call /internal endpoints.

    Answers 404 rather than 401 so the internal surface is not advertised.
    """
    expected: str = request.app.state.service_token
    presented = request.headers.get(SERVICE_TOKEN_HEADER, "")
    if not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise NotFound("Not Found")


ServiceCaller = Depends(require_service)
