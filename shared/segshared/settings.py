"""Settings base shared by every service (pydantic-settings, environment only)."""

from __future__ import annotations

import secrets
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from segshared.clientip import Networks, parse_networks
from segshared.retry import RetryPolicy

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
    """Fields every service reads; each service subclasses it with its own fields.

    Every variable is read without a prefix (deliberately: one `.env` configures the whole
    stack); only a service's database URL has a prefixed form (`AUTH_DATABASE_URL`, ...).
    """

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

    environment: Environment = "development"
    log_level: str = "INFO"
    database_url: str = DEFAULT_DATABASE_URL
    # PostgreSQL pool per process: DB_POOL_SIZE connections plus as many overflow ones; a
    # request waits DB_POOL_TIMEOUT_SECONDS for one, then answers 503 with Retry-After.
    db_pool_size: int = 10
    db_pool_timeout_seconds: float = 20.0
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Redis pool per process: commands beyond REDIS_POOL_SIZE in flight wait up to
    # REDIS_POOL_TIMEOUT_SECONDS for a connection, then answer 503 with Retry-After.
    redis_pool_size: int = 100
    redis_pool_timeout_seconds: float = 5.0
    # Credential services present to each other's /internal endpoints.
    service_token: str = ""
    jwt_issuer: str = "segmentation-auth"
    jwt_audience: str = "segmentation-api"
    jwks_url: str = "http://127.0.0.1:8001/auth/.well-known/jwks.json"
    # Clock skew tolerated when verifying a token's `iat`/`exp` (auth replicas' clocks differ).
    jwt_leeway_seconds: float = Field(default=5.0, ge=0, le=60)
    auth_service_url: str = "http://127.0.0.1:8001"
    profile_service_url: str = "http://127.0.0.1:8002"
    ml_service_url: str = "http://127.0.0.1:8003"
    internal_timeout_seconds: float = 3.0
    # Proxies whose X-Forwarded-For is believed (IPs/CIDRs, comma-separated): the Ingress
    # controller for the gateway, the gateway for the services. Empty: the peer is the client.
    trusted_proxies: str = ""
    # Redis stream consumers: an entry failing this many deliveries goes to `<stream>:dead`;
    # failed deliveries and outages are retried after base * 2^n seconds, capped.
    stream_max_deliveries: int = Field(default=5, ge=1, le=100)
    stream_retry_base_seconds: float = Field(default=0.5, gt=0, le=60)
    stream_retry_cap_seconds: float = Field(default=30.0, gt=0, le=3600)
    # Producers trim acked stream entries this often and warn above this backlog.
    stream_trim_seconds: float = Field(default=5.0, gt=0, le=3600)
    stream_backlog_alarm: int = Field(default=100_000, ge=1)

    @field_validator("database_url")
    @classmethod
    def _asyncpg_driver(cls, value: str) -> str:
        """Accept plain postgres:// URLs and use the asyncpg driver."""
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value[len(prefix) :]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _cidrs(cls, value: str) -> str:
        parse_networks(value)  # ValueError names the bad entry
        return value

    @property
    def trusted_proxy_networks(self) -> Networks:
        """TRUSTED_PROXIES parsed."""
        return parse_networks(self.trusted_proxies)

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
        if not urlsplit(self.redis_url).password:
            raise ValueError("REDIS_URL must carry a password in production (redis://:PASS@host)")
        return self

    def secret_settings(self) -> dict[str, str]:
        """Settings that carry a credential (checked against the dev-only defaults)."""
        return {
            "SERVICE_TOKEN": self.service_token,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
        }

    @property
    def stream_retry(self) -> RetryPolicy:
        """How stream consumers retry and when they dead-letter."""
        return RetryPolicy(
            self.stream_max_deliveries,
            self.stream_retry_base_seconds,
            self.stream_retry_cap_seconds,
        )

    @property
    def effective_service_token(self) -> str:
        """The internal credential. Unset (development only) it is a random value of this
        process, so /internal stays closed rather than open to a well-known default."""
        return self.service_token or _PROCESS_SECRET
