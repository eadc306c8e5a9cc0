"""`/internal`: for other services only (service credential; never via the gateway)."""

from __future__ import annotations

from fastapi import APIRouter
from segshared.security import ServiceCaller

from auth_service import api_keys
from auth_service.deps import ContextDep, SessionDep
from auth_service.schemas import ApiKeyExchange, ApiKeyToken

router = APIRouter(prefix="/internal", dependencies=[ServiceCaller], include_in_schema=False)


@router.post("/api-keys/exchange", response_model=ApiKeyToken)
async def exchange_api_key(
    body: ApiKeyExchange, session: SessionDep, ctx: ContextDep
) -> ApiKeyToken:
    return await api_keys.exchange(session, ctx, body.key)
