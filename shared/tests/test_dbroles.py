"""One PostgreSQL role per service: the real migrations run as each role, on a real server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from segshared import dbroles
from segshared.dbroles import SERVICE_ROLES, ensure_roles, role_url
from segshared.migrations import apply_migrations, wait_for_head
from segshared.testing import database_url_for_tests, recreate_database
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
DIRECTORIES = {
    "auth_service": "auth-service",
    "profile_service": "profile-service",
    "ml_service": "ml-service",
}


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _migrate(url: str, role: str | None) -> None:
    for spec in SERVICE_ROLES:
        target = url if role is None else role_url(url, spec.role, None)
        apply_migrations(ROOT / DIRECTORIES[spec.role] / "alembic.ini", target)


@pytest.fixture(scope="module")
def database() -> str:
    """Roles first, then each service's migrations as its own role (compose, k8s, make up)."""
    url = database_url_for_tests("roles")
    recreate_database(url)
    asyncio.run(ensure_roles(url, {}))
    _migrate(url, role="as each service")
    return url


@asynccontextmanager
async def connected(url: str, role: str | None = None) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(_dsn(url if role is None else role_url(url, role, None)))
    try:
        yield conn
    finally:
        await conn.close()


async def _a_table_per_schema(url: str) -> dict[str, str]:
    async with connected(url) as conn:
        rows = await conn.fetch(
            "SELECT schemaname, min(tablename) AS t FROM pg_tables"
            " WHERE schemaname = ANY($1::text[]) AND tablename <> 'alembic_version'"
            " GROUP BY schemaname",
            [spec.schema for spec in SERVICE_ROLES],
        )
    return {row["schemaname"]: f'"{row["schemaname"]}"."{row["t"]}"' for row in rows}


class TestLeastPrivilege:
    async def test_profile_service_role_cannot_select_auth_users(self, database: str) -> None:
        async with connected(database, "profile_service") as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetch("SELECT * FROM auth.users")

    async def test_no_role_reads_another_service_schema(self, database: str) -> None:
        tables = await _a_table_per_schema(database)
        assert set(tables) == {spec.schema for spec in SERVICE_ROLES}
        for spec in SERVICE_ROLES:
            async with connected(database, spec.role) as conn:
                for schema, table in tables.items():
                    query = f"SELECT * FROM {table} LIMIT 1"  # noqa: S608 (names from pg_tables)
                    if schema == spec.schema:
                        await conn.fetch(query)  # its own: readable
                    else:
                        with pytest.raises(asyncpg.InsufficientPrivilegeError):
                            await conn.fetch(query)

    async def test_each_role_owns_its_schema_and_everything_in_it(self, database: str) -> None:
        async with connected(database) as conn:
            owners = await conn.fetch(
                "SELECT n.nspname AS schema, r.rolname AS owner FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " JOIN pg_roles r ON r.oid = c.relowner WHERE n.nspname = ANY($1::text[])"
                " UNION SELECT n.nspname, r.rolname FROM pg_namespace n"
                " JOIN pg_roles r ON r.oid = n.nspowner WHERE n.nspname = ANY($1::text[])",
                [spec.schema for spec in SERVICE_ROLES],
            )
        expected = {(spec.schema, spec.role) for spec in SERVICE_ROLES}
        assert {(row["schema"], row["owner"]) for row in owners} == expected

    async def test_roles_create_nothing_outside_their_schema(self, database: str) -> None:
        async with connected(database, "ml_service") as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE SCHEMA stolen")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE TABLE public.stolen (id int)")
            privileged = await conn.fetchval(
                "SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles"
                " WHERE rolname = current_user"
            )
            assert privileged is False

    async def test_setup_again_changes_nothing(self, database: str) -> None:
        again = await ensure_roles(database, {})
        assert again == [f"{s.role} (exists) owns schema {s.schema}" for s in SERVICE_ROLES]
        async with connected(database, "profile_service") as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetch("SELECT * FROM auth.users")


