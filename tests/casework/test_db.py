from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError, StatementError

from service.db import (
    Base,
    create_db_engine,
    current_revision,
    head_revision,
    normalise_url,
    session_scope,
    upgrade_to_head,
)
from service.db.engine import MIGRATIONS_DIR
from service.db.models import AuditLog, User
from tests.casework.conftest import (
    T0,
    Db,
    _pg_schema_url,
    create_pg_schema,
    drop_pg_schema,
)


def test_normalise_url() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(ValueError, match="DATABASE_URL"):
        normalise_url("not a url")


def test_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "__init__.py").is_file()
    assert (MIGRATIONS_DIR / "versions" / "__init__.py").is_file()
    assert head_revision() == "0001"


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() >= 10_000
    finally:
        engine.dispose()


def _diffs(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_migrations_match_models(db: Db) -> None:
    assert _diffs(db.engine) == []
    assert current_revision(db.engine) == head_revision()
    upgrade_to_head(db.url)  # idempotent
    assert set(inspect(db.engine).get_table_names()) >= set(Base.metadata.tables)


def test_foreign_keys_enforced(db: Db) -> None:
    from service.db.models import Referral, ReferralStatus

    with pytest.raises(DatabaseError), session_scope(db.factory) as session:
        session.add(
            Referral(
                person_id=12345,
                course_id="C1",
                session_id="S1",
                institution_id="I1",
                status=ReferralStatus.REFERRED,
                referred_at=T0,
                updated_at=T0,
            )
        )


def test_audit_log_is_append_only_in_the_database(db: Db) -> None:
    with session_scope(db.factory) as session:
        session.add(AuditLog(at=T0, actor="system", action="test", details={}))
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_log")).scalar_one() == "test"


def test_timestamps_come_back_timezone_aware(db: Db) -> None:
    with session_scope(db.factory) as session:
        session.add(User(username="tz", password_hash="x", role="admin", created_at=T0))
    with session_scope(db.factory) as session:
        user = session.query(User).one()
        assert user.created_at == T0 and user.created_at.tzinfo is not None
    with pytest.raises(StatementError, match="naive"), session_scope(db.factory) as session:
        session.query(User).one().last_login_at = T0.replace(tzinfo=None)


def test_downgrade_and_upgrade_again_sqlite(tmp_path: Path) -> None:
    from alembic import command

    from service.db.engine import alembic_config

    url = f"sqlite:///{tmp_path / 'd.db'}"
    upgrade_to_head(url)
    command.downgrade(alembic_config(url), "base")
    engine = create_db_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade_to_head(engine)
        assert _diffs(engine) == []
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_again_postgresql(pg_admin: Engine) -> None:
    from alembic import command

    from service.db.engine import alembic_config

    schema = create_pg_schema(pg_admin, "skillmatch_mig")
    url = _pg_schema_url(schema)
    try:
        upgrade_to_head(url)
        command.downgrade(alembic_config(url), "base")
        engine = create_db_engine(url)
        try:
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            upgrade_to_head(engine)
            assert _diffs(engine) == []
        finally:
            engine.dispose()
    finally:
        drop_pg_schema(pg_admin, schema)


def test_concurrent_upgrades_postgresql(pg_admin: Engine) -> None:
    """Replicas starting together (separate processes): the advisory lock lets one migrate,
    the others wait and find the schema at head."""
    import subprocess
    import sys

    schema = create_pg_schema(pg_admin, "skillmatch_race")
    url = _pg_schema_url(schema)
    code = "import sys; from service.db import upgrade_to_head; upgrade_to_head(sys.argv[1])"
    try:
        procs = [
            subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE, text=True)
            for _ in range(3)
        ]
        results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
        assert [rc for rc, _ in results] == [0, 0, 0], results
        engine = create_db_engine(url)
        try:
            assert current_revision(engine) == head_revision()
        finally:
            engine.dispose()
    finally:
        drop_pg_schema(pg_admin, schema)


def _migrate_after(barrier: object, url: str) -> None:
    from service.db.engine import upgrade_to_head as upgrade

    barrier.wait()  # type: ignore[attr-defined]
    upgrade(url)


def test_worker_processes_migrating_a_new_sqlite_file_together(tmp_path: Path) -> None:
    """``skillmatch serve --workers N`` on a new data directory: every worker migrates."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    url = f"sqlite:///{tmp_path / 'new.db'}"
    barrier = ctx.Barrier(4)
    workers = [ctx.Process(target=_migrate_after, args=(barrier, url)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    engine = create_db_engine(url)
    try:
        assert "alembic_version" in inspect(engine).get_table_names()
        assert _diffs(engine) == []
    finally:
        engine.dispose()
