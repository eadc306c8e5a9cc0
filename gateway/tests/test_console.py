"""The console's build at /ui/ (deep links, caching, precompressed twins, CSP), /redoc,
and gzip of JSON/CSV answers."""

from __future__ import annotations

import gzip
import json
import zlib

import httpx
from gateway.compression import GzipJsonCsv, accepts_gzip
from starlette.types import Message, Receive, Scope, Send

from .helpers import APP_JS, INDEX_HTML, VALID_KEY


async def raw(client: httpx.AsyncClient, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body bytes exactly as sent (not decoded)."""
    async with client.stream("GET", path, headers=headers) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, body


class TestConsoleFiles:
    async def test_index_is_served_and_revalidated(self, client: httpx.AsyncClient) -> None:
        response, body = await raw(client, "/ui/", **{"accept-encoding": "identity"})
        assert response.status_code == 200 and body == INDEX_HTML
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp

    async def test_deep_links_load_the_app(self, client: httpx.AsyncClient) -> None:
        for path in ("/ui/history?cluster=2&min_confidence=50", "/ui/admin", "/ui/models/v1"):
            response, body = await raw(client, path, **{"accept-encoding": "identity"})
            assert response.status_code == 200, path
            assert body == INDEX_HTML and response.headers["cache-control"] == "no-cache"

    async def test_ui_without_slash_redirects(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/ui")
        assert response.status_code == 308 and response.headers["location"] == "/ui/"

    async def test_root_still_redirects_browsers(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/", headers={"Accept": "text/html"})
        assert response.status_code == 307 and response.headers["location"] == "/ui/"

    async def test_hashed_assets_are_immutable(self, client: httpx.AsyncClient) -> None:
        response, body = await raw(client, "/ui/assets/app-1a2b3c.js", **{"accept-encoding": ""})
        assert body == APP_JS
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-type"].startswith("text/javascript")
        assert "content-encoding" not in response.headers

    async def test_brotli_twin_when_accepted(self, client: httpx.AsyncClient) -> None:
        response, body = await raw(
            client, "/ui/assets/app-1a2b3c.js", **{"accept-encoding": "gzip, deflate, br"}
        )
        assert response.headers["content-encoding"] == "br"
        assert body == b"brotli-bytes-as-built"
        assert response.headers["content-length"] == str(len(body))
        assert "accept-encoding" in response.headers["vary"].lower()
        assert response.headers["content-type"].startswith("text/javascript")

    async def test_gzip_twin_when_brotli_is_not_accepted(self, client: httpx.AsyncClient) -> None:
        response, body = await raw(
            client, "/ui/assets/app-1a2b3c.js", **{"accept-encoding": "gzip, br;q=0"}
        )
        assert response.headers["content-encoding"] == "gzip"
        assert gzip.decompress(body) == APP_JS
        index, index_body = await raw(client, "/ui/", **{"accept-encoding": "gzip"})
        assert index.headers["content-encoding"] == "gzip"
        assert gzip.decompress(index_body) == INDEX_HTML

    async def test_unhashed_files_are_revalidated(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/ui/favicon.svg")
        assert response.status_code == 200 and response.headers["cache-control"] == "no-cache"

    async def test_missing_assets_and_traversal_are_404(self, client: httpx.AsyncClient) -> None:
        for path in ("/ui/assets/gone-123.js", "/ui/missing.png", "/ui/..%2F..%2Fetc%2Fpasswd"):
            response = await client.get(path)
            assert response.status_code == 404, path
        # A path that climbs out of the build never reads a file outside it.
        outside = await client.get("/ui/%2E%2E/%2E%2E/pyproject.toml")
        assert outside.status_code == 404


class TestRedoc:
    async def test_redoc_serves_the_merged_openapi(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/redoc")
        assert response.status_code == 200
        assert "redoc" in response.text.lower() and "/openapi.json" in response.text


class TestCompression:
    async def test_large_json_is_gzipped_for_clients_that_accept_it(
        self, client: httpx.AsyncClient
    ) -> None:
        headers = {"x-api-key": VALID_KEY, "accept-encoding": "gzip"}
        response, body = await raw(client, "/history/big", **headers)
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in response.headers["vary"].lower()
        assert response.headers["content-length"] == str(len(body))
        decoded = json.loads(gzip.decompress(body))
        assert len(decoded["history"]) == 500
        assert len(body) < len(json.dumps(decoded)) / 5

    async def test_no_gzip_without_accept_encoding(self, client: httpx.AsyncClient) -> None:
        response, body = await raw(
            client, "/history/big", **{"x-api-key": VALID_KEY, "accept-encoding": "identity"}
        )
        assert "content-encoding" not in response.headers
        assert len(json.loads(body)["history"]) == 500

    async def test_small_json_stays_uncompressed(self, client: httpx.AsyncClient) -> None:
        response, body = await raw(
            client, "/profiles/1", **{"x-api-key": VALID_KEY, "accept-encoding": "gzip"}
        )
        assert response.status_code == 200 and len(body) < 1024
        assert "content-encoding" not in response.headers
        assert json.loads(body)["path"] == "/profiles/1"

    async def test_streamed_csv_is_gzipped(self, client: httpx.AsyncClient) -> None:
        response, body = await raw(
            client, "/profiles/stream", **{"x-api-key": VALID_KEY, "accept-encoding": "gzip"}
        )
        assert response.headers["content-encoding"] == "gzip"
        assert "content-length" not in response.headers
        text = gzip.decompress(body).decode()
        assert text.startswith("row-0\n") and text.count("\n") == 1000 * 200

    async def test_streamed_bodies_are_compressed_chunk_by_chunk(self) -> None:
        """Each chunk goes out (decodable) before the next is produced: nothing is buffered."""
        produced: list[int] = []
        sent: list[Message] = []

        async def streaming_app(scope: Scope, receive: Receive, send: Send) -> None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/csv")],
                }
            )
            for i in range(3):
                produced.append(i)
                # Everything produced so far has already reached the client.
                assert len([m for m in sent if m["type"] == "http.response.body"]) == i
                await send(
                    {"type": "http.response.body", "body": b"a,b\n" * 500, "more_body": True}
                )
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def receive() -> Message:
            return {"type": "http.request"}

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "headers": [(b"accept-encoding", b"gzip")]}
        await GzipJsonCsv(streaming_app, minimum_size=1024)(scope, receive, send)
        decoder = zlib.decompressobj(31)
        bodies = [m for m in sent if m["type"] == "http.response.body"]
        assert len(bodies) == 4
        for message in bodies[:3]:
            assert decoder.decompress(message["body"]) == b"a,b\n" * 500
        assert decoder.decompress(bodies[3]["body"]) == b"" and decoder.eof

    def test_accept_encoding_parsing(self) -> None:
        assert accepts_gzip("gzip, deflate, br")
        assert accepts_gzip("br;q=1.0, gzip;q=0.8")
        assert accepts_gzip("*")
        assert not accepts_gzip("gzip;q=0")
        assert not accepts_gzip("identity")
        assert not accepts_gzip("")
