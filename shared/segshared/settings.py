"""Settings base shared by every service (pydantic-settings, environment only)."""

from __future__ import annotations

import secrets
from typing import Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]
_PROCESS_SECRET = secrets.token_urlsafe(32)
DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/segmentation"
# Every secret that has a default (docker-compose.yml, for a local try) contains this, and
# production refuses any setting that does.
DEV_ONLY_MARKER = "dev-only-insecure"


def database_url_field(prefix: str) -> Any:
    """A service's DATABASE_URL: `<PREFIX>_DATABASE_URL` (its own role) else DATABASE_URL.

    `make up` runs every process with one environment, so each service finds its own
    role's URL under its own name there; containers just set DATABASE_URL.
    """
    return Field(
        DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices(f"{prefix}_DATABASE_URL".lower(), "database_url"),
    )


class ServiceSettings(BaseSettings):
    """Fields every service reads; each service subclasses it with its own env prefix.

    Common infrastructure variables (DATABASE_URL, REDIS_URL, SERVICE_TOKEN, ...) are
    read without a prefix so one `.env` configures the whole stack.
    """

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

    environment: Environment = "development"
    log_level: str = "INFO"
    database_url: str = DEFAULT_DATABASE_URL
    db_pool_size: int = 10
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Credential services present to each other's /internal endpoints.
    service_token: str = ""
    jwt_issuer: str = "segmentation-auth"
    jwt_audience: str = "segmentation-api"
    jwks_url: str = "http://127.0.0.1:8001/auth/.well-known/jwks.json"
    auth_service_url: str = "http://127.0.0.1:8001"
    profile_service_url: str = "http://127.0.0.1:8002"
    ml_service_url: str = "http://127.0.0.1:8003"
    internal_timeout_seconds: float = 3.0

    @field_validator("database_url")
    @classmethod
    def _asyncpg_driver(cls, value: str) -> str:
        """Accept plain postgres:// URLs and use the asyncpg driver."""
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value[len(prefix) :]
        return value

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> ServiceSettings:
        if self.environment != "production":
            return self
        if len(self.service_token) < 32:
            raise ValueError("SERVICE_TOKEN must be set (>= 32 chars) in production")
        refused = [
            name for name, value in self.secret_settings().items() if DEV_ONLY_MARKER in value
        ]
        if refused:
            raise ValueError(
                f"{', '.join(refused)}: a {DEV_ONLY_MARKER}* default is refused in production"
            )
        return self

    def secret_settings(self) -> dict[str, str]:
        """Settings that carry a credential (checked against the dev-only defaults)."""
        return {
            "SERVICE_TOKEN": self.service_token,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
        }

    @property
    def effective_service_token(self) -> str:
        """The internal credential. Unset (development only) it is a random value of this
        process, so /internal stays closed rather than open to a well-known default."""
        return self.service_token or _PROCESS_SECRET
