"""Rate limiting of the public API per client, as a pure ASGI middleware.

Only ``/api/v1/*`` is limited, except ``/api/v1/health`` and ``/api/v1/ready`` (probes). A
client is its IP address (an IPv6 address counts as its /64 network, which one subscriber
usually holds whole); behind a reverse proxy, with ``trust_proxy``, the first hop of
``X-Forwarded-For``. Set ``trust_proxy`` only when a proxy that overwrites that header is the
only way in: otherwise a client chooses its own key.

The limit is N requests per minute as a *sliding window counter*: the count of the current
fixed window plus the count of the previous one weighted by how much of it still lies within
the last minute (three integers per client, no per-request timestamps). Refused requests
count too, so a client that keeps hammering stays refused. Counts live in Redis
(``INCR`` + ``EXPIRE`` + ``GET`` in one pipeline, keys ``skillmatch:rl:<client>:<window>``) when
a Redis URL is given, so several replicas share them, or in process otherwise (thread-safe,
at most ``max_clients`` clients remembered, least recently seen forgotten first). When Redis
fails at run time the middleware counts in process, logs one warning, and tries Redis again
after ``redis_retry_seconds``: a Redis outage never fails a request.

Over the limit: 429 with the structured Chinese error body of :mod:`service.errors` and a
``Retry-After`` header (seconds). Limited responses carry ``X-RateLimit-Limit`` and
``X-RateLimit-Remaining``. An ``exempt`` callable (sync or async, given the connection) lets
authenticated system clients through unlimited.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Final

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse

from service.errors import error_body

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
ExemptHook = Callable[[HTTPConnection], bool | Awaitable[bool]]
"""Decides whether a request is exempt from the limit (e.g. an authenticated system client)."""

KEY_PREFIX: Final = "skillmatch:rl:"
LIMITED_PREFIX: Final = "/api/v1/"
UNLIMITED_PATHS: Final = frozenset({"/api/v1/health", "/api/v1/ready"})
MESSAGE: Final = "请求过于频繁，请稍后再试"
DEFAULT_MAX_CLIENTS: Final = 100_000


@dataclass(frozen=True)
class Decision:
    """The outcome of counting one request.

    Attributes:
        allowed: Whether the request may pass.
        limit: Requests allowed per window.
        remaining: Requests left in the sliding window after this one.
        retry_after: Whole seconds until a request would be allowed again (0 when allowed).
    """

    allowed: bool
    limit: int
    remaining: int
    retry_after: int


def decide(*, limit: int, window: float, now: float, current: int, previous: int) -> Decision:
    """The sliding-window decision for one request, already counted in ``current``.

    Args:
        limit: Requests allowed per window.
        window: Window length in seconds.
        now: Current time (seconds since the epoch).
        current: Requests counted in the current fixed window, this one included.
        previous: Requests counted in the previous fixed window.

    Returns:
        Whether it is allowed, what remains, and how long to wait when refused.
    """
    elapsed = now % window
    weight = 1.0 - elapsed / window
    estimate = previous * weight + current
    allowed = estimate <= limit + 1e-9
    remaining = max(0, math.floor(limit - estimate + 1e-9))
    if allowed:
        return Decision(True, limit, remaining, 0)
    # When would one more request fit?  Within this window, once enough of the previous
    # window has slid out; else in the next one, where this window's count is "previous".
    if current + 1 <= limit and previous > 0:
        at = window * (1.0 - (limit - current - 1) / previous)
        wait = at - elapsed
    else:
        at_next = window * (1.0 - (limit - 1) / current) if current > limit - 1 else 0.0
        wait = (window - elapsed) + max(at_next, 0.0)
    return Decision(False, limit, 0, max(1, math.ceil(wait)))


class MemoryCounter:
    """Sliding-window counters in process: thread-safe, bounded number of clients."""

    def __init__(self, *, window: float, max_clients: int = DEFAULT_MAX_CLIENTS) -> None:
        """Count per client over ``window`` seconds, remembering at most ``max_clients``."""
        self.window = window
        self.max_clients = max_clients
        self._lock = threading.Lock()
        # client -> [window index, count in that window, count in the window before]
        self._counts: OrderedDict[str, list[int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._counts)

    def hit(self, client: str, now: float) -> tuple[int, int]:
        """Count one request of ``client``.

        Returns:
            (count in the current window including this request, count in the previous one)
        """
        index = int(now // self.window)
        with self._lock:
            entry = self._counts.get(client)
            if entry is None:
                entry = [index, 0, 0]
                self._counts[client] = entry
                if len(self._counts) > self.max_clients:
                    self._counts.popitem(last=False)
            else:
                self._counts.move_to_end(client)
            if entry[0] != index:
                entry[2] = entry[1] if entry[0] == index - 1 else 0
                entry[0], entry[1] = index, 0
            entry[1] += 1
            return entry[1], entry[2]


class RedisCounter:
    """Sliding-window counters in Redis, shared by every replica.

    One client per event loop (``redis.asyncio`` connections belong to the loop that opened
    them); short timeouts and no retries, so an outage costs one timeout, not a stalled API.
    """

    def __init__(self, url: str, *, window: float, timeout: float = 0.25) -> None:
        """Connect lazily to ``url`` (validated now).

        Raises:
            ValueError: When the URL is not a Redis URL.
        """
        from redis.asyncio.connection import parse_url

        parse_url(url)  # fail fast on a malformed URL
        self.url = url
        self.window = window
        self.timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._redis: Any = None

    def _client(self) -> Any:
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        loop = asyncio.get_running_loop()
        if self._redis is None or self._loop is not loop:
            # A server runs one loop; a new loop (tests) needs its own connections.
            self._loop = loop
            self._redis = aioredis.Redis.from_url(
                self.url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry=Retry(NoBackoff(), 0),
            )
        return self._redis

    async def hit(self, client: str, now: float) -> tuple[int, int]:
        """Count one request of ``client`` in Redis.

        Returns:
            (count in the current window including this request, count in the previous one)

        Raises:
            redis.exceptions.RedisError, OSError: When Redis cannot be reached or answers
                with an error.
        """
        index = int(now // self.window)
        key = f"{KEY_PREFIX}{client}:{index}"
        async with self._client().pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, math.ceil(2 * self.window))
            pipe.get(f"{KEY_PREFIX}{client}:{index - 1}")
            current, _, previous = await pipe.execute()
        return int(current), int(previous or 0)

    async def close(self) -> None:
        """Close the connections (call on the loop that used them)."""
        client, self._redis, self._loop = self._redis, None, None
        if client is not None:
            await client.aclose()


class RateLimiter:
    """Counts requests per client in Redis when configured, in process otherwise or meanwhile."""

    def __init__(
        self,
        limit: int,
        *,
        window: float = 60.0,
        redis_url: str | None = None,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        redis_timeout: float = 0.25,
        redis_retry_seconds: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Create a limiter of ``limit`` requests per ``window`` seconds and per client.

        Args:
            limit: Requests allowed per window.
            window: Window length in seconds (60: per minute).
            redis_url: Count in this Redis (``redis://host:6379/0``); ``None``: in process.
            max_clients: Clients remembered in process.
            redis_timeout: Seconds to wait for Redis before counting in process.
            redis_retry_seconds: After a Redis error, count in process this long, then retry.
            clock: The time source (tests).

        Raises:
            ValueError: For a limit below 1 or a malformed Redis URL.
        """
        if limit < 1 or window <= 0:
            raise ValueError("rate limit and window must be positive")
        self.limit = limit
        self.window = window
        self.clock = clock
        self.memory = MemoryCounter(window=window, max_clients=max_clients)
        self.redis = (
            RedisCounter(redis_url, window=window, timeout=redis_timeout) if redis_url else None
        )
        self.redis_retry_seconds = redis_retry_seconds
        self._redis_down_until = 0.0
        self._warned = False

    @property
    def backend(self) -> str:
        """``redis`` or ``memory``: where the next request will be counted."""
        if self.redis is not None and time.monotonic() >= self._redis_down_until:
            return "redis"
        return "memory"

    async def hit(self, client: str) -> Decision:
        """Count one request of ``client`` and decide whether it may pass."""
        now = self.clock()
        counts: tuple[int, int] | None = None
        if self.backend == "redis":
            assert self.redis is not None
            try:
                counts = await self.redis.hit(client, now)
            except Exception as exc:  # redis errors, OSError, timeouts: never fail a request
                self._redis_failed(exc)
            else:
                if self._warned:
                    logger.info("Redis is back: rate limits are shared again")
                    self._warned = False
        if counts is None:
            counts = self.memory.hit(client, now)
        current, previous = counts
        return decide(
            limit=self.limit, window=self.window, now=now, current=current, previous=previous
        )

    def _redis_failed(self, exc: Exception) -> None:
        self._redis_down_until = time.monotonic() + self.redis_retry_seconds
        if not self._warned:
            logger.warning(
                "Redis unavailable for rate limiting (%s: %s); counting in process, "
                "retrying Redis every %.0f s",
                type(exc).__name__,
                exc,
                self.redis_retry_seconds,
            )
            self._warned = True


