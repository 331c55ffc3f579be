"""Rate limiting: sliding window, in-process and Redis counters, fallback, headers and body."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import threading

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.ratelimit import (
    KEY_PREFIX,
    MESSAGE,
    MemoryCounter,
    RateLimit,
    RateLimiter,
    client_key,
    decide,
    is_limited,
)

REDIS_URL = os.environ.get("SKILLMATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def small_app(**kwargs) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/ready")
    def ready() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/things")
    def things() -> dict[str, int]:
        return {"n": 1}

    @app.get("/console")
    def console() -> dict[str, str]:
        return {"page": "console"}

    app.add_middleware(RateLimit, **kwargs)
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the decision ------------------------------------------------------------------------------
def test_decide_allows_exactly_the_limit_in_a_fresh_window():
    outcomes = [decide(limit=3, window=60, now=600.0, current=n, previous=0) for n in range(1, 5)]
    assert [d.allowed for d in outcomes] == [True, True, True, False]
    assert [d.remaining for d in outcomes] == [2, 1, 0, 0]
    refused = outcomes[-1]
    # Refused requests count too. In the next window the 4 requests of this one weigh
    # 4 * (1 - t/60); one more fits once that is <= 2, at t = 30 s: 60 + 30 s from now.
    assert refused.retry_after == 90
    assert all(d.retry_after == 0 for d in outcomes[:3])


def test_decide_sliding_estimate():
    allowed = decide(limit=10, window=60, now=645.0, current=1, previous=20)
    assert allowed.allowed and allowed.remaining == 4  # 20 * 0.25 + 1 = 6
    refused = decide(limit=10, window=60, now=615.0, current=3, previous=20)
    assert not refused.allowed  # 20 * 0.75 + 3 = 18
    # One more fits once 20 * (1 - t/60) + 3 + 1 <= 10, i.e. t >= 42: 27 s from t = 15.
    assert refused.retry_after == 27


def test_memory_counter_is_bounded_and_thread_safe():
    counter = MemoryCounter(window=60, max_clients=10)
    for i in range(100):
        counter.hit(f"10.0.0.{i}", 0.0)
    assert len(counter) == 10

    def hammer():
        for _ in range(500):
            counter.hit("shared", 1.0)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.hit("shared", 1.0) == (2001, 0)
    # The next window sees this one as "previous".
    assert counter.hit("shared", 61.0) == (1, 2001)
    assert counter.hit("shared", 200.0) == (1, 0)


def test_paths_limited():
    assert is_limited("/api/v1/match")
    assert is_limited("/api/v1/occupations/search")
    assert not is_limited("/api/v1/health")
    assert not is_limited("/api/v1/ready/")
    assert not is_limited("/console")
    assert not is_limited("/")


def test_client_key_uses_forwarded_for_only_when_trusted():
    scope = {
        "client": ("10.1.2.3", 5555),
        "headers": [(b"x-forwarded-for", b"203.0.113.7, 10.0.0.1")],
    }
    assert client_key(scope) == "10.1.2.3"
    assert client_key(scope, trust_proxy=True) == "203.0.113.7"
    bogus = {"client": ("10.1.2.3", 1), "headers": [(b"x-forwarded-for", b"not-an-ip")]}
    assert client_key(bogus, trust_proxy=True) == "10.1.2.3"
    v6 = {"client": ("2001:db8:1:2:3:4:5:6", 1), "headers": []}
    assert client_key(v6) == "2001:db8:1:2::/64"
    mapped = {"client": ("::ffff:192.0.2.1", 1), "headers": []}
    assert client_key(mapped) == "192.0.2.1"
    assert client_key({"client": ("testclient", 1), "headers": []}) == "testclient"
    assert client_key({"client": None, "headers": []}) == "unknown"


# -- the middleware, in process ----------------------------------------------------------------
def test_in_process_limit_gives_429_with_body_and_retry_after():
    with TestClient(small_app(limit=3)) as client:
        ok = [client.get("/api/v1/things") for _ in range(3)]
        refused = client.get("/api/v1/things")
    assert [r.status_code for r in ok] == [200, 200, 200]
    assert [r.headers["X-RateLimit-Remaining"] for r in ok] == ["2", "1", "0"]
    assert all(r.headers["X-RateLimit-Limit"] == "3" for r in ok)
    assert refused.status_code == 429
    assert refused.json() == {"error": {"code": "rate_limited", "message": MESSAGE, "fields": []}}
    assert 1 <= int(refused.headers["Retry-After"]) <= 120
    assert refused.headers["X-RateLimit-Remaining"] == "0"


def test_health_ready_and_pages_are_not_limited():
    with TestClient(small_app(limit=1)) as client:
        assert client.get("/api/v1/things").status_code == 200
        assert client.get("/api/v1/things").status_code == 429
        for _ in range(5):
            health = client.get("/api/v1/health")
            assert health.status_code == 200
            assert "X-RateLimit-Limit" not in health.headers
            assert client.get("/api/v1/ready").status_code == 200
            assert client.get("/console").status_code == 200


def test_clients_are_counted_separately_behind_a_trusted_proxy():
    with TestClient(small_app(limit=1, trust_proxy=True)) as client:
        a = {"X-Forwarded-For": "198.51.100.1"}
        b = {"X-Forwarded-For": "198.51.100.2, 10.0.0.1"}
        assert client.get("/api/v1/things", headers=a).status_code == 200
        assert client.get("/api/v1/things", headers=a).status_code == 429
        assert client.get("/api/v1/things", headers=b).status_code == 200
    with TestClient(small_app(limit=1)) as client:  # untrusted: one client whatever it says
        assert client.get("/api/v1/things", headers=a).status_code == 200
        assert client.get("/api/v1/things", headers=b).status_code == 429


@pytest.mark.parametrize("asynchronous", [False, True])
def test_exempt_hook(asynchronous):
    def sync_exempt(conn) -> bool:
        return conn.headers.get("authorization") == "Bearer system"

    async def async_exempt(conn) -> bool:
        return sync_exempt(conn)

    hook = async_exempt if asynchronous else sync_exempt
    with TestClient(small_app(limit=1, exempt=hook)) as client:
        system = {"Authorization": "Bearer system"}
        for _ in range(5):
            r = client.get("/api/v1/things", headers=system)
            assert r.status_code == 200
            assert "X-RateLimit-Limit" not in r.headers
        assert client.get("/api/v1/things").status_code == 200
        assert client.get("/api/v1/things").status_code == 429


def test_wired_into_the_real_app(demo_env):
    # By the setting the service reads (the suite itself runs with the limit off).
    app = create_app(
        Settings(data_dir=demo_env.data_dir, rate_limit_per_minute=2), load_in_background=False
    )
    with TestClient(app) as client:
        first = client.get("/api/v1/regions")
        assert first.status_code == 200 and first.headers["X-RateLimit-Remaining"] == "1"
        assert client.get("/api/v1/regions/440300").status_code == 200
        refused = client.post("/api/v1/match", json={"text": "焊工"})
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert "Retry-After" in refused.headers
        assert client.get("/api/v1/health").status_code == 200


# -- Redis -------------------------------------------------------------------------------------
@pytest.fixture
def redis_db():
    """The local Redis (db 15), cleaned of this module's keys; skip loudly when unreachable."""
    conn = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        conn.ping()
    except redis.RedisError as exc:
        reason = f"Redis NOT TESTED: {REDIS_URL} unreachable ({exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " and CI=true")
        pytest.skip(reason)

    def clean() -> None:
        keys = list(conn.scan_iter(match=KEY_PREFIX + "*", count=1000))
        if keys:
            conn.delete(*keys)

    clean()
    yield conn
    clean()
    conn.close()


