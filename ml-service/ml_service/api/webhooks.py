"""`/webhooks`: each analyst's subscriptions and their deliveries (another user's id → 404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from segshared.errors import error_responses
from segshared.params import RowId
from segshared.security import AnalystClaims

from ml_service.deps import SessionDep, SettingsDep
from ml_service.webhooks import repository, service
from ml_service.webhooks.schemas import DeliveryPublic, WebhookCreate, WebhookCreated, WebhookPublic

router = APIRouter(
    prefix="/webhooks", tags=["webhooks"], responses=error_responses(401, 403, 422, 503)
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses=error_responses(400, 409),
)
async def create_webhook(
    body: WebhookCreate, claims: AnalystClaims, session: SessionDep, settings: SettingsDep
) -> WebhookCreated:
    return await service.create(session, settings, claims.user_id, body)


@router.get("", response_model=list[WebhookPublic])
async def list_webhooks(claims: AnalystClaims, session: SessionDep) -> list[WebhookPublic]:
    return [service.public(r) for r in await repository.list_owned(session, claims.user_id)]


@router.delete(
    "/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(404)
)
async def delete_webhook(webhook_id: RowId, claims: AnalystClaims, session: SessionDep) -> Response:
    await service.require_owned(session, claims.user_id, webhook_id)
    await repository.delete_subscription(session, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{webhook_id}/deliveries", response_model=list[DeliveryPublic], responses=error_responses(404)
)
async def list_deliveries(
    webhook_id: RowId,
    claims: AnalystClaims,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DeliveryPublic]:
    return await service.deliveries(session, claims.user_id, webhook_id, limit)
