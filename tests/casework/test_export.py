from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from service.casework import referrals
from service.casework.audit import list_audit
from service.casework.export import (
    HEADERS,
    ReportFilter,
    export_referrals_csv,
    export_referrals_xlsx,
)
from service.db import ReferralStatus, session_scope
from tests.casework.conftest import Clock, Db, make_id
from tests.casework.helpers import caseworker, person


def _data(db: Db, clock: Clock) -> list[tuple[str, str]]:
    clear: list[tuple[str, str]] = []
    with session_scope(db.factory) as s:
        actor = caseworker(s, name="counter01")
        for n in range(3):
            phone = f"139{n:08d}"
            clear.append((make_id(seq=f"{n:03d}", birth="19700307"), phone))
            pid = person(s, actor, n, now=clock.now, phone=phone)
            ref = referrals.refer(
                s,
                person_id=pid,
                course_id='=HYPERLINK("x")' if n == 2 else f"C{n}",
                session_id="S1",
                institution_id="I1",
                capacity=5,
                actor=actor,
                note=f"电话 {phone}",
                now=clock.now,
            )
            if n == 0:
                referrals.transition(
                    s, referral_id=ref.id, to="enrolled", actor=actor, now=clock.now
                )
    return clear


def _check_rows(rows: list[list[str]], clear: list[tuple[str, str]]) -> None:
    assert rows[0] == list(HEADERS)
    assert len(rows) == 4
    flat = "\n".join(",".join(r) for r in rows)
    for number, phone in clear:
        assert number not in flat and phone not in flat
        assert number[:4] + "*" * 10 + number[-4:] in flat
        assert phone[:3] + "****" + phone[-4:] in flat
    first = dict(zip(HEADERS, rows[1], strict=True))
    assert first["状态"] == "已报名" and first["人员类别"] == "农民工"
    assert first["姓名（脱敏）"] == "张**" and first["经办人"] == "counter01"
    assert first["转介时间"] == "2026-11-27 17:00"  # Beijing time
    assert rows[3][HEADERS.index("课程编号")].startswith("'=")  # no formula injection


def test_csv_export(db: Db, clock: Clock) -> None:
    clear = _data(db, clock)
    with session_scope(db.factory) as s:
        data = export_referrals_csv(s, actor=caseworker(s, name="boss01"))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    _check_rows(rows, clear)
    with session_scope(db.factory) as s:
        entry = list_audit(s, action="report.export").items[0]
        assert entry.details == {"format": "csv", "rows": 3}
        only = export_referrals_csv(s, flt=ReportFilter(status=ReferralStatus.ENROLLED))
        assert len(only.decode("utf-8-sig").strip().splitlines()) == 2


def test_xlsx_export(db: Db, clock: Clock) -> None:
    clear = _data(db, clock)
    with session_scope(db.factory) as s:
        data = export_referrals_xlsx(s)
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    assert workbook.sheetnames == ["转介记录"]
    rows = [[c if c is not None else "" for c in row] for row in workbook.active.values]
    _check_rows(rows, clear)
