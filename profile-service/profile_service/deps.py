"""Annotated dependencies of the profile-service routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from segshared.db import session_dependency
from segshared.internal_client import InternalClient
from sqlalchemy.ext.asyncio import AsyncSession

from profile_service.filters import HistoryFilter, history_filter


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` one in a thread
# pool, which costs a thread hand-off per request on the hot path.
async def ml_client(request: Request) -> InternalClient:
    """Client for ml-service's internal endpoints."""
    return request.app.state.ml


# scope="function": the transaction commits before the response is sent (a 2xx means
# the write is visible to the next request), not after it as yield dependencies default to.
SessionDep = Annotated[AsyncSession, Depends(session_dependency, scope="function")]
MlClient = Annotated[InternalClient, Depends(ml_client)]
HistoryFilterDep = Annotated[HistoryFilter, Depends(history_filter)]
