"""Helpers of the HTTP tests of the caseworker workflow: an app on a fresh database with one
account per role, logging in through the console form, valid resident ID numbers.

The database is a fresh SQLite file, or a private schema on the local PostgreSQL (the same
server and loud skip / CI failure as ``tests/casework/conftest.py``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from service.app import create_app
from service.casework import accounts
from service.config import Settings
from service.db import create_db_engine
from service.security import passwords
from tests.casework.conftest import (
    PG_URL,
    _pg_schema_url,
    _pg_unavailable,
    create_pg_schema,
    drop_pg_schema,
    iso7064_check,
)
from tests.conftest import TODAY

SECRET = "http-test-secret-0123456789abcdef-0123456789"
PASSWORD = "柜台服务password1"
USERS = {"cw": "caseworker", "sup": "supervisor", "adm": "admin"}
USERNAMES = {"cw": "cw-one", "sup": "sup-one", "adm": "adm-one"}
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_id(n: int, region: str = "410105", birth: str = "19880512") -> str:
    """A valid 18-character resident ID number (GB 11643 check character)."""
    first17 = f"{region}{birth}{n % 1000:03d}"
    return first17 + iso7064_check(first17)


def make_phone(n: int) -> str:
    """A valid mainland mobile number."""
    return f"139{n:08d}"


@contextmanager
def cheap_hashing() -> Iterator[None]:
    """Argon2 with the cheapest parameters while the block runs."""
    previous = passwords.set_hasher(PasswordHasher.from_parameters(CHEAPEST))
    try:
        yield
    finally:
        passwords.set_hasher(previous)


@contextmanager
def database_url(backend: str, tmp: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file or a private PostgreSQL schema (dropped after)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / f'casework-{uuid.uuid4().hex[:6]}.db'}"
        return
    admin = create_db_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        admin.dispose()
        _pg_unavailable(type(exc).__name__ + ": " + str(exc).splitlines()[0])
    schema = create_pg_schema(admin, prefix="skillmatch_http")
    try:
        yield _pg_schema_url(schema)
    finally:
        drop_pg_schema(admin, schema)
        admin.dispose()


@dataclass
class Env:
    """A running app with one account and one bearer token per role."""

    app: FastAPI
    client: TestClient
    settings: Settings
    backend: str = "sqlite"
    user_ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)

    def new_client(self) -> TestClient:
        """Another browser (own cookie jar) on the same app; the lifespan already ran."""
        return TestClient(self.app, base_url="http://testserver")

    def bearer(self, role: str) -> dict[str, str]:
        """Authorization header with the token of a role (``cw``, ``sup``, ``adm``)."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def add_user(self, username: str, role: str, password: str = PASSWORD) -> int:
        """Create another console account directly in the database."""
        with self.app.state.database.session() as session:
            return accounts.create_user(session, username=username, password=password, role=role).id


def settings_for(data_dir: Path, url: str, **overrides: object) -> Settings:
    """Settings of a test app: the demo catalog, a given database, small lockout numbers."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": url,
        "secret_key": SECRET,
        "today": TODAY,
        "login_max_failures": 3,
        "lockout_minutes": 5,
        "session_hours": 2,
        "log_level": "DEBUG",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@contextmanager
def running_env(settings: Settings, backend: str = "sqlite") -> Iterator[Env]:
    """The app started (catalog loaded, database migrated) with the role accounts and tokens."""
    app = create_app(settings, load_in_background=False)
    with TestClient(app, base_url="http://testserver") as client:
        env = Env(app=app, client=client, settings=settings, backend=backend)
        with app.state.database.session() as session:
            for name, role in USERS.items():
                user = accounts.create_user(
                    session, username=USERNAMES[name], password=PASSWORD, role=role
                )
                env.user_ids[name] = user.id
                issued = accounts.issue_token(
                    session,
                    name=f"{role} client",
                    role=role,
                    owner_id=user.id,
                    actor=accounts.SYSTEM,
                )
                env.tokens[name] = issued.secret
                env.token_ids[name] = issued.token.id
        yield env


def login_token(client: TestClient, next_path: str = "/console") -> str:
    """Open the login form and return its CSRF token (its cookie lands in the client)."""
    page = client.get("/console/login", params={"next": next_path})
    assert page.status_code == 200, page.text
    found = _FORM_TOKEN.search(page.text)
    assert found, "login form without a CSRF token"
    return found.group(1)


def login(
    client: TestClient, username: str, password: str = PASSWORD, next_path: str = "/console"
) -> httpx.Response:
    """Log in through the console form (no redirect followed)."""
    token = login_token(client, next_path)
    return client.post(
        "/console/login",
        data={
            "username": USERNAMES.get(username, username),
            "password": password,
            "csrf_token": token,
            "next": next_path,
        },
        follow_redirects=False,
    )


def logged_in(env: Env, username: str) -> tuple[TestClient, str]:
    """A new browser logged in as ``username`` (or a role key: ``cw``, ``sup``, ``adm``), and
    its session's CSRF token."""
    client = env.new_client()
    response = login(client, USERNAMES.get(username, username))
    assert response.status_code == 303, response.text
    return client, csrf_of(client)


def csrf_of(client: TestClient) -> str:
    """The CSRF token of the client's session (from a staff page's meta tag)."""
    page = client.get("/console/referrals")
    assert page.status_code == 200, page.text
    found = _CSRF_META.search(page.text)
    assert found, "staff page without the csrf-token meta tag"
    return found.group(1)


def enrolling_session(env: Env, min_seats: int = 3) -> tuple[str, str]:
    """A (course_id, session_id) of the demo catalog open for enrolment on TODAY."""
    view = env.app.state.service.matcher.view
    for row in view.sessions.to_pylist():
        seats = row["capacity"] - row["seats_taken"]
        if row["enrol_open"] <= TODAY <= row["enrol_close"] and seats >= min_seats:
            return row["course_id"], row["session_id"]
    raise AssertionError("no enrolling session in the demo catalog")


def has_chinese(value: str) -> bool:
    """Whether a string holds CJK characters."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in value)
