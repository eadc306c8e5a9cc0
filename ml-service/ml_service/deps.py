"""Annotated dependencies of the ml-service routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis
from segshared.db import session_dependency
from sqlalchemy.ext.asyncio import AsyncSession

from ml_service.model_store import ModelStore
from ml_service.trainer import Trainer


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` one in a thread
# pool, which costs a thread hand-off per request on the hot path.
async def get_store(request: Request) -> ModelStore:
    return request.app.state.store


async def get_trainer(request: Request) -> Trainer:
    return request.app.state.trainer


async def get_redis(request: Request) -> Redis:
    return request.app.state.redis


# scope="function": the transaction commits before the response is sent (a 2xx means
# the write is visible to the next request), not after it as yield dependencies default to.
SessionDep = Annotated[AsyncSession, Depends(session_dependency, scope="function")]
StoreDep = Annotated[ModelStore, Depends(get_store)]
TrainerDep = Annotated[Trainer, Depends(get_trainer)]
RedisDep = Annotated[Redis, Depends(get_redis)]
