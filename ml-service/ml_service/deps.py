"""Annotated dependencies of the ml-service routes, and the app's typed state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request
from redis.asyncio import Redis
from segshared.app import ServiceState
from segshared.params import SessionDep as SessionDep  # the one transaction per request

from ml_service.serving.model_store import ModelStore
from ml_service.settings import MlSettings
from ml_service.training.trainer import Trainer


@dataclass(frozen=True)
class MlState(ServiceState[MlSettings]):
    """ml-service's `app.state` while it runs."""

    store: ModelStore
    trainer: Trainer


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` one in a thread
# pool, which costs a thread hand-off per request on the hot path.
async def get_state(request: Request) -> MlState:
    """The running service's state (built in the lifespan)."""
    return cast(MlState, request.app.state)


StateDep = Annotated[MlState, Depends(get_state)]


async def get_settings(state: StateDep) -> MlSettings:
    return state.settings


async def get_store(state: StateDep) -> ModelStore:
    return state.store


async def get_trainer(state: StateDep) -> Trainer:
    return state.trainer


async def get_redis(state: StateDep) -> Redis:
    return state.redis


SettingsDep = Annotated[MlSettings, Depends(get_settings)]
StoreDep = Annotated[ModelStore, Depends(get_store)]
TrainerDep = Annotated[Trainer, Depends(get_trainer)]
RedisDep = Annotated[Redis, Depends(get_redis)]
