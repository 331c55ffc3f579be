"""Fixtures of the caseworker-workflow tests: every DB test runs on SQLite and PostgreSQL.

PostgreSQL is the local server (``SKILLMATCH_TEST_PG_URL``, default
``postgresql://postgres@127.0.0.1:5432/test``). The session creates its own schema there,
migrates it, and drops it at the end; other schemas and tables are never touched. When the
server is unreachable the PostgreSQL tests skip with a loud reason, or fail when ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from service.db import Base, create_db_engine, create_session_factory, upgrade_to_head
from service.security import passwords

PG_URL = os.environ.get("SKILLMATCH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
KEY = b"test-secret-key-0123456789abcdef0123456789"
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def iso7064_check(first17: str) -> str:
    """Check character by the iterative ISO 7064 MOD 11-2 (independent of the code under test)."""
    p = 0
    for ch in first17:
        p = ((p + int(ch)) * 2) % 11
    value = (12 - p) % 11
    return "X" if value == 10 else str(value)


def make_id(region: str = "440301", birth: str = "19900307", seq: str = "123") -> str:
    """A valid 18-character resident ID number."""
    first17 = region + birth + seq
    return first17 + iso7064_check(first17)


def id_with_x() -> str:
    """A valid ID number whose check character is X."""
    for n in range(1000):
        candidate = make_id(seq=f"{n:03d}")
        if candidate.endswith("X"):
            return candidate
    raise AssertionError("no X check character found")


class Clock:
    """An injectable clock."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 with the cheapest parameters: tests check logic, not key stretching."""
    previous = passwords.set_hasher(PasswordHasher.from_parameters(CHEAPEST))
    yield
    passwords.set_hasher(previous)


@dataclass
class Db:
    """A migrated, empty database for one test."""

    backend: str
    url: str
    engine: Engine
    factory: sessionmaker[Session]

    def session(self) -> Session:
        return self.factory()


def _pg_unavailable(reason: str) -> None:
    message = f"POSTGRESQL TESTS NOT RUN: {PG_URL} unreachable ({reason})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true, so this is an error", pytrace=False)
    warnings.warn(message, stacklevel=1)
    pytest.skip(message)


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An engine on the PostgreSQL test database (skips or fails loudly without one)."""
    engine = create_db_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        _pg_unavailable(type(exc).__name__ + ": " + str(exc).splitlines()[0])
    yield engine
    engine.dispose()


def create_pg_schema(admin: Engine, prefix: str = "skillmatch_test") -> str:
    schema = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return schema


def drop_pg_schema(admin: Engine, schema: str) -> None:
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture(scope="session")
def pg_url(pg_admin: Engine) -> Iterator[str]:
    """A migrated schema private to this test session."""
    schema = create_pg_schema(pg_admin)
    url = _pg_schema_url(schema)
    try:
        upgrade_to_head(url)
        yield url
    finally:
        drop_pg_schema(pg_admin, schema)


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = create_db_engine(pg_url, pool_size=10, max_overflow=10)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


TABLES = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """An empty, migrated database: a fresh SQLite file, or the session's PostgreSQL schema
    emptied (TRUNCATE; the audit triggers refuse row deletes, not a TRUNCATE by the owner)."""
    if request.param == "sqlite":
        path = tmp_path / "skillmatch.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
        engine = create_db_engine(url)
        yield Db("sqlite", url, engine, create_session_factory(engine))
        engine.dispose()
    else:
        url = request.getfixturevalue("pg_url")
        engine = request.getfixturevalue("pg_engine")
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        yield Db("postgresql", url, engine, create_session_factory(engine))
