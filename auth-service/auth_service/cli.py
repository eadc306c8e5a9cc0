"""Operator commands: `python -m auth_service.cli create-admin [--username U --password P]`."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys

from segshared.db import make_engine, make_sessionmaker
from segshared.redis_client import make_redis
from segshared.revocation import invalidate_user_tokens
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import audit, repository
from auth_service.models import User, utcnow
from auth_service.passwords import Passwords
from auth_service.schemas import check_password, check_username
from auth_service.settings import AuthSettings


async def _upsert_admin(
    session: AsyncSession, settings: AuthSettings, username: str, email: str, password: str | None
) -> tuple[User, str | None]:
    """Create the admin, or reset its role/activation (and password when given)."""
    passwords = Passwords(settings)
    user = await repository.user_by_login(session, username)
    generated = None
    if user is None:
        if password is None:
            generated = password = secrets.token_urlsafe(16) + "7a"
        user = User(
            email=email,
            username=username,
            full_name="Administrator",
            hashed_password=await passwords.hash(password),
            role="admin",
        )
        session.add(user)
        await session.flush()
        await audit.record(session, "admin_created", target_id=user.id)
        return user, generated
    user.role = "admin"
    user.is_active = True
    if password is not None and not await passwords.verify(user.hashed_password, password):
        user.hashed_password = await passwords.hash(password)
        await audit.record(session, "admin_password_reset", target_id=user.id)
    user.updated_at = utcnow()
    return user, None


async def create_admin(username: str, email: str, password: str | None) -> int:
    """Create or reset the admin account; print a generated password once."""
    settings = AuthSettings()
    engine = make_engine(settings.database_url, 1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            user, generated = await _upsert_admin(session, settings, username, email, password)
            assert user.id is not None
            user_id = user.id
    finally:
        await engine.dispose()
    if password is not None:
        # A reset password must end sessions opened with the old one.
        redis = make_redis(settings.redis_url)
        await invalidate_user_tokens(redis, user_id, settings.access_token_seconds + 60)
        await redis.aclose()
    if generated:
        print(f"Created admin '{username}' with generated password: {generated}")
        print("It is shown only this once: store it now.")
    else:
        print(f"Admin '{username}' is ready.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="auth_service.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("create-admin", help="create or reset the first admin")
    admin.add_argument("--username", default=os.environ.get("ADMIN_USERNAME") or "admin")
    admin.add_argument("--email", default=os.environ.get("ADMIN_EMAIL") or None)
    admin.add_argument("--password", default=os.environ.get("ADMIN_PASSWORD") or None)
    args = parser.parse_args(argv)
    try:
        check_username(args.username)
        if args.password is not None:
            check_password(args.password)
    except ValueError as exc:
        print(f"create-admin: {exc}", file=sys.stderr)
        return 2
    email = args.email or f"{args.username}@localhost.localdomain"
    return asyncio.run(create_admin(args.username, email, args.password))


if __name__ == "__main__":
    sys.exit(main())
