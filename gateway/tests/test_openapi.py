"""The merged OpenAPI document lists what the edge itself may answer on every operation."""

from __future__ import annotations

from typing import Any

from gateway.openapi import merge

OK = {"200": {"description": "OK"}}


def service_doc() -> dict[str, Any]:
    return {
        "paths": {
            "/auth/login": {"post": {"responses": {**OK, "401": {"description": "bad"}}}},
            "/profiles/{profile_id}": {"get": {"responses": OK}, "parameters": []},
            "/admin/stats": {"get": {"responses": OK}},
            "/internal/predict": {"post": {"responses": OK}},
        }
    }


def statuses(doc: dict[str, Any], path: str, method: str) -> set[str]:
    return set(doc["paths"][path][method]["responses"])


class TestMergedDocument:
    def test_edge_statuses_are_added_per_route(self) -> None:
        doc = merge({"paths": {}}, {"auth": service_doc()})
        # Public, with a body: rate limit, unavailable service, body limit; no auth.
        assert statuses(doc, "/auth/login", "post") == {
            "200",
            "401",
            "413",
            "429",
            "502",
            "503",
            "504",
        }
        assert doc["paths"]["/auth/login"]["post"]["responses"]["401"] == {"description": "bad"}
        assert statuses(doc, "/profiles/{profile_id}", "get") == {
            "200",
            "401",
            "429",
            "502",
            "503",
            "504",
        }
        assert "403" in statuses(doc, "/admin/stats", "get")
        assert doc["paths"]["/profiles/{profile_id}"]["parameters"] == []
        assert "/internal/predict" not in doc["paths"]
        assert doc["components"]["schemas"]["ErrorBody"]["properties"]["detail"]
