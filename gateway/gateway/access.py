"""Edge authorization: verify the caller's token and enforce the route's minimum role."""

from __future__ import annotations

from redis.asyncio import Redis
from segshared.errors import Forbidden, Unauthorized
from segshared.revocation import ensure_not_revoked
from segshared.tokens import Claims, TokenVerifier, bearer_token, role_rank
from starlette.requests import Request

from gateway.route_table import Route


async def authorize(
    request: Request, route: Route, verifier: TokenVerifier, redis: Redis
) -> Claims | None:
    """Claims of an allowed caller (None on public routes); raise 401/403 otherwise."""
    if route.access == "public":
        return None
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise Unauthorized("Not authenticated")
    claims = await verifier.verify(token)
    await ensure_not_revoked(redis, claims)
    if role_rank(claims.role) < role_rank(route.access):
        raise Forbidden("Not enough permissions")
    return claims