def test_redis_counts_are_shared_between_replicas(redis_db):
    client_ip = f"192.0.2.{secrets.randbelow(250) + 1}"
    headers = {"X-Forwarded-For": client_ip}
    replica_a = small_app(limit=3, redis_url=REDIS_URL, trust_proxy=True)
    replica_b = small_app(limit=3, redis_url=REDIS_URL, trust_proxy=True)
    with TestClient(replica_a) as a, TestClient(replica_b) as b:
        codes = [
            a.get("/api/v1/things", headers=headers).status_code,
            b.get("/api/v1/things", headers=headers).status_code,
            a.get("/api/v1/things", headers=headers).status_code,
            b.get("/api/v1/things", headers=headers).status_code,
        ]
    assert codes == [200, 200, 200, 429]
    keys = [k.decode() for k in redis_db.scan_iter(match=f"{KEY_PREFIX}{client_ip}:*")]
    assert len(keys) == 1
    assert int(redis_db.get(keys[0])) == 4
    assert 0 < redis_db.ttl(keys[0]) <= 120


def test_redis_limiter_and_fallback_when_redis_goes_away(redis_db, caplog):
    asyncio.run(_redis_then_down(redis_db, caplog))


async def _redis_then_down(redis_db, caplog):
    limiter = RateLimiter(2, redis_url=REDIS_URL)
    assert limiter.backend == "redis"
    first = await limiter.hit("client-x")
    assert first.allowed and first.remaining == 1
    assert redis_db.exists(*redis_db.keys(KEY_PREFIX + "client-x:*")) == 1

    # Redis goes away: the next requests are counted in process, with one warning.
    async def down(*_args, **_kwargs):
        raise redis.exceptions.ConnectionError("connection refused")

    assert limiter.redis is not None
    limiter.redis.hit = down  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="service.ratelimit"):
        results = [await limiter.hit("client-x") for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, False, False]
    assert limiter.backend == "memory"
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1
    await limiter.redis.close()


def test_unreachable_redis_never_fails_requests(caplog):
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with (
        caplog.at_level(logging.WARNING, logger="service.ratelimit"),
        TestClient(small_app(limit=2, redis_url=url, redis_retry_seconds=0)) as client,
    ):
        codes = [client.get("/api/v1/things").status_code for _ in range(3)]
    assert codes == [200, 200, 429]  # counted in process meanwhile
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1  # once, although Redis was retried on every request


def test_malformed_redis_url_fails_fast():
    with pytest.raises(ValueError):
        RateLimiter(5, redis_url="http://example.org")
