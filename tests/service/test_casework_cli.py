"""The database, account, retention and outcome commands of ``skillmatch``, in-process."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from service import cli
from service.casework import accounts, people, referrals
from service.casework.common import SYSTEM
from service.config import get_settings
from service.database import Database
from service.db.models import ReferralStatus, Role
from tests.service.casework_env import cheap_hashing, make_id


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("SKILLMATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SKILLMATCH_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    with cheap_hashing():
        yield
    get_settings.cache_clear()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_db_upgrade_is_idempotent(capsys, tmp_path) -> None:
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and "已升级" in out and "0001" in out
    assert (tmp_path / "data" / "skillmatch.db").exists()
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and "已是最新结构" in out


def test_create_admin_from_stdin_and_refuse_existing(capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("管理员的password01\n"))
    code, out, _ = run(capsys, "create-admin", "--username", "Root-Admin", "--password-stdin")
    assert code == 0 and "已创建管理员账号 root-admin" in out
    database = Database(get_settings())
    database.open()
    try:
        with database.session() as session:
            user = accounts.authenticate(
                session, username="root-admin", password="管理员的password01"
            )
            assert user.role is Role.ADMIN
    finally:
        database.close()
    monkeypatch.setattr("sys.stdin", io.StringIO("另一个password0202\n"))
    code, _, err = run(capsys, "create-admin", "--username", "root-admin", "--password-stdin")
    assert code == 1 and "已存在" in err


def test_create_admin_refuses_weak_or_mismatched_passwords(capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("1234567890123\n"))
    code, _, err = run(capsys, "create-admin", "--username", "weak-admin", "--password-stdin")
    assert code == 1 and "数字" in err
    answers = iter(["第一个password01", "第二个password02"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = run(capsys, "create-admin", "--username", "typo-admin")
    assert code == 1 and "不一致" in err


def test_purge_and_outcomes(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SKILLMATCH_RETENTION_DAYS", "30")
    get_settings.cache_clear()
    database = Database(get_settings())
    database.open()
    try:
        with database.session() as session:
            old = people.register_person(
                session,
                id_number=make_id(7),
                key=database.key,
                consent=True,
                consent_text_version="2025-01",
                actor=SYSTEM,
                now=datetime(2020, 1, 1, tzinfo=UTC),
            ).person
            ref = referrals.refer(
                session,
                person_id=old.id,
                course_id="C1",
                session_id="S1",
                institution_id="I1",
                capacity=5,
                actor=SYSTEM,
                now=old.created_at,
            )
            referrals.transition(
                session,
                referral_id=ref.id,
                to=ReferralStatus.ENROLLED,
                actor=SYSTEM,
                now=old.created_at,
            )
    finally:
        database.close()

    code, out, _ = run(capsys, "purge", "--dry-run")
    assert code == 0 and "试运行" in out and "将清除 1 名人员" in out
    code, out, _ = run(capsys, "purge")
    assert code == 0 and "已清除 1 名人员" in out and "1 条转介记录" in out
    code, out, _ = run(capsys, "purge")
    assert code == 0 and "已清除 0 名人员" in out

    target = tmp_path / "outcomes.json"
    code, out, _ = run(capsys, "outcomes", "--out", str(target), "--min-sample", "1")
    assert code == 0 and "1 门课程" in out
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["courses"][0]["key"] == "C1" and data["courses"][0]["enrolled"] == 1
    assert data["min_sample"] == 1
    code, _, err = run(capsys, "outcomes", "--out", str(tmp_path / "x.txt"))
    assert code == 1 and ".json" in err


def test_database_errors_are_reported_in_chinese(capsys, monkeypatch) -> None:
    monkeypatch.setenv("SKILLMATCH_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    code, _, err = run(capsys, "purge", "--dry-run")
    assert code == 1 and "无法连接或升级数据库" in err
