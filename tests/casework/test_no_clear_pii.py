"""After registering people with ID and phone numbers, neither appears in clear in the
database (every text column of every table; for SQLite the raw file bytes too) nor in the
logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from service.casework import accounts, people, referrals
from service.casework.audit import append_audit
from service.casework.common import Actor
from service.casework.errors import InvalidInput
from service.db import Base, ReferralStatus, session_scope
from service.security.pii import PiiLogFilter
from tests.casework.conftest import KEY, Clock, Db, id_with_x, make_id

NAME = "欧阳明月"


def _people() -> list[tuple[str, str]]:
    ids = [make_id(region=f"{110101 + n}", birth="19880512", seq=f"{n:03d}") for n in range(8)]
    ids.append(id_with_x())
    return [(number, f"1{n % 7 + 3}9{n:08d}") for n, number in enumerate(ids)]


def _exercise(db: Db, clock: Clock) -> None:
    with session_scope(db.factory) as s:
        user = accounts.create_user(s, username="cw01", password="柜台服务password1", role="admin")
        actor = Actor.for_user(user.id)
        for number, phone in _people():
            pid = people.register_person(
                s,
                id_number=number[:-1] + number[-1].lower(),
                key=KEY,
                consent=True,
                consent_text_version="v1",
                actor=actor,
                phone=phone,
                name=NAME,
                now=clock.now,
            ).person.id
            ref = referrals.refer(
                s,
                person_id=pid,
                course_id="C1",
                session_id="S1",
                institution_id="I1",
                capacity=100,
                actor=actor,
                note=f"本人身份证 {number}，手机 {phone}",
                now=clock.now,
            )
            referrals.transition(
                s,
                referral_id=ref.id,
                to=ReferralStatus.ENROLLED,
                actor=actor,
                note=f"电话{phone}已通知",
                now=clock.now,
            )
            people.find_person_by_id_number(s, id_number=number, key=KEY, actor=actor)
            people.find_people_by_phone(s, phone=phone, key=KEY, actor=actor)
            append_audit(s, actor=actor, action="test.free_text", details={"msg": number})
        logging.getLogger("service.casework.test").info("registered %s / %s", number, phone)
    # A rejected number must not leak through the error path either.
    bad = _people()[0][0][:-1] + ("1" if _people()[0][0][-1] != "1" else "2")
    with pytest.raises(InvalidInput) as info, session_scope(db.factory) as s:
        people.find_person_by_id_number(s, id_number=bad, key=KEY)
    assert bad not in str(info.value) and bad not in str(info.value.fields)
    logging.getLogger("service.casework.test").warning("rejected %s", bad)


def _text_dump(db: Db) -> str:
    """Every column of every table in the database (models or not), cast to text."""
    chunks: list[str] = []
    with db.engine.connect() as conn:
        inspector = inspect(conn)
        tables = inspector.get_table_names()
        assert set(Base.metadata.tables) <= set(tables)
        for table in tables:
            columns = [c["name"] for c in inspector.get_columns(table)]
            cast = ", ".join(f'CAST("{c}" AS TEXT)' for c in columns)
            rows = conn.execute(text(f'SELECT {cast} FROM "{table}"')).all()
            assert rows or table == "api_tokens", f"{table} is empty"
            chunks.extend(str(v) for row in rows for v in row if v is not None)
    return "\n".join(chunks)


def test_no_clear_id_or_phone_in_database_or_logs(
    db: Db, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(PiiLogFilter())
    with caplog.at_level(logging.DEBUG):
        sql_log = logging.getLogger("sqlalchemy.engine")
        previous = sql_log.level
        sql_log.setLevel(logging.INFO)  # SQL statements and their parameters
        try:
            _exercise(db, clock)
        finally:
            sql_log.setLevel(previous)
    assert "INSERT INTO people" in caplog.text  # the SQL log was captured
    dump = _text_dump(db)
    assert "**********" in dump  # masked IDs are there
    for number, phone in _people():
        for needle in (number, number.lower(), phone, number[:-1]):
            assert needle not in dump, "clear personal data in the database"
            assert needle not in caplog.text, "clear personal data in the logs"
        assert phone[:3] + "****" + phone[-4:] in dump
    assert NAME not in dump and NAME not in caplog.text
    if db.backend == "sqlite":
        db.engine.dispose()  # close connections; the WAL file may still hold pages
        path = Path(db.url.removeprefix("sqlite:///"))
        blobs = [p.read_bytes() for p in path.parent.glob(path.name + "*")]
        assert blobs and sum(len(b) for b in blobs) > 0
        for number, phone in _people():
            for needle in (number, phone, number[:-1]):
                for blob in blobs:
                    assert needle.encode() not in blob, "clear personal data in the file"
        assert NAME.encode() not in b"".join(blobs)
