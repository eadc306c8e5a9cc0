"""`/internal`: counts for auth-service (service credential; never via the gateway)."""

from __future__ import annotations

from fastapi import APIRouter
from segshared.params import RowId
from segshared.security import ServiceCaller
from segshared.stats_window import StatsBucket, StatsDays

from profile_service import stats
from profile_service.deps import SessionDep, StateDep
from profile_service.schemas import OverallStats, UserIds, UserStats

router = APIRouter(prefix="/internal", dependencies=[ServiceCaller], include_in_schema=False)


@router.get("/users/{user_id}/stats", response_model=UserStats)
async def user_stats(user_id: RowId, session: SessionDep) -> UserStats:
    return (await stats.for_users(session, [user_id]))[str(user_id)]


@router.post("/users/stats", response_model=dict[str, UserStats])
async def users_stats(body: UserIds, session: SessionDep) -> dict[str, UserStats]:
    return await stats.for_users(session, body.user_ids)


@router.get("/stats", response_model=OverallStats)
async def overall_stats(
    state: StateDep, session: SessionDep, days: StatsDays = 7, bucket: StatsBucket = "day"
) -> OverallStats:
    settings = state.settings
    return await stats.overall_bounded(
        session, state.redis, days, bucket, settings.stats_exact_rows, settings.stats_cache_seconds
    )
