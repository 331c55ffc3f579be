"""Request size limits, as a pure ASGI middleware in front of every route.

Bodies over ``max_body`` bytes get 413 (``payload_too_large``) and query strings over
``max_query`` characters (counted after percent-decoding, so a Chinese character counts once)
get 414 (``query_too_long``), both with the structured Chinese error body. A body is refused
from its ``Content-Length`` before it is read; a body without one (chunked) is read up to the
limit only, then replayed to the application.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote_plus

from starlette.responses import JSONResponse

from service.errors import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 64 * 1024
MAX_QUERY_CHARS = 2000


class RequestLimits:
    """Refuse oversized request bodies (413) and query strings (414)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int = MAX_BODY_BYTES,
        max_query: int = MAX_QUERY_CHARS,
        large_bodies: dict[str, int] | None = None,
    ) -> None:
        """Wrap ``app`` with the given limits (bytes of body, characters of query string).

        ``large_bodies`` maps path prefixes (e.g. the catalog upload) to their own body limit.
        """
        self.app = app
        self.max_body = max_body
        self.max_query = max_query
        self.large_bodies = dict(large_bodies or {})

    def _body_limit(self, path: str) -> int:
        for prefix, limit in self.large_bodies.items():
            if path.startswith(prefix):
                return limit
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the limits, then pass the request on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _query_chars(scope.get("query_string", b""), self.max_query) > self.max_query:
            await _refuse(
                scope,
                receive,
                send,
                414,
                "query_too_long",
                f"查询参数过长（不能超过 {self.max_query} 个字符）",
            )
            return
        max_body = self._body_limit(scope.get("path", ""))
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > max_body:
                await self._too_large(scope, receive, send, max_body)
                return
            if int(length) == 0:
                await self.app(scope, receive, send)
                return
        elif b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        # Read the body up to the limit, then replay it.
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > max_body:
                await self._too_large(scope, receive, send, max_body)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        size = f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit // 1024} KB"
        await _refuse(
            scope, receive, send, 413, "payload_too_large", f"请求内容过大（不能超过 {size}）"
        )


def _query_chars(raw: bytes, limit: int) -> int:
    """Characters of a query string once percent-decoded ("焊" counts 1, not 9)."""
    if len(raw) <= limit:  # decoding never makes it longer
        return len(raw)
    return len(unquote_plus(raw.decode("latin-1"), encoding="utf-8", errors="replace"))


async def _refuse(
    scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str
) -> None:
    response = JSONResponse(error_body(code, message), status_code=status)
    await response(scope, receive, send)
