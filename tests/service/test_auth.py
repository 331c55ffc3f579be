"""Authentication and authorisation over HTTP: deny by default on every route, console login
with signed session cookies and CSRF, lockout, logout, bearer tokens.

The first test enumerates every route of the app: a route is public only if it is in the
allow-list below, and each protected route must declare exactly the permission listed in
``PERMISSIONS`` — so a new route cannot slip in unprotected or with the wrong permission.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.responses import Response
from starlette.routing import Mount

from service import deps
from service.auth import SESSION_COOKIE, SessionCodec, set_session_cookie
from service.casework.permissions import allows
from service.db.models import AuditLog, User
from tests.service.casework_env import (
    PASSWORD,
    Env,
    cheap_hashing,
    csrf_of,
    database_url,
    has_chinese,
    logged_in,
    login,
    login_token,
    running_env,
    settings_for,
)

PUBLIC = {
    ("GET", "/"),
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/ready"),
    ("POST", "/api/v1/match"),
    ("GET", "/api/v1/occupations/search"),
    ("GET", "/api/v1/courses"),
    ("GET", "/api/v1/courses/{course_id}"),
    ("GET", "/api/v1/demand"),
    ("GET", "/api/v1/regions"),
    ("GET", "/api/v1/regions/resolve"),
    ("GET", "/api/v1/regions/{code}"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/console/login"),
    ("POST", "/console/login"),
    ("MOUNT", "/static"),
}
AUTHENTICATED = frozenset()  # any logged-in caller, no particular permission
PERMISSIONS: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/api/v1/people"): frozenset({"person:write"}),
    ("POST", "/api/v1/people/lookup"): frozenset({"person:read"}),
    ("GET", "/api/v1/people/{person_id}"): frozenset({"person:read"}),
    ("POST", "/api/v1/referrals"): frozenset({"referral:write"}),
    ("GET", "/api/v1/referrals"): frozenset({"referral:read"}),
    ("GET", "/api/v1/referrals/{referral_id}"): frozenset({"referral:read"}),
    ("POST", "/api/v1/referrals/{referral_id}/status"): frozenset({"referral:write"}),
    ("POST", "/api/v1/referrals/{referral_id}/withdraw"): frozenset({"referral:write"}),
    ("GET", "/api/v1/sessions/{session_id}/seats"): frozenset({"referral:read"}),
    ("GET", "/api/v1/reports/referrals.csv"): frozenset({"report:export"}),
    ("GET", "/api/v1/reports/referrals.xlsx"): frozenset({"report:export"}),
    ("GET", "/api/v1/outcomes"): frozenset({"report:export"}),
    ("GET", "/api/v1/audit"): frozenset({"audit:read"}),
    ("GET", "/api/v1/admin/users"): frozenset({"user:manage"}),
    ("POST", "/api/v1/admin/users"): frozenset({"user:manage"}),
    ("PATCH", "/api/v1/admin/users/{user_id}"): frozenset({"user:manage"}),
    ("POST", "/api/v1/admin/users/{user_id}/password"): frozenset({"user:manage"}),
    ("GET", "/api/v1/admin/tokens"): frozenset({"token:manage"}),
    ("POST", "/api/v1/admin/tokens"): frozenset({"token:manage"}),
    ("POST", "/api/v1/admin/tokens/{token_id}/revoke"): frozenset({"token:manage"}),
    ("POST", "/api/v1/admin/retention/purge"): frozenset({"retention:run"}),
    ("GET", "/api/v1/admin/catalog/updates"): frozenset({"catalog:update"}),
    ("POST", "/api/v1/admin/catalog/updates"): frozenset({"catalog:update"}),
    ("GET", "/api/v1/admin/catalog/updates/{job_id}"): frozenset({"catalog:update"}),
    ("POST", "/api/v1/admin/catalog/updates/{job_id}/approve"): frozenset({"catalog:update"}),
    ("POST", "/api/v1/admin/catalog/updates/{job_id}/revalidate"): frozenset({"catalog:update"}),
    ("POST", "/api/v1/admin/catalog/updates/{job_id}/cancel"): frozenset({"catalog:update"}),
    ("GET", "/console/updates"): frozenset({"catalog:update"}),
    ("GET", "/console"): frozenset({"referral:read"}),
    ("GET", "/console/slip"): frozenset({"referral:read"}),
    ("POST", "/console/slip"): frozenset({"referral:read"}),
    ("POST", "/console/logout"): AUTHENTICATED,
    ("GET", "/console/refer"): frozenset({"referral:write"}),
    ("POST", "/console/refer"): frozenset({"referral:write", "person:write"}),
    ("GET", "/console/referrals"): frozenset({"referral:read"}),
    ("POST", "/console/referrals/{referral_id}/status"): frozenset({"referral:write"}),
    ("GET", "/console/audit"): frozenset({"audit:read"}),
}
PATH_VALUES = {
    "person_id": "1",
    "referral_id": "1",
    "user_id": "1",
    "token_id": "1",
    "session_id": "S-1",
    "course_id": "C-1",
    "code": "110000",
    "job_id": "20261127-000000-abcd",
}


@pytest.fixture(scope="module", autouse=True)
def _cheap() -> Iterator[None]:
    with cheap_hashing():
        yield


@pytest.fixture(scope="module")
def env(demo_env, tmp_path_factory) -> Iterator[Env]:
    with (
        database_url("sqlite", tmp_path_factory.mktemp("auth")) as url,
        running_env(settings_for(demo_env.data_dir, url)) as running,
    ):
        yield running


# -- every route -------------------------------------------------------------------------------
def _requirements(route: APIRoute) -> tuple[bool, frozenset[str]]:
    """Whether a route needs an authenticated caller, and the permissions it declares."""
    found: set[str] = set()
    authenticated = False
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, deps.RequirePermission):
            found.add(dep.call.permission.value)
        if dep.call is deps.current_caller:
            authenticated = True
        stack.extend(dep.dependencies)
    return authenticated, frozenset(found)


def _routes(env: Env) -> list[tuple[str, str, object]]:
    out = []
    for context in iter_route_contexts(env.app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            out.append(("MOUNT", route.path, route))
            continue
        for method in sorted((context.methods or set()) - {"HEAD"}):
            out.append((method, context.path, route))
    return out


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)


def _call(client, method: str, path: str, headers: dict[str, str] | None = None):
    return client.request(method, _url(path), headers=headers or {}, follow_redirects=False)


def test_every_route_is_public_or_refuses_anonymous_and_wrong_roles(env: Env) -> None:
    routes = _routes(env)
    public = set()
    protected: dict[tuple[str, str], frozenset[str]] = {}
    for method, path, route in routes:
        needs_login, permissions = (
            _requirements(route) if isinstance(route, APIRoute) else (False, frozenset())
        )
        if needs_login:
            protected[(method, path)] = permissions
        else:
            public.add((method, path))
    assert public == PUBLIC, f"public routes changed: {sorted(public ^ PUBLIC)}"
    assert protected == PERMISSIONS, {
        k: (protected.get(k), PERMISSIONS.get(k))
        for k in protected.keys() | PERMISSIONS.keys()
        if protected.get(k) != PERMISSIONS.get(k)
    }

    cw_client, cw_csrf = logged_in(env, "cw")
    sup_client, sup_csrf = logged_in(env, "sup")
    refused = 0
    for (method, path), permissions in sorted(PERMISSIONS.items()):
        api = path.startswith("/api/")
        # Anonymous, and with a token that does not exist: 401.
        for headers in ({}, {"Authorization": "Bearer smk_not-a-real-token"}):
            r = _call(env.new_client(), method, path, headers)
            assert r.status_code == 401, (method, path, headers, r.status_code, r.text[:200])
            if api:
                assert r.json()["error"]["code"] in {"not_authenticated", "invalid_credentials"}
            else:
                assert "工作人员登录" in r.text  # the login form in place of the page
        # Roles below the requirement: 403, by token and by session cookie (CSRF given).
        for role, client, csrf in (("cw", cw_client, cw_csrf), ("sup", sup_client, sup_csrf)):
            role_name = {"cw": "caseworker", "sup": "supervisor"}[role]
            if all(allows(role_name, p) for p in permissions):
                continue
            for c, headers in (
                (env.new_client(), env.bearer(role)),
                (client, {"X-CSRF-Token": csrf}),
            ):
                r = _call(c, method, path, headers)
                assert r.status_code == 403, (method, path, role, r.status_code, r.text[:200])
                if api:
                    assert r.json()["error"]["code"] == "forbidden"
                else:
                    assert "没有执行此操作的权限" in r.text
                refused += 1
    assert refused >= 40


def test_unknown_role_paths_are_not_found_not_open(env: Env) -> None:
    r = env.new_client().get("/api/v1/admin/nothing-here")
    assert r.status_code == 404


# -- console login ---------------------------------------------------------------------------
def test_login_sets_a_signed_httponly_lax_cookie(env: Env) -> None:
    client = env.new_client()
    r = login(client, "cw", next_path="/console/referrals")
    assert r.status_code == 303 and r.headers["location"] == "/console/referrals"
    cookie = next(
        v for k, v in r.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v
    )
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    assert f"max-age={2 * 3600}" in lowered
    assert "secure" not in lowered.replace("samesite", "")  # cookie_secure is off here
    assert client.get("/console").status_code == 200

    # A tampered cookie is worth nothing.
    value = client.cookies[SESSION_COOKIE]
    forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    other = env.new_client()
    other.cookies.set(SESSION_COOKIE, forged)
    assert other.get("/api/v1/referrals").status_code == 401


def test_cookie_secure_setting_marks_the_cookie_secure(env: Env) -> None:
    settings = settings_for(env.settings.data_dir, "sqlite://", cookie_secure=True)
    codec = SessionCodec(b"k" * 40)
    value, claims = codec.issue(user_id=1, now=datetime.now(UTC), hours=settings.session_hours)
    response = Response()
    set_session_cookie(response, value, settings=settings, claims=claims)
    header = response.headers["set-cookie"].lower()
    assert "; secure" in header and "httponly" in header and "samesite=lax" in header


def test_open_redirect_after_login_is_refused(env: Env) -> None:
    r = login(env.new_client(), "cw", next_path="//evil.example/steal")
    assert r.status_code == 303 and r.headers["location"] == "/console"


def test_login_form_without_its_token_is_refused(env: Env) -> None:
    client = env.new_client()
    r = client.post(
        "/console/login",
        data={"username": "cw", "password": PASSWORD, "csrf_token": "x"},
        follow_redirects=False,
    )
    assert r.status_code == 403 and "登录页面已过期" in r.text
    assert SESSION_COOKIE not in client.cookies


def test_wrong_password_and_unknown_user_get_the_same_chinese_message(env: Env) -> None:
    env.add_user("cw-msg", "caseworker")
    a = login(env.new_client(), "cw-msg", "wrong password 1")
    b = login(env.new_client(), "nobody-here", "wrong password 1")
    for r in (a, b):
        assert r.status_code == 401
        assert "用户名或密码错误" in r.text
        assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_repeated_failures_lock_the_account(env: Env) -> None:
    user_id = env.add_user("cw-lock", "caseworker")
    client = env.new_client()
    first = login(client, "cw-lock", "wrong password 1")
    second = login(client, "cw-lock", "wrong password 2")
    third = login(client, "cw-lock", "wrong password 3")  # login_max_failures = 3
    assert first.status_code == second.status_code == 401
    assert third.status_code == 403 and "已临时锁定" in third.text
    # Locked: even the right password is refused, with the lock message.
    right = login(client, "cw-lock", PASSWORD)
    assert right.status_code == 403 and "分钟后再试" in right.text
    assert SESSION_COOKIE not in client.cookies
    with env.app.state.database.session() as s:
        assert s.get(User, user_id).locked_until is not None
        actions = [
            a.action for a in s.query(AuditLog).filter(AuditLog.object_id == str(user_id)).all()
        ]
    assert actions.count("auth.login_failed") == 3 and "user.locked" in actions
    assert "auth.login_refused" in actions


# -- CSRF --------------------------------------------------------------------------------------
def test_cookie_posts_need_the_csrf_token(env: Env) -> None:
    client, csrf = logged_in(env, "cw")
    body = {"id_number": "11010519491231002X", "consent": True}
    missing = client.post("/api/v1/people", json=body)
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "csrf_failed"
    assert has_chinese(missing.json()["error"]["message"])
    wrong = client.post("/api/v1/people", json=body, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    ok = client.post("/api/v1/people", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code in (200, 201), ok.text
    # Reads need no token.
    assert client.get("/api/v1/referrals").status_code == 200
    # Forms: the hidden field works, its absence is refused with a page.
    page = client.post("/console/logout", data={}, follow_redirects=False)
    assert page.status_code == 403 and "CSRF" in page.text
    # Another session's token is not this session's token.
    _, other_csrf = logged_in(env, "cw")
    assert other_csrf != csrf
    r = client.post("/api/v1/people", json=body, headers={"X-CSRF-Token": other_csrf})
    assert r.status_code == 403


def test_logout_ends_the_session_even_for_a_copied_cookie(env: Env) -> None:
    client, csrf = logged_in(env, "cw")
    stolen = client.cookies[SESSION_COOKIE]
    r = client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    assert client.get("/console").status_code == 401
    replay = env.new_client()
    replay.cookies.set(SESSION_COOKIE, stolen)
    assert replay.get("/api/v1/referrals").status_code == 401
    assert replay.get("/console/referrals").status_code == 401
    # Logging in again gives a new, working session.
    assert login(client, "cw").status_code == 303
    assert client.get("/console").status_code == 200


def test_deactivated_user_and_password_reset_end_sessions(env: Env) -> None:
    user_id = env.add_user("cw-gone", "caseworker")
    client, _ = logged_in(env, "cw-gone")
    admin = env.bearer("adm")
    r = env.new_client().post(
        f"/api/v1/admin/users/{user_id}/password",
        json={"password": "另一个password22"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/referrals").status_code == 401

    client, _ = logged_in(env, "cw")  # a fresh login of another user still works
    again = env.new_client()
    assert login(again, "cw-gone", "另一个password22").status_code == 303
    r = env.new_client().patch(
        f"/api/v1/admin/users/{user_id}", json={"active": False}, headers=admin
    )
    assert r.status_code == 200 and r.json()["active"] is False
    assert again.get("/api/v1/referrals").status_code == 401


def test_login_page_when_logged_in_goes_on(env: Env) -> None:
    client, _ = logged_in(env, "sup")
    r = client.get("/console/login", params={"next": "/console/audit"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/audit"
    assert login_token(env.new_client())


# -- bearer tokens -------------------------------------------------------------------------------
def test_bearer_token_works_without_csrf_and_revoked_does_not(env: Env) -> None:
    admin = env.bearer("adm")
    client = env.new_client()
    issued = client.post(
        "/api/v1/admin/tokens", json={"name": "对接测试", "role": "caseworker"}, headers=admin
    )
    assert issued.status_code == 201, issued.text
    secret = issued.json()["secret"]
    token_id = issued.json()["token"]["id"]
    assert secret.startswith("smk_")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/referrals", headers=headers).status_code == 200
    body = {"id_number": "11010519491231002X", "consent": True}
    assert client.post("/api/v1/people", json=body, headers=headers).status_code in (200, 201)
    listed = client.get("/api/v1/admin/tokens", headers=admin).json()
    assert all("secret" not in t and "token_hash" not in t for t in listed)
    assert client.post(f"/api/v1/admin/tokens/{token_id}/revoke", headers=admin).status_code == 200
    r = client.get("/api/v1/referrals", headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"
    assert "Bearer" in r.headers.get("www-authenticate", "") or has_chinese(
        r.json()["error"]["message"]
    )
    basic = client.get("/api/v1/referrals", headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401 and basic.headers["www-authenticate"] == "Bearer"


def test_csrf_token_is_bound_to_the_session(env: Env) -> None:
    a, csrf_a = logged_in(env, "cw")
    assert csrf_of(a) == csrf_a  # stable for the session
    _, csrf_b = logged_in(env, "cw")
    assert csrf_a != csrf_b


def test_fresh_install_uses_sqlite_under_data_dir_and_says_how_to_start(tmp_path) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.config import Settings

    app = create_app(Settings(data_dir=tmp_path), load_in_background=False)
    with TestClient(app) as client:
        page = client.get("/console/login")
        assert page.status_code == 200 and "skillmatch create-admin" in page.text
        assert client.get("/console").status_code == 401
        assert client.get("/api/v1/referrals").status_code == 401
    assert (tmp_path / "skillmatch.db").is_file()
    assert (tmp_path / "secret.key").is_file()
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0


def test_a_token_never_does_more_than_its_owner_may_today(env: Env) -> None:
    admin = env.bearer("adm")
    owner = env.add_user("sup-owner", "supervisor")
    issued = env.client.post(
        "/api/v1/admin/tokens",
        json={"name": "报表对接", "role": "supervisor", "owner_id": owner},
        headers=admin,
    ).json()
    headers = {"Authorization": f"Bearer {issued['secret']}"}
    assert env.client.get("/api/v1/audit", headers=headers).status_code == 200
    demoted = env.client.patch(
        f"/api/v1/admin/users/{owner}", json={"role": "caseworker"}, headers=admin
    )
    assert demoted.status_code == 200
    assert env.client.get("/api/v1/audit", headers=headers).status_code == 403
    assert env.client.get("/api/v1/referrals", headers=headers).status_code == 200
