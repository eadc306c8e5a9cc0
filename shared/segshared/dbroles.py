"""Least privilege in PostgreSQL: one login role per service, owning only its schema.

A privileged connection (the superuser of a local or compose server, the admin user of a
managed one) runs `ensure_roles` before the migrations, which then run as each service's
role: `make up` (devstack), compose's `db-setup` and the Kubernetes migrate Job
(`python -m segshared.dbroles`). Nothing is granted on one service's schema to another,
so no service can read another's tables.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import make_url

from segshared.settings import DEV_ONLY_MARKER


@dataclass(frozen=True)
class ServiceRole:
    """A service's database identity: its variable prefix, login role and schema."""

    prefix: str  # <PREFIX>_DATABASE_URL, <PREFIX>_DB_PASSWORD
    role: str
    schema: str

    @property
    def password_variable(self) -> str:
        """The environment variable that holds this role's password."""
        return f"{self.prefix}_DB_PASSWORD"


SERVICE_ROLES = (
    ServiceRole("AUTH", "auth_service", "auth"),
    ServiceRole("PROFILE", "profile_service", "profiles"),
    ServiceRole("ML", "ml_service", "ml"),
)


class RoleSetupError(RuntimeError):
    """The database can't be set up safely as asked."""


def role_url(admin_url: str, role: str, password: str | None) -> str:
    """The URL of the same server and database, logged in as `role`."""
    url = make_url(admin_url).set(username=role, password=password or None)
    return url.render_as_string(hide_password=False)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# Objects in a schema not owned by its role (created before the roles existed), as the
# statements that hand them over. Sequences that belong to a column follow their table.
_FOREIGN_OBJECTS = """
SELECT format('ALTER %s %s OWNER TO %I', kind, name, $2::text) FROM (
  SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                        WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END AS kind,
         c.oid::regclass::text AS name, 1 AS step
  FROM pg_class c
  WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
    AND c.relowner <> $2::regrole
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.deptype IN ('a', 'i') AND c.relkind = 'S')
  UNION ALL
  SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text, 2
  FROM pg_type t
  WHERE t.typnamespace = $1::regnamespace AND t.typtype IN ('e', 'd', 'r')
    AND t.typowner <> $2::regrole
  UNION ALL
  SELECT 'ROUTINE', p.oid::regprocedure::text, 3
  FROM pg_proc p WHERE p.pronamespace = $1::regnamespace AND p.proowner <> $2::regrole
) objects ORDER BY step
"""


async def _ensure_role(
    conn: asyncpg.Connection, spec: ServiceRole, password: str | None, database: str
) -> str:
    """Create or check one role, then give it its schema; returns what was done."""
    role = _ident(spec.role)
    existing = await conn.fetchrow(
        "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls"
        " AS privileged FROM pg_roles WHERE rolname = $1",
        spec.role,
    )
    done = "exists"
    if existing is None:
        try:
            await conn.execute(f"CREATE ROLE {role} LOGIN NOINHERIT")
            done = "created"
        except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
            pass  # created meanwhile by a concurrent setup of another database
    elif existing["privileged"]:
        raise RoleSetupError(f"role {spec.role} has more than a service needs; refusing to use it")
    if password:
        statement = await conn.fetchval(
            "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)", spec.role, password
        )
        await conn.execute(statement)
    if not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        # A managed server's admin is no superuser: it must be a member to hand objects over.
        await conn.execute(f"GRANT {role} TO CURRENT_USER")
    await conn.execute(f"GRANT CONNECT ON DATABASE {_ident(database)} TO {role}")
    schema = _ident(spec.schema)
    async with conn.transaction():
        if await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", spec.schema):
            await conn.execute(f"ALTER SCHEMA {schema} OWNER TO {role}")
            for (statement,) in await conn.fetch(_FOREIGN_OBJECTS, spec.schema, spec.role):
                await conn.execute(statement)
        else:
            await conn.execute(f"CREATE SCHEMA {schema} AUTHORIZATION {role}")
        await conn.execute(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC")
    return f"{spec.role} ({done}) owns schema {spec.schema}"


async def ensure_roles(admin_url: str, passwords: Mapping[str, str | None]) -> list[str]:
    """Give every service its role and schema in the database of `admin_url`.

    `passwords` maps role names to passwords; a role without one logs in only where the
    server trusts it (a local development server). Idempotent.
    """
    # Any spelling (postgres://, postgresql+asyncpg://) as the plain DSN asyncpg takes.
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        database = await conn.fetchval("SELECT current_database()")
        # Only the service roles (and administrators) may connect to this database.
        await conn.execute(f"REVOKE ALL ON DATABASE {_ident(database)} FROM PUBLIC")
        return [
            await _ensure_role(conn, spec, passwords.get(spec.role), database)
            for spec in SERVICE_ROLES
        ]
    finally:
        await conn.close()


def passwords_from(env: Mapping[str, str]) -> dict[str, str | None]:
    """Each role's password: `<PREFIX>_DB_PASSWORD`, else the one in `<PREFIX>_DATABASE_URL`
    (which must log in as that role); neither: none."""
    passwords: dict[str, str | None] = {}
    for spec in SERVICE_ROLES:
        password = env.get(spec.password_variable)
        url = env.get(f"{spec.prefix}_DATABASE_URL")
        if not password and url:
            parsed = make_url(url)
            if parsed.username != spec.role:
                raise RoleSetupError(
                    f"{spec.prefix}_DATABASE_URL logs in as {parsed.username!r},"
                    f" not as the service's role {spec.role!r}"
                )
            password = parsed.password
        passwords[spec.role] = password or None
    return passwords


def main() -> int:
    """`python -m segshared.dbroles`: the roles, as DATABASE_ADMIN_URL, with their passwords
    from `<PREFIX>_DB_PASSWORD` or `<PREFIX>_DATABASE_URL`."""
    admin_url = os.environ.get("DATABASE_ADMIN_URL", "")
    if not admin_url:
        print("dbroles: set DATABASE_ADMIN_URL (a user that may create roles)", file=sys.stderr)
        return 2
    try:
        passwords = passwords_from(os.environ)
        if os.environ.get("ENVIRONMENT") == "production":
            weak = [
                spec.prefix
                for spec in SERVICE_ROLES
                if DEV_ONLY_MARKER in (passwords[spec.role] or DEV_ONLY_MARKER)
            ]
            if DEV_ONLY_MARKER in admin_url:
                weak.append("DATABASE_ADMIN_URL")
            if weak:
                raise RoleSetupError("production needs real passwords: " + ", ".join(weak))
        for line in asyncio.run(ensure_roles(admin_url, passwords)):
            print(f"database role {line}", flush=True)
    except RoleSetupError as exc:
        print(f"dbroles: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
