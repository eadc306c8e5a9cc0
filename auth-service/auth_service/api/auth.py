"""`/auth`: register, login, refresh, me, logout, JWKS, API keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Cookie, Query, Request, Response, status
from pydantic import ValidationError
from segshared.errors import Unauthorized, error_responses, from_validation_error, invalid_json
from segshared.params import RowId
from segshared.security import AccountClaims, CurrentClaims

from auth_service import accounts, api_keys, sessions
from auth_service.deps import ClientIp, ContextDep, SessionDep
from auth_service.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    LoginRequest,
    Message,
    RefreshRequest,
    TokenPair,
    UserCreate,
    UserPublic,
)

router = APIRouter(prefix="/auth", tags=["auth"], responses=error_responses(400, 422, 503))

# The browser console keeps its refresh token in this cookie, never readable by scripts.
REFRESH_COOKIE = "seg_refresh"
RefreshCookieMode = Annotated[
    bool,
    Query(
        description="Deliver the refresh token as an HttpOnly, Secure, SameSite=Strict cookie "
        "scoped to /auth instead of in the body (`refresh_token` is then null)."
    ),
]

_LOGIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LoginRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "username": {"type": "string"},
                        "password": {"type": "string", "format": "password"},
                    },
                }
            },
        },
    }
}


async def _login_fields(request: Request) -> LoginRequest:
    """JSON `{username, password}` or OAuth2 password-form fields (Swagger's Authorize)."""
    content_type = request.headers.get("content-type", "")
    raw: Any
    try:
        if content_type.startswith("application/json"):
            raw = await request.json()
        else:
            form = await request.form(max_files=0, max_fields=20)  # no uploads to spool
            raw = {k: v for k, v in form.items() if isinstance(v, str)}
    except ValueError as exc:
        raise invalid_json(msg="Invalid request body") from exc
    try:
        return LoginRequest.model_validate(raw)
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=error_responses(409, 429),
)
async def register(body: UserCreate, session: SessionDep, ctx: ContextDep, ip: ClientIp) -> Any:
    return await accounts.register(session, ctx, body, ip)


def _deliver(pair: TokenPair, response: Response, ctx: ContextDep, in_cookie: bool) -> TokenPair:
    """The token pair as JSON, or with its refresh token moved into the cookie."""
    if not in_cookie:
        return pair
    response.set_cookie(
        REFRESH_COOKIE,
        pair.refresh_token or "",
        max_age=ctx.settings.refresh_token_expire_days * 86_400,
        path="/auth",
        secure=ctx.settings.refresh_cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return pair.model_copy(update={"refresh_token": None})


def _clear_cookie(response: Response, ctx: ContextDep) -> None:
    response.delete_cookie(
        REFRESH_COOKIE,
        path="/auth",
        secure=ctx.settings.refresh_cookie_secure,
        httponly=True,
        samesite="strict",
    )


@router.post(
    "/login",
    response_model=TokenPair,
    openapi_extra=_LOGIN_BODY,
    responses=error_responses(401, 403, 429),
)
async def login(
    request: Request,
    response: Response,
    session: SessionDep,
    ctx: ContextDep,
    ip: ClientIp,
    refresh_cookie: RefreshCookieMode = False,
) -> Any:
    fields = await _login_fields(request)
    pair = await sessions.login(session, ctx, fields.username, fields.password, ip)
    return _deliver(pair, response, ctx, refresh_cookie)


@router.post("/refresh", response_model=TokenPair, responses=error_responses(401, 403))
async def refresh(
    response: Response,
    session: SessionDep,
    ctx: ContextDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
    refresh_cookie: RefreshCookieMode = False,
    cookie_token: Annotated[str | None, Cookie(alias=REFRESH_COOKIE, max_length=512)] = None,
) -> Any:
    """Rotate the refresh token from the body or, without a body, from the cookie."""
    token = body.refresh_token if body is not None else cookie_token
    if not token:
        raise Unauthorized("Missing refresh token")
    pair = await sessions.refresh(session, ctx, token)
    return _deliver(pair, response, ctx, refresh_cookie or body is None)


@router.get("/me", response_model=UserPublic, responses=error_responses(401))
async def me(claims: CurrentClaims, session: SessionDep) -> Any:
    return await accounts.current_user(session, claims)


@router.post("/logout", response_model=Message, responses=error_responses(401))
async def logout(
    claims: CurrentClaims, response: Response, session: SessionDep, ctx: ContextDep
) -> Message:
    await sessions.logout(session, ctx, claims)
    _clear_cookie(response, ctx)
    return Message(message="Successfully logged out")


@router.get("/.well-known/jwks.json")
async def jwks(ctx: ContextDep) -> dict[str, Any]:
    return ctx.signer.jwks


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    responses=error_responses(401),
)
async def create_api_key(
    body: ApiKeyCreate, claims: AccountClaims, session: SessionDep, ip: ClientIp
) -> Any:
    user = await accounts.current_user(session, claims)
    assert user.id is not None
    return await api_keys.create(session, user.id, body, ip)


@router.get("/api-keys", response_model=list[ApiKeyPublic], responses=error_responses(401))
async def list_api_keys(claims: AccountClaims, session: SessionDep, ctx: ContextDep) -> Any:
    return await api_keys.list_for(session, ctx.redis, claims.user_id)


@router.delete("/api-keys/{key_id}", response_model=Message, responses=error_responses(401, 404))
async def revoke_api_key(
    key_id: RowId, claims: AccountClaims, session: SessionDep, ctx: ContextDep, ip: ClientIp
) -> Message:
    await api_keys.revoke(session, ctx.redis, claims.user_id, key_id, ip)
    return Message(message="API key revoked")
