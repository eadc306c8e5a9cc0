"""The route table: which service owns a path prefix, the minimum role to reach it, and
which API-key scope (if any) lets a key in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Service = Literal["auth", "profile", "ml"]
Access = Literal["public", "user", "analyst", "admin"]
ANY_KEY = "*"


@dataclass(frozen=True, slots=True)
class Route:
    """A path prefix (matched on whole segments) and how to treat requests under it."""

    prefix: str
    service: Service
    access: Access
    long_running: bool = False
    metered: bool = False
    # The API-key scope needed to read (GET/HEAD) or change; None: no key may (keys never
    # manage keys, the account or admin routes); "*": any key.
    key_read: str | None = None
    key_write: str | None = None


ROUTES: tuple[Route, ...] = (
    Route("/auth/register", "auth", "public"),
    Route("/auth/login", "auth", "public"),
    Route("/auth/refresh", "auth", "public"),
    Route("/auth/.well-known", "auth", "public"),
    Route("/auth/me", "auth", "user", key_read=ANY_KEY),
    Route("/auth", "auth", "user"),
    Route("/users/me", "auth", "user"),
    Route("/users", "auth", "admin"),
    Route("/admin", "auth", "admin"),
    Route("/profiles", "profile", "user", key_read="profiles:read", key_write="profiles:write"),
    Route("/history", "profile", "user", key_read="history:read", key_write="profiles:write"),
    Route("/predict/batch", "ml", "user", long_running=True, metered=True, key_write="predict"),
    Route("/predict", "ml", "user", metered=True, key_write="predict"),
    Route("/train", "ml", "analyst", long_running=True),
    Route("/clusters", "ml", "user", key_read="models:read"),
    Route("/elbow", "ml", "user", key_read="models:read"),
    Route("/models/compare", "ml", "analyst", key_read="models:read"),
    # Any user may read a model's explanation and projection; ml-service itself requires
    # an analyst for the list, activation and drift.
    Route("/models", "ml", "user", key_read="models:read"),
    Route("/datasets", "ml", "analyst", long_running=True),
    Route("/reports", "ml", "analyst"),
    Route("/webhooks", "ml", "analyst"),
)
_PROFILE_PREDICT = re.compile(r"/profiles/[^/]+/predict")

# Longest prefix first, so "/users/me" wins over "/users".
_ORDERED = sorted(ROUTES, key=lambda r: len(r.prefix), reverse=True)


def match_route(path: str) -> Route | None:
    """The route owning `path`, or None (unknown paths and /internal/* are never forwarded)."""
    if path == "/internal" or path.startswith("/internal/"):
        return None
    for route in _ORDERED:
        if path == route.prefix or path.startswith(route.prefix + "/"):
            return route
    return None


def key_scope(route: Route, method: str, path: str) -> str | None:
    """The scope an API key needs for this request (None: no key may make it)."""
    if method == "POST" and _PROFILE_PREDICT.fullmatch(path):
        return "predict"
    return route.key_read if method in ("GET", "HEAD") else route.key_write


def metered(route: Route, method: str, path: str) -> bool:
    """Whether the call spends prediction rows of an API key's quota."""
    return route.metered or (method == "POST" and _PROFILE_PREDICT.fullmatch(path) is not None)