class TestExistingDatabase:
    async def test_schemas_migrated_before_roles_are_handed_over(self) -> None:
        # A database set up before roles existed: everything belongs to the superuser.
        url = database_url_for_tests("roles_legacy")
        await asyncio.to_thread(recreate_database, url)
        await asyncio.to_thread(_migrate, url, None)
        await ensure_roles(url, {})
        # Migrations now run as the role (nothing left to apply), which can use its tables.
        await asyncio.to_thread(_migrate, url, "as each service")
        async with connected(url, "auth_service") as conn:
            await conn.execute(
                "INSERT INTO auth.audit_log (action, detail, created_at)"
                " VALUES ('handover-test', '{}', now())"
            )
            assert await conn.fetchval("SELECT count(*) FROM auth.audit_log") == 1
        async with connected(url, "profile_service") as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetch("SELECT * FROM auth.users")


class TestCommand:
    def test_needs_an_admin_url(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.delenv("DATABASE_ADMIN_URL", raising=False)
        assert dbroles.main() == 2
        assert "DATABASE_ADMIN_URL" in capsys.readouterr().err

    def test_production_refuses_missing_or_dev_only_passwords(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("DATABASE_ADMIN_URL", "postgresql://su:dev-only-insecure-pg@db/seg")
        monkeypatch.setenv("ENVIRONMENT", "production")
        monkeypatch.setenv("AUTH_DB_PASSWORD", "dev-only-insecure-auth-db")
        monkeypatch.setenv("PROFILE_DB_PASSWORD", "a-real-one")
        monkeypatch.delenv("ML_DB_PASSWORD", raising=False)
        assert dbroles.main() == 2
        assert "real passwords: AUTH, ML, DATABASE_ADMIN_URL" in capsys.readouterr().err

    def test_passwords_come_from_the_services_urls(self) -> None:
        env = {
            "AUTH_DATABASE_URL": "postgresql+asyncpg://auth_service:s3cret@db:5432/seg",
            "PROFILE_DB_PASSWORD": "p4ss",
            "PROFILE_DATABASE_URL": "postgresql://profile_service:other@db/seg",
        }
        assert dbroles.passwords_from(env) == {
            "auth_service": "s3cret",
            "profile_service": "p4ss",
            "ml_service": None,
        }

    def test_a_url_of_another_user_is_refused(self) -> None:
        with pytest.raises(dbroles.RoleSetupError, match="logs in as 'postgres'"):
            dbroles.passwords_from({"ML_DATABASE_URL": "postgresql://postgres:x@db/seg"})

    def test_reports_each_role(
        self, database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # As in compose's db-setup and the k8s Job: no service settings (SERVICE_TOKEN) here.
        monkeypatch.setenv("DATABASE_ADMIN_URL", database)
        monkeypatch.setenv("ENVIRONMENT", "production")
        monkeypatch.delenv("SERVICE_TOKEN", raising=False)
        for spec in SERVICE_ROLES:
            monkeypatch.setenv(spec.password_variable, f"{spec.role}-Xk2-long-random")
        assert dbroles.main() == 0
        out = capsys.readouterr().out
        assert "database role profile_service (exists) owns schema profiles" in out


class TestWaitForMigrations:
    """What a Kubernetes pod's init container runs before the service starts."""

    def test_at_head_once_the_role_migrated_its_schema(self, database: str) -> None:
        ini = ROOT / "profile-service" / "alembic.ini"
        url = role_url(database, "profile_service", None)
        assert wait_for_head(ini, url, "profiles", timeout=0) is True

    def test_not_at_head_before_the_migrations(self) -> None:
        url = database_url_for_tests("roles_empty")
        recreate_database(url)
        assert wait_for_head(ROOT / "ml-service" / "alembic.ini", url, "ml", timeout=0) is False