def client_key(scope: Scope, *, trust_proxy: bool = False) -> str:
    """The key a request is counted under: its client address, normalised.

    Args:
        scope: The ASGI scope.
        trust_proxy: Use the first hop of ``X-Forwarded-For`` when it is an IP address.

    Returns:
        An IPv4 address, an IPv6 /64 network, or the peer as given (e.g. ``testclient``).
    """
    if trust_proxy:
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                first = value.decode("latin-1").split(",", 1)[0].strip()
                parsed = _normalise_ip(first)
                if parsed is not None:
                    return parsed
                break
    client = scope.get("client")
    host = str(client[0]) if client else ""
    return _normalise_ip(host) or host or "unknown"


def _normalise_ip(text: str) -> str | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def is_limited(path: str) -> bool:
    """Whether a path is counted: ``/api/v1/*`` except the health and readiness probes."""
    return path.startswith(LIMITED_PREFIX) and path.rstrip("/") not in UNLIMITED_PATHS


class RateLimit:
    """ASGI middleware: N requests per minute and per client on the public API."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        window: float = 60.0,
        redis_url: str | None = None,
        trust_proxy: bool = False,
        exempt: ExemptHook | None = None,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        redis_timeout: float = 0.25,
        redis_retry_seconds: float = 30.0,
        limiter: RateLimiter | None = None,
    ) -> None:
        """Wrap ``app``.

        Args:
            app: The application.
            limit: Requests per client and window.
            window: Window length in seconds (default a minute).
            redis_url: Count in Redis (shared by replicas); ``None``: in process.
            trust_proxy: Identify clients by the first ``X-Forwarded-For`` hop.
            exempt: Decides, per request, that it is not limited (sync or async).
            max_clients: Clients remembered in process.
            redis_timeout: Seconds to wait for Redis before counting in process.
            redis_retry_seconds: After a Redis error, count in process this long.
            limiter: A ready limiter (overrides the counting arguments; tests).
        """
        self.app = app
        self.limiter = limiter or RateLimiter(
            limit,
            window=window,
            redis_url=redis_url,
            max_clients=max_clients,
            redis_timeout=redis_timeout,
            redis_retry_seconds=redis_retry_seconds,
        )
        self.trust_proxy = trust_proxy
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request; refuse it with 429 over the limit, else pass it on."""
        if scope["type"] != "http" or not is_limited(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        if self.exempt is not None:
            verdict = self.exempt(HTTPConnection(scope))
            if inspect.isawaitable(verdict):
                verdict = await verdict
            if verdict:
                await self.app(scope, receive, send)
                return
        decision = await self.limiter.hit(client_key(scope, trust_proxy=self.trust_proxy))
        headers = {
            "X-RateLimit-Limit": str(decision.limit),
            "X-RateLimit-Remaining": str(decision.remaining),
        }
        if not decision.allowed:
            headers["Retry-After"] = str(decision.retry_after)
            response = JSONResponse(
                error_body("rate_limited", MESSAGE), status_code=429, headers=headers
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in headers.items():
                    response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
