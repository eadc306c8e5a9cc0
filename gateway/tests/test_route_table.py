"""Which service owns a path, and the minimum role to reach it."""

from __future__ import annotations

import pytest
from gateway.route_table import match_route


class TestMatchRoute:
    @pytest.mark.parametrize(
        ("path", "service", "access"),
        [
            ("/auth/login", "auth", "public"),
            ("/auth/register", "auth", "public"),
            ("/auth/.well-known/jwks.json", "auth", "public"),
            ("/auth/me", "auth", "user"),
            ("/auth/api-keys/3", "auth", "user"),
            ("/users/me", "auth", "user"),
            ("/users/me/profile", "auth", "user"),
            ("/users/", "auth", "admin"),
            ("/users/12/role", "auth", "admin"),
            ("/admin/stats", "auth", "admin"),
            ("/profiles/", "profile", "user"),
            ("/history/export", "profile", "user"),
            ("/predict", "ml", "user"),
            ("/predict/batch", "ml", "user"),
            ("/train/jobs/abc", "ml", "analyst"),
            ("/models/v1/activate", "ml", "user"),  # ml-service requires an admin
            ("/models/v1/projection", "ml", "user"),
            ("/models/compare", "ml", "analyst"),
            ("/datasets", "ml", "analyst"),
        ],
    )
    def test_known_paths(self, path: str, service: str, access: str) -> None:
        route = match_route(path)
        assert route is not None
        assert (route.service, route.access) == (service, access)

    @pytest.mark.parametrize(
        "path", ["/internal", "/internal/users/1/stats", "/usersx", "/predictions", "/nope"]
    )
    def test_internal_and_unknown_paths_have_no_route(self, path: str) -> None:
        assert match_route(path) is None
