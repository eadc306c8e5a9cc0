"""auth-service settings (environment only)."""

from __future__ import annotations

from pydantic import Field
from segshared.settings import ServiceSettings, database_url_field


class AuthSettings(ServiceSettings):
    """Token lifetimes, signing key, password hashing and login limits."""

    database_url: str = database_url_field("AUTH")
    access_token_expire_minutes: int = 30
    refresh_token_expire_days: int = 14
    # The console's refresh-token cookie is Secure; browsers accept that on http://localhost
    # too. False only for a plain-http deployment on another host name.
    refresh_cookie_secure: bool = True
    api_key_token_expire_seconds: int = 300
    # PEM of the Ed25519 signing key; else AUTH_KEY_DIR/signing_key.pem (generated outside
    # production only: every replica must sign with the same key).
    auth_private_key: str = ""
    auth_key_dir: str = ".data/keys"
    # argon2id: OWASP's baseline (19 MiB, t=2, p=1).
    argon2_time_cost: int = 2
    argon2_memory_cost_kib: int = 19_456
    argon2_parallelism: int = 1
    lockout_max_failures: int = 5
    lockout_window_seconds: int = 900
    # Per client IP, per window: generous for normal use, lower for failed logins.
    login_rate_limit: int = 1000
    failed_login_rate_limit: int = 200
    register_rate_limit: int = 1000
    ip_rate_window_seconds: int = 600
    outbox_poll_seconds: float = 0.5
    # Relayed outbox events and audit entries older than these are deleted, checked every
    # RETENTION_PRUNE_SECONDS by each replica (the tables would otherwise only grow).
    outbox_retention_days: float = Field(default=7.0, gt=0)
    audit_retention_days: float = Field(default=365.0, gt=0)
    retention_prune_seconds: float = Field(default=3600.0, gt=0)

    @property
    def access_token_seconds(self) -> int:
        """Access-token lifetime in seconds."""
        return self.access_token_expire_minutes * 60

    @property
    def revocation_ttl(self) -> int:
        """How long a `valid_after` must live: as long as any access token could."""
        return self.access_token_seconds + 60
