"""The web console's production build (frontend/dist) under /ui/.

Vite names every file under `assets/` by its content hash, so those are cached for a
year as immutable; `index.html` (and the other unhashed files) must be revalidated so a
new release is picked up at once. The build stores `.br` and `.gz` twins of each text
file; the best one the client accepts is sent as is. Any other path under /ui/ is a
route of the single-page app, answered with `index.html`.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from gateway.compression import accepts_gzip

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Everything the built app loads comes from its own origin; no inline scripts or styles.
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _accepts_brotli(accept_encoding: str) -> bool:
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip() == "br" and params.replace(" ", "") not in ("q=0", "q=0.0"):
            return True
    return False


class Console:
    """Resolves a path under /ui/ to a file of the build, or to `index.html`."""

    def __init__(self, directory: Path) -> None:
        self.root = directory.resolve()
        self.index = self.root / "index.html"

    @property
    def available(self) -> bool:
        """Whether a build is there to serve."""
        return self.index.is_file()

    def response(self, request: Request, relative: str) -> Response:
        """The file at `relative` (best encoding), `index.html` for app routes, else 404."""
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root):
            return JSONResponse({"detail": "Not Found"}, 404)
        if relative and target.is_file():
            return self._file(target, relative, request.headers.get("accept-encoding", ""))
        if relative.startswith("assets/") or "." in relative.rsplit("/", 1)[-1]:
            return JSONResponse({"detail": "Not Found"}, 404)
        return self._file(self.index, "index.html", request.headers.get("accept-encoding", ""))

    def _file(self, path: Path, relative: str, accept_encoding: str) -> Response:
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        headers = {
            "Cache-Control": IMMUTABLE if relative.startswith("assets/") else REVALIDATE,
            "Vary": "Accept-Encoding",
            "Content-Security-Policy": CONSOLE_CSP,
        }
        for suffix, coding, accepted in (
            (".br", "br", _accepts_brotli(accept_encoding)),
            (".gz", "gzip", accepts_gzip(accept_encoding)),
        ):
            twin = path.with_name(path.name + suffix)
            if accepted and twin.is_file():
                headers["Content-Encoding"] = coding
                return FileResponse(twin, media_type=media_type, headers=headers)
        return FileResponse(path, media_type=media_type, headers=headers)


def redirect_to_console() -> RedirectResponse:
    """`/ui` → `/ui/` (relative URLs of the app resolve against the slash)."""
    return RedirectResponse("/ui/", status_code=308)
