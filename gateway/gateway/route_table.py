"""The route table: which service owns a path prefix and the minimum role to reach it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Service = Literal["auth", "profile", "ml"]
Access = Literal["public", "user", "analyst", "admin"]


@dataclass(frozen=True, slots=True)
class Route:
    """A path prefix (matched on whole segments) and how to treat requests under it."""

    prefix: str
    service: Service
    access: Access
    long_running: bool = False
    metered: bool = False


ROUTES: tuple[Route, ...] = (
    Route("/auth/register", "auth", "public"),
    Route("/auth/login", "auth", "public"),
    Route("/auth/refresh", "auth", "public"),
    Route("/auth/.well-known", "auth", "public"),
    Route("/auth", "auth", "user"),
    Route("/users/me", "auth", "user"),
    Route("/users", "auth", "admin"),
    Route("/admin", "auth", "admin"),
    Route("/profiles", "profile", "user"),
    Route("/history", "profile", "user"),
    Route("/predict/batch", "ml", "user", long_running=True, metered=True),
    Route("/predict", "ml", "user", metered=True),
    Route("/train", "ml", "analyst", long_running=True),
    Route("/clusters", "ml", "user"),
    Route("/elbow", "ml", "user"),
    Route("/models/compare", "ml", "analyst"),
    # Any user may read a model's explanation and projection; ml-service itself requires
    # an analyst for the list, activation and drift.
    Route("/models", "ml", "user"),
    Route("/datasets", "ml", "analyst", long_running=True),
    Route("/reports", "ml", "analyst"),
    Route("/webhooks", "ml", "analyst"),
)

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
