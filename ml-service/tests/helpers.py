"""What ml-service tests share: test databases, service token, a customer, auth, polling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from ml_service.tables import ModelVersion
from segshared.testing import TokenSigner, database_url_for_tests, eventually, redis_url_for_tests

DATABASE_URL = database_url_for_tests("ml")
REDIS_URL = redis_url_for_tests(3)
SERVICE_TOKEN = "ml-test-token"
CUSTOMER = {
    "sex": "female",
    "age": 31,
    "annual_income": 72.5,
    "spending_score": 81,
    "purchase_frequency": 24,
}


@dataclass(frozen=True)
class StartedApp:
    """The session's app and the registry row of the model it trained on first start."""

    app: FastAPI
    first_model: ModelVersion


def auth(signer: TokenSigner, user_id: int = 1, role: str = "user", **extra: Any) -> dict[str, str]:
    """Bearer headers for `user_id` with `role`."""
    return {"Authorization": f"Bearer {signer.token(user_id, role, **extra)}"}


async def wait_job(
    client: httpx.AsyncClient, headers: dict[str, str], job_id: str
) -> list[dict[str, Any]]:
    """Every status `/train/jobs/{id}` reported until the job finished (the last one final)."""
    seen: list[dict[str, Any]] = []

    async def finished() -> bool:
        seen.append((await client.get(f"/train/jobs/{job_id}", headers=headers)).json())
        return seen[-1]["status"] in ("succeeded", "failed")

    await eventually(finished, "training job")
    return seen
