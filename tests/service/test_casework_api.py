"""The caseworker workflow over HTTP, on SQLite and on the local PostgreSQL: register a person
with consent, refer them to a real session of the demo catalog, follow them to employment,
export, audit, outcomes, administration; the console pages; and no clear ID or phone number
in the logs or the database."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import inspect, text

from tests.service.casework_env import (
    Env,
    cheap_hashing,
    database_url,
    enrolling_session,
    has_chinese,
    logged_in,
    make_id,
    make_phone,
    running_env,
    settings_for,
)


@pytest.fixture(scope="module", autouse=True)
def _cheap() -> Iterator[None]:
    with cheap_hashing():
        yield


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def env(request, demo_env, tmp_path_factory) -> Iterator[Env]:
    with (
        database_url(request.param, tmp_path_factory.mktemp("casework-api")) as url,
        running_env(settings_for(demo_env.data_dir, url), request.param) as running,
    ):
        yield running


def assert_error(r, status: int, code: str | None = None, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    if code is not None:
        assert err["code"] == code, err
    assert has_chinese(err["message"]), err
    if field is not None:
        assert any(f["field"] == field and has_chinese(f["reason"]) for f in err["fields"]), err
    return err


def _register(env: Env, headers: dict[str, str], n: int, **extra: object) -> dict:
    body = {
        "id_number": make_id(n),
        "consent": True,
        "phone": make_phone(n),
        "name": "欧阳明月",
        "group": "migrant_worker",
        "region_code": "410105",
        **extra,
    }
    r = env.client.post("/api/v1/people", json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    return r.json()


# -- the whole flow ----------------------------------------------------------------------------
def test_referral_flow_to_employment_export_audit_outcomes(env: Env) -> None:
    cw = env.bearer("cw")
    sup = env.bearer("sup")
    n = 101
    number, phone = make_id(n), make_phone(n)

    created = env.client.post(
        "/api/v1/people",
        json={"id_number": number, "consent": True, "phone": phone, "name": "欧阳明月"},
        headers=cw,
    )
    assert created.status_code == 201, created.text
    person = created.json()["person"]
    assert created.json()["created"] is True
    assert person["id_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert person["phone_masked"] == phone[:3] + "****" + phone[-4:]
    assert person["name_masked"] == "欧***"
    assert person["birth_year"] == 1988
    assert number not in created.text and phone not in created.text

    # Registering the same number again updates the record (200, created false).
    again = env.client.post(
        "/api/v1/people", json={"id_number": number.lower(), "consent": True}, headers=cw
    )
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["person"]["id"] == person["id"]

    # Lookup by ID number, in the body.
    found = env.client.post("/api/v1/people/lookup", json={"id_number": number}, headers=cw)
    assert found.status_code == 200 and [p["id"] for p in found.json()["items"]] == [person["id"]]
    by_phone = env.client.post("/api/v1/people/lookup", json={"phone": phone}, headers=cw)
    assert [p["id"] for p in by_phone.json()["items"]] == [person["id"]]
    nobody = env.client.post("/api/v1/people/lookup", json={"id_number": make_id(999)}, headers=cw)
    assert nobody.status_code == 200 and nobody.json()["items"] == []

    # Refer to a real session of the demo catalog.
    course_id, session_id = enrolling_session(env)
    referral = env.client.post(
        "/api/v1/referrals",
        json={
            "person_id": person["id"],
            "course_id": course_id,
            "session_id": session_id,
            "note": f"本人手机 {phone}",
        },
        headers=cw,
    )
    assert referral.status_code == 201, referral.text
    ref = referral.json()
    assert ref["status"] == "referred" and ref["status_name"] == "已转介"
    assert ref["next_statuses"] == ["enrolled", "withdrawn"]
    assert ref["course_title"] and ref["institution_id"]
    assert phone not in (ref["note"] or "") and "****" in ref["note"]
    assert ref["person"]["id_masked"] == person["id_masked"]
    seats = env.client.get(f"/api/v1/sessions/{session_id}/seats", headers=cw).json()
    assert seats["tracked"] is True and seats["enrolled"] == 0
    capacity = seats["capacity"]

    duplicate = env.client.post(
        "/api/v1/referrals",
        json={"person_id": person["id"], "course_id": course_id, "session_id": session_id},
        headers=cw,
    )
    assert_error(duplicate, 409, "duplicate_referral")

    # enrolled -> completed -> certified -> employed, each dated.
    for status in ("enrolled", "completed", "certified", "employed"):
        r = env.client.post(
            f"/api/v1/referrals/{ref['id']}/status", json={"status": status}, headers=cw
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status and r.json()[f"{status}_at"]
    assert r.json()["next_statuses"] == []
    seats = env.client.get(f"/api/v1/sessions/{session_id}/seats", headers=cw).json()
    assert seats["enrolled"] == 1 and seats["seats_left"] == capacity - 1
    late = env.client.post(f"/api/v1/referrals/{ref['id']}/withdraw", headers=cw)
    assert_error(late, 409, "invalid_transition")

    listed = env.client.get(
        "/api/v1/referrals", params={"person_id": person["id"]}, headers=cw
    ).json()
    assert listed["total"] == 1 and listed["items"][0]["status"] == "employed"
    one = env.client.get(f"/api/v1/referrals/{ref['id']}", headers=cw).json()
    assert one["employed_at"] and one["person"]["phone_masked"] == person["phone_masked"]

    # Export: supervisors only, masked data only.
    assert_error(env.client.get("/api/v1/reports/referrals.csv", headers=cw), 403, "forbidden")
    exported = env.client.get("/api/v1/reports/referrals.csv", headers=sup)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    content = exported.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][0] == "转介编号" and len(rows) >= 2
    mine = next(row for row in rows if row[0] == str(ref["id"]))
    assert mine[1] == person["id_masked"] and mine[2] == person["phone_masked"]
    assert mine[8] == "已就业"
    for needle in (number, phone, number[:-1], "欧阳明月"):
        assert needle not in content
    workbook = env.client.get("/api/v1/reports/referrals.xlsx", headers=sup)
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert person["id_masked"] in cells and not any(number in c for c in cells)

    # Audit: visible to supervisors, refused to caseworkers.
    assert_error(env.client.get("/api/v1/audit", headers=cw), 403, "forbidden")
    audit = env.client.get(
        "/api/v1/audit",
        params={"object_type": "referral", "object_id": str(ref["id"])},
        headers=sup,
    ).json()
    actions = [e["action"] for e in audit["items"]]
    assert actions == [
        "referral.employed",
        "referral.certified",
        "referral.completed",
        "referral.enrolled",
        "referral.referred",
    ]
    assert all(e["actor"] == f"token:{env.token_ids['cw']}" for e in audit["items"])
    exports = env.client.get("/api/v1/audit", params={"action": "report.*"}, headers=sup).json()
    assert {e["details"]["format"] for e in exports["items"]} >= {"csv", "xlsx"}
    lookups = env.client.get("/api/v1/audit", params={"action": "person.lookup"}, headers=sup)
    assert lookups.json()["total"] >= 3

    # Outcomes: counts per course and institution; rates only from the minimum sample.
    assert_error(env.client.get("/api/v1/outcomes", headers=cw), 403, "forbidden")
    outcomes = env.client.get("/api/v1/outcomes", headers=sup).json()
    course = next(c for c in outcomes["courses"] if c["key"] == course_id)
    assert course["enrolled"] == course["completed"] == course["employed"] == 1
    assert course["employment_rate"] is None and outcomes["min_sample"] == 20
    assert_error(env.client.get("/api/v1/outcomes?min_sample=1", headers=sup), 422)


def test_withdraw_frees_the_seat_and_errors_are_chinese(env: Env) -> None:
    cw = env.bearer("cw")
    person = _register(env, cw, 202)["person"]
    course_id, session_id = enrolling_session(env)
    bad_id = make_id(202)[:-1] + ("0" if make_id(202)[-1] != "0" else "1")
    err = assert_error(
        env.client.post("/api/v1/people", json={"id_number": bad_id, "consent": True}, headers=cw),
        422,
        "invalid_input",
        "id_number",
    )
    assert bad_id not in str(err)
    assert_error(
        env.client.post(
            "/api/v1/people", json={"id_number": make_id(203), "consent": False}, headers=cw
        ),
        422,
        "consent_required",
        "consent",
    )
    assert_error(
        env.client.post("/api/v1/people/lookup", json={}, headers=cw), 422, "invalid_input"
    )
    assert_error(
        env.client.post(
            "/api/v1/referrals",
            json={"person_id": person["id"], "course_id": course_id, "session_id": "NO-SUCH"},
            headers=cw,
        ),
        404,
    )
    assert_error(
        env.client.post(
            "/api/v1/referrals",
            json={"person_id": 999_999, "course_id": course_id, "session_id": session_id},
            headers=cw,
        ),
        404,
    )
    ref = env.client.post(
        "/api/v1/referrals",
        json={"person_id": person["id"], "course_id": course_id, "session_id": session_id},
        headers=cw,
    ).json()
    before = env.client.get(f"/api/v1/sessions/{session_id}/seats", headers=cw).json()
    assert_error(
        env.client.post(
            f"/api/v1/referrals/{ref['id']}/status", json={"status": "certified"}, headers=cw
        ),
        409,
        "invalid_transition",
    )
    enrolled = env.client.post(
        f"/api/v1/referrals/{ref['id']}/status", json={"status": "enrolled"}, headers=cw
    )
    assert enrolled.status_code == 200
    during = env.client.get(f"/api/v1/sessions/{session_id}/seats", headers=cw).json()
    assert during["enrolled"] == before["enrolled"] + 1
    gone = env.client.post(
        f"/api/v1/referrals/{ref['id']}/withdraw", json={"note": "找到工作"}, headers=cw
    )
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn"
    after = env.client.get(f"/api/v1/sessions/{session_id}/seats", headers=cw).json()
    assert after["enrolled"] == before["enrolled"]
    assert_error(env.client.get("/api/v1/referrals/999999", headers=cw), 404, "not_found")
    assert_error(env.client.get("/api/v1/people/999999", headers=cw), 404, "not_found")
    assert env.client.get(f"/api/v1/people/{person['id']}", headers=cw).json()["group_name"]


def test_admin_manages_users_tokens_and_retention(env: Env) -> None:
    adm = env.bearer("adm")
    r = env.client.post(
        "/api/v1/admin/users",
        json={"username": "new-worker", "password": "柜台服务password9", "role": "caseworker"},
        headers=adm,
    )
    assert r.status_code == 201, r.text
    user = r.json()
    assert "柜台服务password9" not in r.text and "hash" not in r.text
    assert_error(
        env.client.post(
            "/api/v1/admin/users",
            json={"username": "new-worker", "password": "柜台服务password9", "role": "caseworker"},
            headers=adm,
        ),
        409,
        "username_taken",
    )
    assert_error(
        env.client.post(
            "/api/v1/admin/users",
            json={"username": "weak-one", "password": "12345678901", "role": "caseworker"},
            headers=adm,
        ),
        422,
        "weak_password",
        "password",
    )
    promoted = env.client.patch(
        f"/api/v1/admin/users/{user['id']}", json={"role": "supervisor"}, headers=adm
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "supervisor"
    users = env.client.get("/api/v1/admin/users", headers=adm).json()
    assert "new-worker" in [u["username"] for u in users["items"]]

    # An admin cannot demote or deactivate themselves (through a session).
    client, csrf = logged_in(env, "adm")
    me = env.user_ids["adm"]
    assert_error(
        client.patch(
            f"/api/v1/admin/users/{me}", json={"active": False}, headers={"X-CSRF-Token": csrf}
        ),
        422,
    )

    dry = env.client.post("/api/v1/admin/retention/purge", json={"dry_run": True}, headers=adm)
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    assert dry.json()["people"] == 0 and dry.json()["retention_days"] == 3 * 365
    real = env.client.post("/api/v1/admin/retention/purge", headers=adm)
    assert real.status_code == 200 and real.json()["dry_run"] is False


# -- the console pages -------------------------------------------------------------------------
def test_console_refer_my_referrals_and_audit_pages(env: Env) -> None:
    client, csrf = logged_in(env, "cw")
    console = client.get("/console")
    assert console.status_code == 200
    assert f'<meta name="csrf-token" content="{csrf}">' in console.text
    assert 'data-can-refer="1"' in console.text and "我的推荐" in console.text
    assert "审计日志" not in console.text  # caseworkers do not see the audit link

    course_id, session_id = enrolling_session(env)
    form = client.get(
        "/console/refer",
        params={"course_id": course_id, "session_id": session_id, "group": "unemployed"},
    )
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    assert f'value="{session_id}" checked' in form.text and "本人同意" in form.text
    assert 'value="unemployed" selected' in form.text

    number, phone = make_id(303), make_phone(303)
    fields = {
        "csrf_token": csrf,
        "course_id": course_id,
        "session_id": session_id,
        "id_number": number,
        "phone": phone,
        "group": "unemployed",
        "region_code": "410105",
    }
    # Without consent nothing is stored, and the number is not echoed back.
    refused = client.post("/console/refer", data=fields, follow_redirects=False)
    assert refused.status_code == 422 and "同意" in refused.text
    assert number not in refused.text
    # Without the CSRF token: refused.
    no_token = {k: v for k, v in fields.items() if k != "csrf_token"} | {"consent": "1"}
    assert client.post("/console/refer", data=no_token).status_code == 403
    done = client.post("/console/refer", data=fields | {"consent": "1"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    location = done.headers["location"]
    referral_id = int(re.search(r"created=(\d+)", location).group(1))

    page = client.get(location)
    assert page.status_code == 200 and "已登记并转介" in page.text
    assert number[:4] + "*" * 10 + number[-4:] in page.text
    assert phone[:3] + "****" + phone[-4:] in page.text
    assert number not in page.text and phone not in page.text
    assert f'action="/console/referrals/{referral_id}/status"' in page.text

    for status in ("enrolled", "completed"):
        moved = client.post(
            f"/console/referrals/{referral_id}/status",
            data={"csrf_token": csrf, "status": status, "back": "/console/referrals?scope=mine"},
            follow_redirects=False,
        )
        assert moved.status_code == 303 and f"updated={referral_id}" in moved.headers["location"]
    listed = client.get("/console/referrals", params={"status": "completed"}).text
    assert f'id="referral-{referral_id}" data-status="completed"' in listed
    wrong = client.post(
        f"/console/referrals/{referral_id}/status",
        data={"csrf_token": csrf, "status": "employed"},
    )
    assert wrong.status_code == 409 and "不能改为" in wrong.text

    assert client.get("/console/audit").status_code == 403
    sup, _ = logged_in(env, "sup")
    audit = sup.get("/console/audit", params={"action": "referral.*"})
    assert audit.status_code == 200 and "referral.completed" in audit.text
    assert "审计日志" in sup.get("/console").text


# -- personal data ---------------------------------------------------------------------------
def _database_text(env: Env) -> str:
    engine = env.app.state.database.engine
    chunks: list[str] = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            columns = [c["name"] for c in inspect(conn).get_columns(table)]
            cast = ", ".join(f'CAST("{c}" AS TEXT)' for c in columns)
            rows = conn.execute(text(f'SELECT {cast} FROM "{table}"')).all()
            chunks.extend(str(v) for row in rows for v in row if v is not None)
    return "\n".join(chunks)


def test_no_clear_id_or_phone_in_logs_or_database(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    cw = env.bearer("cw")
    client, csrf = logged_in(env, "cw")
    course_id, session_id = enrolling_session(env)
    people = [(make_id(400 + n), make_phone(400 + n)) for n in range(4)]
    raw: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            raw.append(record)

    keep = Keep(level=logging.DEBUG)  # no PII filter: what the code itself logs
    root = logging.getLogger()
    sql_log = logging.getLogger("sqlalchemy.engine")
    previous = sql_log.level
    root.addHandler(keep)
    sql_log.setLevel(logging.INFO)  # statements and their parameters
    try:
        with caplog.at_level(logging.DEBUG):
            for n, (number, phone) in enumerate(people):
                person = env.client.post(
                    "/api/v1/people",
                    json={"id_number": number, "consent": True, "phone": phone},
                    headers=cw,
                ).json()["person"]
                env.client.post("/api/v1/people/lookup", json={"id_number": number}, headers=cw)
                env.client.post("/api/v1/people/lookup", json={"phone": phone}, headers=cw)
                ref = env.client.post(
                    "/api/v1/referrals",
                    json={
                        "person_id": person["id"],
                        "course_id": course_id,
                        "session_id": session_id,
                        "note": f"身份证 {number} 电话 {phone}",
                    },
                    headers=cw,
                ).json()
                env.client.post(
                    f"/api/v1/referrals/{ref['id']}/withdraw",
                    json={"note": f"电话{phone}已通知"},
                    headers=cw,
                )
                # The same through the console form, and a rejected number.
                client.post(
                    "/console/refer",
                    data={
                        "csrf_token": csrf,
                        "course_id": course_id,
                        "session_id": session_id,
                        "id_number": number,
                        "phone": phone,
                        "consent": "1" if n % 2 else "",
                    },
                )
                env.client.post(
                    "/api/v1/people",
                    json={"id_number": number[:-1] + "Z", "consent": True, "phone": phone + "9"},
                    headers=cw,
                )
            logging.getLogger("service.test").info("checked %s", "nothing personal")
    finally:
        root.removeHandler(keep)
        sql_log.setLevel(previous)

    assert any("INSERT INTO people" in r.getMessage() for r in raw)  # the SQL log was captured
    assert any(r.name.startswith("service.") for r in caplog.records)
    # The PII filter is installed on the root logger's handlers (pytest's capture included).
    from service.security.pii import PiiLogFilter

    assert any(isinstance(f, PiiLogFilter) for f in caplog.handler.filters)
    raw_text = "\n".join(r.getMessage() for r in raw)
    dump = _database_text(env)
    for number, phone in people:
        for needle in (number, number[:-1], phone):
            assert needle not in raw_text, "clear personal data logged"
            assert needle not in caplog.text, "clear personal data in the captured log"
            assert needle not in dump, "clear personal data in the database"
    if env.backend == "sqlite":
        env.app.state.database.engine.dispose()
        path = Path(env.settings.sqlalchemy_url.removeprefix("sqlite:///"))
        blob = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert blob
        for number, phone in people:
            assert number.encode() not in blob and phone.encode() not in blob
