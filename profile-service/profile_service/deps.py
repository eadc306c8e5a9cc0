"""Annotated dependencies of the profile-service routes, and the app's typed state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request
from segshared.app import ServiceState
from segshared.internal_client import InternalClient
from segshared.params import SessionDep as SessionDep  # the one transaction per request
from segshared.streams import StreamConsumer

from profile_service.filters import HistoryFilter, history_filter
from profile_service.settings import ProfileSettings


@dataclass(frozen=True)
class ProfileState(ServiceState[ProfileSettings]):
    """profile-service's `app.state` while it runs."""

    ml: InternalClient  # ml-service's internal endpoints
    consumers: list[StreamConsumer]  # history ones (HISTORY_CONSUMERS), then user events


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` one in a thread
# pool, which costs a thread hand-off per request on the hot path.
async def get_state(request: Request) -> ProfileState:
    """The running service's state (built in the lifespan)."""
    return cast(ProfileState, request.app.state)


StateDep = Annotated[ProfileState, Depends(get_state)]


async def get_settings(state: StateDep) -> ProfileSettings:
    return state.settings


async def ml_client(state: StateDep) -> InternalClient:
    """Client for ml-service's internal endpoints."""
    return state.ml


SettingsDep = Annotated[ProfileSettings, Depends(get_settings)]
MlClient = Annotated[InternalClient, Depends(ml_client)]
HistoryFilterDep = Annotated[HistoryFilter, Depends(history_filter)]
