"""Alembic environment: the models' metadata, a shared connection or a URL, batch mode on SQLite.

Run programmatically by :func:`service.db.upgrade_to_head`; the ``alembic`` command works too
with ``-x url=...`` or ``DATABASE_URL`` set. To write a new revision, autogenerate against a
database at head and review the result::

    from alembic import command
    from service.db.engine import alembic_config
    command.revision(alembic_config(url), message="...", autogenerate=True, rev_id="0002")
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from service.db.engine import create_db_engine
from service.db.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    url = url or os.environ.get("SKILLMATCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or set DATABASE_URL")
    return url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a shared connection (programmatic use) or a new engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_db_engine(_url())
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
