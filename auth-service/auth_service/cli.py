"""Operator commands: `python -m auth_service.cli create-admin [--username U] [--reset]`.

`create-admin` runs at every compose start, every release (the Kubernetes migrate Job) and
every `make up`, so by default it only ever creates: the account, when it is absent and no
active admin exists yet. An existing account is never promoted, reactivated or given a new
password unless `--reset` asks for exactly that.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
from dataclasses import dataclass
from typing import Literal

from segshared.contracts.revocation import invalidate_user_tokens
from segshared.db import make_engine, make_sessionmaker
from segshared.redis_client import make_redis
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import audit, repository
from auth_service.passwords import Passwords
from auth_service.schemas import check_password, check_username
from auth_service.settings import AuthSettings
from auth_service.tables import User, utcnow

Action = Literal["created", "reset", "unchanged", "skipped"]


@dataclass(frozen=True)
class AdminRequest:
    """What the operator asked for."""

    username: str
    email: str
    password: str | None
    reset: bool = False


@dataclass(frozen=True)
class AdminOutcome:
    """What create-admin did, with a password it generated (to be shown once)."""

    action: Action
    username: str
    generated_password: str | None = None
    note: str = ""

    def describe(self) -> str:
        """The lines an operator reads in the logs of make up, compose or the Job."""
        lines = {
            "created": f"Created admin '{self.username}'.",
            "reset": f"Reset '{self.username}': admin, active, new password, old sessions ended.",
            "unchanged": f"User '{self.username}' exists: left unchanged{self.note}.",
            "skipped": f"No user '{self.username}', and {self.note}: nothing created"
            " (create-admin --reset creates it).",
        }[self.action]
        if self.generated_password:
            lines += (
                f"\nGenerated password for '{self.username}': {self.generated_password}"
                "\nIt is shown only this once: store it now."
            )
        return lines


def _generated() -> str:
    return secrets.token_urlsafe(16) + "7a"  # the suffix satisfies "a letter and a digit"


async def _apply(
    session: AsyncSession, settings: AuthSettings, ask: AdminRequest
) -> tuple[AdminOutcome, int | None]:
    """Create, reset or leave the account; returns the outcome and the id to revoke."""
    passwords = Passwords(settings)
    user = await repository.user_by_login(session, ask.username)
    if user is None:
        admins = await repository.count_active_admins(session)
        if admins and not ask.reset:
            return AdminOutcome(
                "skipped", ask.username, note=f"{admins} active admin(s) exist"
            ), None
        password = ask.password or _generated()
        user = User(
            email=ask.email,
            username=ask.username,
            full_name="Administrator",
            hashed_password=await passwords.hash(password),
            role="admin",
        )
        session.add(user)
        await session.flush()
        await audit.record(session, "admin_created", target_id=user.id)
        generated = None if ask.password else password
        return AdminOutcome("created", ask.username, generated), None
    if not ask.reset:
        notes = [] if user.role == "admin" and user.is_active else ["it is not an active admin"]
        if ask.password:
            notes.append("the given password was not applied")
        note = "".join(f"; {n}" for n in notes) + (" (create-admin --reset would)" if notes else "")
        return AdminOutcome("unchanged", ask.username, note=note), None
    password = ask.password or _generated()
    user.role = "admin"
    user.is_active = True
    user.hashed_password = await passwords.hash(password)
    user.updated_at = utcnow()
    await audit.record(session, "admin_reset", target_id=user.id)
    return AdminOutcome("reset", ask.username, None if ask.password else password), user.id


async def bootstrap_admin(settings: AuthSettings, ask: AdminRequest) -> AdminOutcome:
    """Run create-admin against the database and Redis of `settings`."""
    engine = make_engine(settings.database_url, 1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            outcome, reset_id = await _apply(session, settings, ask)
    finally:
        await engine.dispose()
    if reset_id is not None:
        # Committed above: sessions opened with the old password or role end now.
        redis = make_redis(settings.redis_url)
        try:
            await invalidate_user_tokens(redis, reset_id, settings.revocation_ttl)
        finally:
            await redis.aclose()
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="auth_service.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser(
        "create-admin", help="create the first admin when none exists (or --reset one)"
    )
    admin.add_argument("--username", default=os.environ.get("ADMIN_USERNAME") or "admin")
    admin.add_argument("--email", default=os.environ.get("ADMIN_EMAIL") or None)
    admin.add_argument("--password", default=os.environ.get("ADMIN_PASSWORD") or None)
    admin.add_argument(
        "--reset",
        action="store_true",
        help="make this account an active admin with a new password, even if it exists",
    )
    args = parser.parse_args(argv)
    try:
        check_username(args.username)
        if args.password is not None:
            check_password(args.password)
    except ValueError as exc:
        print(f"create-admin: {exc}", file=sys.stderr)
        return 2
    ask = AdminRequest(
        username=args.username,
        email=args.email or f"{args.username}@localhost.localdomain",
        password=args.password,
        reset=args.reset,
    )
    print(asyncio.run(bootstrap_admin(AuthSettings(), ask)).describe(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
