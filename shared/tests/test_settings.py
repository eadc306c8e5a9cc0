"""Settings: dev-only defaults refused in production; each service's own DATABASE_URL."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from segshared.settings import ServiceSettings, database_url_field

REAL_TOKEN = "r" * 40


class DemoSettings(ServiceSettings):
    database_url: str = database_url_field("DEMO")


class TestProductionSecrets:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("service_token", "dev-only-insecure-service-token-0123456789"),
            ("database_url", "postgresql://svc:dev-only-insecure-db-XYZ@db:5432/seg"),
            ("redis_url", "redis://:dev-only-insecure-redis-XYZ@redis:6379/0"),
        ],
    )
    def test_dev_only_defaults_are_refused(self, field: str, value: str) -> None:
        values = {"service_token": REAL_TOKEN, field: value}
        with pytest.raises(ValidationError) as refused:
            ServiceSettings(environment="production", **values)
        message = str(refused.value)
        assert field.upper() in message and "refused in production" in message
        assert "XYZ" not in message  # the value itself is never echoed

    def test_real_secrets_are_accepted(self) -> None:
        settings = ServiceSettings(
            environment="production",
            service_token=REAL_TOKEN,
            database_url="postgresql://svc:Xk2-long-random@db:5432/seg",
            redis_url="redis://:Yq7-long-random@redis:6379/0",
        )
        assert settings.service_token == REAL_TOKEN

    def test_development_accepts_the_dev_defaults(self) -> None:
        settings = ServiceSettings(
            environment="development",
            service_token="dev-only-insecure-service-token-0123456789",
            redis_url="redis://:dev-only-insecure-redis@redis:6379/0",
        )
        assert settings.redis_url.startswith("redis://:dev-only-insecure")


class TestDatabaseUrl:
    def test_a_service_prefers_its_own_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@db/seg")
        assert DemoSettings().database_url == "postgresql+asyncpg://postgres@db/seg"
        monkeypatch.setenv("DEMO_DATABASE_URL", "postgres://demo_service@db/seg")
        assert DemoSettings().database_url == "postgresql+asyncpg://demo_service@db/seg"
        assert ServiceSettings().database_url == "postgresql+asyncpg://postgres@db/seg"

    def test_the_field_name_still_works_in_code(self) -> None:
        settings = DemoSettings(database_url="postgresql://x@y/z")
        assert settings.database_url == "postgresql+asyncpg://x@y/z"

    def test_redis_without_a_password_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="REDIS_URL must carry a password"):
            ServiceSettings(
                environment="production",
                service_token=REAL_TOKEN,
                redis_url="redis://redis:6379/0",
            )


class TestTrustedProxies:
    def test_cidrs_are_parsed_and_garbage_refused(self) -> None:
        settings = ServiceSettings(trusted_proxies="10.0.0.0/8, 192.0.2.7")
        assert [str(n) for n in settings.trusted_proxy_networks] == ["10.0.0.0/8", "192.0.2.7/32"]
        with pytest.raises(ValidationError):
            ServiceSettings(trusted_proxies="10.0.0.0/8,not-an-ip")
