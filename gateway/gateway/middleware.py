"""Edge middleware: security headers on every response."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_UI_CSP = (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'")


class SecurityHeadersMiddleware:
    """Adds browser-hardening headers (and a strict CSP on the web UI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_ui = scope["path"].startswith("/ui")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(_SECURITY_HEADERS)
                if is_ui:
                    headers.append(_UI_CSP)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
