"""Request and response bodies of the auth-service."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from ipaddress import ip_network
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
)
from segshared.params import Text, storable_text
from segshared.stats_window import BucketCount, DayCount

Role = Literal["user", "analyst", "admin"]
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,50}$")
Email = Annotated[EmailStr, AfterValidator(storable_text)]


def check_password(value: str) -> str:
    """Passwords are 8..128 chars with at least one letter and one digit."""
    if not 8 <= len(value) <= 128:
        raise ValueError("Password must be 8 to 128 characters long")
    if not re.search(r"[A-Za-z]", value) or not re.search(r"\d", value):
        raise ValueError("Password must contain at least one letter and one digit")
    return value


def check_username(value: str) -> str:
    """Usernames are 3..50 chars of letters, digits, `_`, `.` and `-`."""
    if not USERNAME_PATTERN.match(value):
        raise ValueError("Username must be 3 to 50 characters of letters, digits, '_', '.' or '-'")
    return value


Username = Annotated[str, AfterValidator(check_username)]
Password = Annotated[Text, AfterValidator(check_password)]


class UserCreate(BaseModel):
    email: Email
    username: Username
    full_name: Text | None = Field(default=None, max_length=255)
    password: Password


class UserUpdate(BaseModel):
    """Self-service update; `role`/`is_active` are not fields here, so they are ignored."""

    email: Email | None = None
    username: Username | None = None
    full_name: Text | None = Field(default=None, max_length=255)
    password: Password | None = None
    current_password: Text | None = Field(default=None, max_length=128)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    username: str
    full_name: str | None
    role: Role
    is_active: bool
    created_at: datetime


class UserWithTotals(UserPublic):
    total_predictions: int | None = None
    total_saved_profiles: int | None = None


class UserList(BaseModel):
    users: list[UserPublic]
    total: int


class AdminUserList(BaseModel):
    users: list[UserWithTotals]
    total: int
    total_predictions: int | None
    total_profiles: int | None


class RoleUpdate(BaseModel):
    role: Role


class LoginRequest(BaseModel):
    username: Text = Field(min_length=1, max_length=320)
    password: Text = Field(min_length=1, max_length=1024)


class RefreshRequest(BaseModel):
    refresh_token: Text = Field(min_length=1, max_length=512)


class TokenPair(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name)
    expires_in: int
    # None when it was delivered in the HttpOnly cookie (`?refresh_cookie=true`).
    refresh_token: str | None
    user: UserPublic


class Message(BaseModel):
    message: str


Scope = Literal["predict", "history:read", "profiles:read", "profiles:write", "models:read"]


def _default_scopes() -> list[Scope]:
    return ["predict"]


def _networks(values: list[str] | None) -> list[str] | None:
    """Each entry an IP or CIDR, stored normalised (`10.0.0.0/8`, `192.0.2.7/32`)."""
    if values is None:
        return None
    try:
        return [str(ip_network(v.strip(), strict=False)) for v in values]
    except ValueError as exc:
        raise ValueError(f"not an IP address or CIDR: {exc}") from exc


def _future(value: AwareDatetime | None) -> AwareDatetime | None:
    if value is not None and value <= datetime.now(UTC):
        raise ValueError("expires_at must be in the future")
    return value


class ApiKeyCreate(BaseModel):
    name: Text = Field(min_length=1, max_length=100)
    daily_quota: int | None = Field(default=None, ge=1, le=10_000_000)
    scopes: Annotated[list[Scope], AfterValidator(lambda v: sorted(set(v)))] = Field(
        default_factory=_default_scopes, min_length=1, max_length=5
    )
    expires_at: Annotated[AwareDatetime | None, AfterValidator(_future)] = None
    allowed_ips: Annotated[
        list[Annotated[str, Field(max_length=64)]] | None, AfterValidator(_networks)
    ] = Field(default=None, min_length=1, max_length=50)


class ApiKeyCreated(BaseModel):
    id: int
    name: str
    key: str
    prefix: str
    daily_quota: int | None
    scopes: list[str]
    expires_at: datetime | None
    allowed_ips: list[str] | None
    created_at: datetime


class ApiKeyPublic(BaseModel):
    id: int
    name: str
    prefix: str
    daily_quota: int | None
    scopes: list[str]
    expires_at: datetime | None
    allowed_ips: list[str] | None
    created_at: datetime
    last_used_at: datetime | None
    used_today: int


class ApiKeyExchange(BaseModel):
    key: Text = Field(min_length=1, max_length=256)


class ApiKeyToken(BaseModel):
    access_token: str
    expires_in: int
    api_key_id: int
    user_id: int
    daily_quota: int | None
    scopes: list[str]
    allowed_ips: list[str] | None


class UsersByRole(BaseModel):
    user: int = 0
    analyst: int = 0
    admin: int = 0


class AdminStats(BaseModel):
    total_users: int
    active_users: int
    inactive_users: int
    users_by_role: UsersByRole
    total_predictions: int | None
    total_profiles: int | None
    predictions_by_cluster: dict[str, int]
    predictions_last_7_days: list[DayCount]
    # Per `bucket` over the last `days` days (zero buckets included); null while the
    # profile-service can't be reached.
    predictions_over_time: list[BucketCount] | None


class AuditPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    action: str
    actor_id: int | None
    target_id: int | None
    ip: str | None
    detail: dict
    created_at: datetime


class AuditList(BaseModel):
    entries: list[AuditPublic]
    total: int
