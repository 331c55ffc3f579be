"""Engines, sessions and migrations.

SQLite (a file under the data directory) is the default; PostgreSQL is one URL away
(``postgresql://`` URLs are rewritten to the psycopg 3 driver). Migrations run
programmatically from the scripts shipped inside the package, so no ``alembic.ini`` is needed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30.0
_MIGRATION_LOCK = threading.Lock()
LOCK_KEY = 0x534B4D47  # pg_advisory_xact_lock key serialising migrations ("SKMG")


def normalise_url(url: str | URL) -> URL:
    """The URL with the driver SQLAlchemy should use.

    ``postgresql://`` and ``postgres://`` (as Heroku-style tools write them) become
    ``postgresql+psycopg://``; other URLs are returned unchanged.

    Args:
        url: A SQLAlchemy or libpq-style database URL.

    Returns:
        The parsed URL.

    Raises:
        ValueError: The URL is not a database URL SQLAlchemy understands.
    """
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except Exception as exc:  # sqlalchemy.exc.ArgumentError
        raise ValueError("数据库地址（DATABASE_URL）格式不正确") from exc
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    finally:
        cursor.close()


def create_db_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``, configured for its backend.

    SQLite gets foreign keys, WAL journaling, a generous busy timeout and
    ``check_same_thread=False`` (connections are pooled across threads, never shared at once);
    its parent directory is created when missing. PostgreSQL connections are checked before
    use (``pool_pre_ping``).

    Args:
        url: The database URL (see :func:`normalise_url`).
        **kwargs: Passed to :func:`sqlalchemy.create_engine` (e.g. ``pool_size``, ``echo``).

    Returns:
        The engine.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("check_same_thread", False)
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(parsed, **kwargs)
    logger.debug("database engine created for backend %s", parsed.get_backend_name())
    return engine


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``.

    Objects stay usable after commit (``expire_on_commit=False``), so service functions can
    return ORM objects that routers serialise after the transaction ended.
    """
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block succeeds, roll back when it raises.

    Args:
        factory: A session factory (see :func:`create_session_factory`).

    Yields:
        The session.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | URL | None = None) -> Any:
    """An Alembic ``Config`` pointing at the migrations shipped in this package.

    Args:
        url: The database URL (stored as ``sqlalchemy.url``), if any.

    Returns:
        The ``alembic.config.Config``.
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        rendered = normalise_url(url).render_as_string(hide_password=False)
        # ConfigParser interpolation: a literal % must be doubled.
        cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return cfg


@contextmanager
def _sqlite_file_lock(url: URL) -> Iterator[None]:
    """Hold an exclusive lock file beside a SQLite database file (no-op for other databases).

    Without it, two processes migrating a new database both try ``CREATE TABLE
    alembic_version`` and one fails ("table alembic_version already exists").
    """
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f"{path.name}.migrate-lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def upgrade_to_head(target: str | URL | Engine, revision: str = "head") -> None:
    """Bring the database schema up to date (idempotent; safe when replicas start together).

    Args:
        target: A database URL or an engine (an engine is reused, e.g. in tests).
        revision: The revision to upgrade to.
    """
    from alembic import command

    if isinstance(target, Engine):
        cfg = alembic_config()
        # Alembic keeps its running context in module globals: one migration per process.
        # Worker processes starting together on one SQLite file take turns through a file
        # lock (PostgreSQL uses an advisory lock below).
        with _MIGRATION_LOCK, _sqlite_file_lock(target.url), target.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Replicas starting together: one migrates, the others wait, then find it done.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    else:
        engine = create_db_engine(target)
        try:
            upgrade_to_head(engine, revision)
        finally:
            engine.dispose()
    logger.info("database schema at revision %s", revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        rev: str | None = MigrationContext.configure(connection).get_current_revision()
        return rev


def head_revision() -> str | None:
    """The newest revision shipped with the code."""
    from alembic.script import ScriptDirectory

    head: str | None = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return head
