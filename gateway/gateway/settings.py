"""Gateway settings (environment only)."""

from __future__ import annotations

from pydantic import Field
from segshared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """Where the services are, how long to wait for them, and the edge's limits."""

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    upstream_connect_timeout_seconds: float = 2.0
    upstream_timeout_seconds: float = 30.0
    upstream_long_timeout_seconds: float = 900.0
    upstream_pool_size: int = 200  # idle keep-alive connections kept per service
    # Load shedding per upstream service: this many requests in flight, this many more
    # queued for at most this long; beyond that 503 + Retry-After at once.
    upstream_concurrency_limit: int = Field(default=64, ge=1)
    upstream_queue_limit: int = Field(default=1024, ge=0)
    upstream_queue_timeout_seconds: float = Field(default=10.0, gt=0)
    health_timeout_seconds: float = 2.0
    # The console's production build (index.html + assets/); default <repo>/frontend/dist.
    ui_dir: str = ""
    # JSON/CSV answers at least this large are gzipped for clients that accept it.
    gzip_minimum_bytes: int = 1024
    # Comma-separated origins allowed by CORS (empty: same-origin only).
    cors_origins: str = ""
    # Fixed one-minute windows; generous for people, a brake for runaway scripts.
    rate_limit_user_per_minute: int = 6_000
    rate_limit_ip_per_minute: int = 30_000
    max_body_bytes: int = 4 * 1024 * 1024  # API.md: JSON bodies, default 4 MiB
    max_upload_bytes: int = 1024 * 1024 * 1024  # batch CSV and dataset uploads
    api_key_cache_size: int = 10_000
    # Unknown credentials: API keys not in the cache that one address may have auth-service
    # check per minute, invalid tokens it may send per minute, and how long a refused key
    # is refused without asking again.
    api_key_exchanges_per_ip_per_minute: int = 300
    bad_tokens_per_ip_per_minute: int = 300
    api_key_negative_cache_seconds: float = 30.0

    # /health details, /ready details and /metrics at the edge: unset means public except
    # when ENVIRONMENT=production (then the status only, and no /metrics: scrape the
    # services or set this true behind an Ingress that blocks them).
    public_operational_details: bool | None = None

    @property
    def operational_details_public(self) -> bool:
        """Whether the edge shows health details and metrics."""
        if self.public_operational_details is not None:
            return self.public_operational_details
        return self.environment != "production"

    @property
    def cors_origin_list(self) -> list[str]:
        """CORS_ORIGINS as a list."""
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]
