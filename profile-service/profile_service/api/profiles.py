"""`/profiles`: the caller's saved customers (owner-only) and quick predict."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from segshared.errors import error_responses
from segshared.params import Limit, RowId, Skip, Text
from segshared.security import CurrentClaims

from profile_service import repository, service
from profile_service.deps import MlClient, SessionDep
from profile_service.schemas import Message, ProfileCreate, ProfilePublic, ProfileUpdate

router = APIRouter(
    prefix="/profiles", tags=["profiles"], responses=error_responses(400, 401, 422, 503)
)


@router.post("/", status_code=status.HTTP_201_CREATED, response_model=ProfilePublic)
@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=ProfilePublic, include_in_schema=False
)
async def create_profile(body: ProfileCreate, claims: CurrentClaims, session: SessionDep) -> Any:
    return await service.create_profile(session, claims.user_id, body)


@router.get("/", response_model=list[ProfilePublic])
@router.get("", response_model=list[ProfilePublic], include_in_schema=False)
async def list_profiles(
    response: Response,
    claims: CurrentClaims,
    session: SessionDep,
    skip: Skip = 0,
    limit: Limit = 100,
    q: Annotated[Text | None, Query(max_length=255)] = None,
) -> Any:
    profiles, total = await repository.list_profiles(session, claims.user_id, skip, limit, q)
    response.headers["X-Total-Count"] = str(total)
    return profiles


@router.get("/{profile_id}", response_model=ProfilePublic, responses=error_responses(404))
async def read_profile(profile_id: RowId, claims: CurrentClaims, session: SessionDep) -> Any:
    return await service.owned_profile(session, claims.user_id, profile_id)


@router.put("/{profile_id}", response_model=ProfilePublic, responses=error_responses(404))
async def update_profile(
    profile_id: RowId, body: ProfileUpdate, claims: CurrentClaims, session: SessionDep
) -> Any:
    return await service.update_profile(session, claims.user_id, profile_id, body)


@router.delete("/{profile_id}", response_model=Message, responses=error_responses(404))
async def delete_profile(profile_id: RowId, claims: CurrentClaims, session: SessionDep) -> Message:
    await service.delete_profile(session, claims.user_id, profile_id)
    return Message(message="Profile deleted successfully")


@router.post("/{profile_id}/predict", responses=error_responses(404))
async def predict_profile(
    profile_id: RowId, claims: CurrentClaims, session: SessionDep, ml: MlClient
) -> dict[str, Any]:
    return await service.predict_profile(session, ml, claims.user_id, profile_id)
