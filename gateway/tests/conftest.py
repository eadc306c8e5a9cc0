"""Gateway tests: the real gateway app in-process, a real HTTP upstream, real Redis (db 4)."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from gateway.main import create_app
from gateway.settings import GatewaySettings
from segshared.redis_client import make_redis
from segshared.testing import TokenSigner, free_port, serve_in_thread
from segshared.tokens import API_KEY_SCOPES

from .helpers import APP_JS, BURST_KEY, INDEX_HTML, OFFICE_KEY, QUOTA_KEY, REDIS_URL, VALID_KEY

# key → (id, daily_quota, scopes, allowed_ips), as auth-service's exchange reports them.
KEYS: dict[str, tuple[int, int | None, list[str], list[str] | None]] = {
    VALID_KEY: (1, None, list(API_KEY_SCOPES), None),
    QUOTA_KEY: (2, 2, ["predict", "profiles:read"], None),
    BURST_KEY: (3, 10, ["predict"], None),
    OFFICE_KEY: (4, None, ["profiles:read"], ["192.0.2.0/24"]),
}


def echo_app(signer: TokenSigner) -> FastAPI:
    """An upstream that reports what it received (and exchanges the known API keys)."""
    app = FastAPI()
    app.state.exchanges = 0

    @app.post("/internal/api-keys/exchange")
    async def exchange(request: Request) -> JSONResponse:
        app.state.exchanges += 1
        key = (await request.json())["key"]
        if request.headers.get("x-service-token") != "gw-test-token" or key not in KEYS:
            return JSONResponse({"detail": "Invalid API key"}, 401)
        key_id, quota, scopes, allowed_ips = KEYS[key]
        token = signer.token(42, "user", akid=key_id, expires_in=300, scp=scopes)
        return JSONResponse(
            {
                "access_token": token,
                "expires_in": 300,
                "api_key_id": key_id,
                "user_id": 42,
                "daily_quota": quota,
                "scopes": scopes,
                "allowed_ips": allowed_ips,
            }
        )

    @app.get("/ready")
    async def ready() -> dict:
        return {
            "status": "ok",
            "components": {
                "postgres": {"status": "ok", "latency_ms": 1.0},
                "redis": {"status": "ok", "latency_ms": 1.0},
                "model": {"status": "ok", "latency_ms": 0.1},
            },
        }

    @app.get("/auth/register/slow")
    async def slow() -> dict:
        await asyncio.sleep(5)
        return {}

    @app.get("/profiles/slow")
    async def slow_profile() -> dict:
        await asyncio.sleep(0.3)
        return {"slow": True}

    @app.get("/profiles/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for i in range(1000):
                yield f"row-{i}\n".encode() * 200

        return StreamingResponse(chunks(), media_type="text/csv")

    @app.get("/history/big")
    async def big() -> JSONResponse:
        return JSONResponse({"history": [{"id": i, "cluster_name": "Budget"} for i in range(500)]})

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def echo(request: Request, path: str) -> JSONResponse:
        body = await request.body()
        return JSONResponse(
            {
                "method": request.method,
                "path": "/" + path,
                "query": request.url.query,
                "body_length": len(body),
                "body_head": body[:64].decode("latin-1"),
                "headers": dict(request.headers),
                "peer_port": request.client.port if request.client else None,
            },
            headers={"X-Upstream": "echo"},
        )

    return app


@pytest.fixture(scope="session")
def echo(signer: TokenSigner) -> FastAPI:
    return echo_app(signer)


@pytest.fixture(scope="session")
def upstream_url(echo: FastAPI) -> Iterator[str]:
    with serve_in_thread(echo) as url:
        yield url


@pytest.fixture(scope="session")
def signer() -> TokenSigner:
    return TokenSigner()


@pytest.fixture(scope="session")
def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def console_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A console build as `npm run build` lays it out: hashed assets with .br/.gz twins."""
    dist = tmp_path_factory.mktemp("dist")
    (dist / "assets").mkdir()
    (dist / "index.html").write_bytes(INDEX_HTML)
    (dist / "index.html.gz").write_bytes(gzip.compress(INDEX_HTML))
    (dist / "assets" / "app-1a2b3c.js").write_bytes(APP_JS)
    (dist / "assets" / "app-1a2b3c.js.gz").write_bytes(gzip.compress(APP_JS))
    (dist / "assets" / "app-1a2b3c.js.br").write_bytes(b"brotli-bytes-as-built")
    (dist / "favicon.svg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    return dist


@pytest.fixture(scope="session")
async def gateway_app(
    upstream_url: str, dead_url: str, signer: TokenSigner, console_dist: Path
) -> AsyncIterator[FastAPI]:
    settings = GatewaySettings(
        redis_url=REDIS_URL,
        auth_service_url=upstream_url,
        profile_service_url=upstream_url,
        ml_service_url=dead_url,
        upstream_timeout_seconds=1.0,
        upstream_long_timeout_seconds=1.0,
        service_token="gw-test-token",
        rate_limit_user_per_minute=50,
        rate_limit_ip_per_minute=10_000,
        max_body_bytes=3 * 1024 * 1024,
        cors_origins="https://app.example.com",
        ui_dir=str(console_dist),
    )
    app = create_app(settings, token_verifier=signer.verifier())
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(gateway_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    redis = make_redis(REDIS_URL)
    await redis.flushdb()
    await redis.aclose()
    transport = httpx.ASGITransport(app=gateway_app, client=("203.0.113.7", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
        yield http
