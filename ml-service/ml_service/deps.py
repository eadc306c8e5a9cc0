"""Annotated dependencies of the ml-service routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis
from segshared.db import SessionDep as SessionDep  # the one transaction per request

from ml_service.serving.model_store import ModelStore
from ml_service.training.trainer import Trainer


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` one in a thread
# pool, which costs a thread hand-off per request on the hot path.
async def get_store(request: Request) -> ModelStore:
    return request.app.state.store


async def get_trainer(request: Request) -> Trainer:
    return request.app.state.trainer


async def get_redis(request: Request) -> Redis:
    return request.app.state.redis


StoreDep = Annotated[ModelStore, Depends(get_store)]
TrainerDep = Annotated[Trainer, Depends(get_trainer)]
RedisDep = Annotated[Redis, Depends(get_redis)]
