"""The running service's database and secret key, opened once at start-up.

:class:`Database` is created with the app (no I/O) and opened in the app's lifespan, before
the first request is served: the engine and session factory are made from the settings, the
schema is migrated to the newest revision and the secret key is loaded (or created). Request
handlers get a session per request through ``service.deps.DbSession``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.db import (
    create_db_engine,
    create_session_factory,
    current_revision,
    head_revision,
    session_scope,
    upgrade_to_head,
)
from service.errors import NotReady
from service.security import load_secret_key

logger = logging.getLogger(__name__)


@dataclass
class Database:
    """The engine, the session factory and the service secret key of one app.

    Attributes:
        settings: Where the database and the key come from.
    """

    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)
    _factory: sessionmaker[Session] | None = field(default=None, repr=False)
    _key: bytes | None = field(default=None, repr=False)

    @property
    def is_open(self) -> bool:
        """Whether :meth:`open` has run."""
        return self._factory is not None and self._key is not None

    def open(self) -> None:
        """Create the engine, migrate the schema to head and load the secret key.

        Idempotent. Several processes starting together may race on a fresh SQLite file; a
        failed upgrade is accepted when the schema turns out to be at head anyway.

        Raises:
            RuntimeError: The secret key is missing or damaged.
            sqlalchemy.exc.SQLAlchemyError: The database cannot be reached or migrated.
        """
        if self.is_open:
            return
        engine = self._engine or create_db_engine(self.settings.sqlalchemy_url)
        self._engine = engine
        try:
            upgrade_to_head(engine)
        except Exception:
            if current_revision(engine) != head_revision():
                raise
            logger.info("schema migrated concurrently by another process; continuing")
        self._factory = create_session_factory(engine)
        self._key = load_secret_key(self.settings)
        logger.info("database ready (backend %s)", engine.dialect.name)

    def close(self) -> None:
        """Dispose of the engine's connections."""
        if self._engine is not None:
            self._engine.dispose()

    @property
    def engine(self) -> Engine:
        """The engine (after :meth:`open`)."""
        if self._engine is None:
            raise NotReady("数据库尚未就绪，请稍后再试")
        return self._engine

    @property
    def factory(self) -> sessionmaker[Session]:
        """The session factory (after :meth:`open`)."""
        if self._factory is None:
            raise NotReady("数据库尚未就绪，请稍后再试")
        return self._factory

    @property
    def key(self) -> bytes:
        """The service secret key (after :meth:`open`)."""
        if self._key is None:
            raise NotReady("数据库尚未就绪，请稍后再试")
        return self._key

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commit when the block succeeds, roll back when it raises."""
        with session_scope(self.factory) as session:
            yield session
