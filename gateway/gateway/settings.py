"""Gateway settings (environment only)."""

from __future__ import annotations

from segshared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """Where the services are, how long to wait for them, and the edge's limits."""

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    upstream_connect_timeout_seconds: float = 2.0
    upstream_timeout_seconds: float = 30.0
    upstream_long_timeout_seconds: float = 900.0
    upstream_pool_size: int = 200
    health_timeout_seconds: float = 2.0
    ui_dir: str = ""
