"""Catalog updates over HTTP: admins only, report and diff before approval, switch, audit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.casework_env import (
    Env,
    cheap_hashing,
    database_url,
    logged_in,
    running_env,
    settings_for,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOOD = (FIXTURES / "demand_clean.csv").read_bytes()
API = "/api/v1/admin/catalog/updates"


@pytest.fixture(scope="module")
def env(demo_env, tmp_path_factory) -> Iterator[Env]:  # type: ignore[no-untyped-def]
    import shutil

    data_dir = tmp_path_factory.mktemp("updates-api") / "data"
    shutil.copytree(demo_env.data_dir, data_dir)
    with (
        cheap_hashing(),
        database_url("sqlite", data_dir.parent) as url,
        running_env(settings_for(data_dir, url), "sqlite") as running,
    ):
        yield running


def _upload(env: Env, role: str, data: bytes = GOOD) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = env.client.post(
        API,
        data={"kind": "demand"},
        files={"file": ("深圳市需求目录.csv", data, "text/csv")},
        headers=env.bearer(role),
    )
    return response.status_code, response.json()


def test_only_admins_may_upload_or_list(env: Env) -> None:
    for role in ("cw", "sup"):
        status, body = _upload(env, role)
        assert status == 403 and body["error"]["code"] == "forbidden"
        assert env.client.get(API, headers=env.bearer(role)).status_code == 403
    assert env.client.get(API).status_code == 401
    assert env.new_client().get("/console/updates", follow_redirects=False).status_code == 401


def test_bad_file_is_rejected_with_the_report_and_nothing_changes(env: Env) -> None:
    before = env.client.get("/api/v1/health").json()["catalog_version"]
    status, job = _upload(env, "adm", "region_code,occupation_code\n440300,火星\n".encode())
    assert status == 201
    assert job["status"] == "rejected" and job["error"]
    assert env.client.get("/api/v1/health").json()["catalog_version"] == before


def test_upload_approve_switch_and_audit(env: Env) -> None:
    before = env.client.get("/api/v1/health").json()
    status, job = _upload(env, "adm")
    assert status == 201, job
    assert job["status"] == "validated" and sum(job["diff"]["demand"].values()) > 0
    # a caseworker cannot approve it
    denied = env.client.post(f"{API}/{job['job_id']}/approve", headers=env.bearer("cw"))
    assert denied.status_code == 403
    approved = env.client.post(f"{API}/{job['job_id']}/approve", headers=env.bearer("adm"))
    assert approved.status_code == 200, approved.text
    deadline = time.monotonic() + 180
    progress: list[float] = []
    while True:
        current = env.client.get(f"{API}/{job['job_id']}", headers=env.bearer("adm")).json()
        progress.append(current["progress"])
        if current["status"] in {"done", "failed"}:
            break
        assert time.monotonic() < deadline, current
        time.sleep(0.2)
    assert current["status"] == "done", current.get("error")
    assert progress == sorted(progress) and progress[-1] == 100
    after = env.client.get("/api/v1/health").json()
    assert after["catalog_version"] == current["catalog_version"] != before["catalog_version"]
    assert after["index_version"] == current["index_version"]
    # the whole story is in the audit log
    entries = env.client.get(
        "/api/v1/audit", params={"object_type": "catalog_update"}, headers=env.bearer("sup")
    ).json()
    actions = {e["action"] for e in entries["items"]}
    assert {"catalog_update.upload", "catalog_update.approve", "catalog_update.done"} <= actions


def test_the_admin_page_needs_the_admin_role(env: Env) -> None:
    admin, _ = logged_in(env, "adm")
    page = admin.get("/console/updates")
    assert page.status_code == 200 and "目录更新" in page.text and "csrf-token" in page.text
    caseworker, _ = logged_in(env, "cw")
    assert caseworker.get("/console/updates").status_code == 403
