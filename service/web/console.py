"""The caseworker pages behind login: sign in/out, refer a person, "我的推荐", the audit log.

Server-rendered like the rest of the console, in Simplified Chinese, usable with the keyboard
alone; every form that changes something carries the session's CSRF token. Anonymous visitors
of a protected page get the login form in its place (401), callers without the permission a
403 page; the JSON API answers the same errors as JSON.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from service import auth, catalog_sessions
from service.api.casework_models import group_label
from service.casework import accounts, audit, people, referrals
from service.casework.errors import CaseworkError, InvalidCredentials, InvalidInput, NotFound
from service.consent import CONSENT_TEXT, CONSENT_TEXT_VERSION
from service.db.models import Person, ReferralStatus
from service.deps import (
    AuditReader,
    CodecDep,
    CurrentCaller,
    DatabaseDep,
    DbSession,
    OptionalCaller,
    PersonWriter,
    ReferralReader,
    ReferralWriter,
    SecretKey,
    SettingsDep,
    StateDep,
)
from service.errors import ServiceError, set_html_error_renderer
from service.web.pages import form_options, staff_context, templates

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
NO_STORE = {"Cache-Control": "no-store"}
STATUS_BUTTONS: dict[ReferralStatus, str] = {
    ReferralStatus.ENROLLED: "已报名",
    ReferralStatus.COMPLETED: "已结业",
    ReferralStatus.CERTIFIED: "已取证",
    ReferralStatus.EMPLOYED: "已就业",
    ReferralStatus.WITHDRAWN: "退出",
}


def install_console(app: FastAPI) -> None:
    """Mount the caseworker pages and show service errors on them as pages."""
    app.include_router(router)
    set_html_error_renderer(app, render_error_page)


def _is_console(request: Request) -> bool:
    path = request.url.path
    return path == "/console" or path.startswith("/console/")


def render_error_page(request: Request, exc: ServiceError) -> Response | None:
    """A page for errors on console routes (None elsewhere: the API answers JSON).

    Callers without valid credentials get the login form in place of the page (401); other
    errors a short page with the Chinese message and the error's status.
    """
    if not _is_console(request):
        return None
    database = getattr(request.app.state, "database", None)
    if exc.status_code == 401 and database is not None and database.is_open:
        next_path = request.url.path
        if request.url.query:
            next_path += "?" + request.url.query
        if request.method != "GET":
            next_path = "/console"
        codec = auth.SessionCodec(database.key)
        return _login_page(
            request,
            codec,
            next_path=next_path,
            status=401,
            notice="请先登录。",
            settings=request.app.state.settings,
        )
    return templates.TemplateResponse(
        request,
        "error.html",
        {"page": "error", "message": exc.message, "status": exc.status_code, "caller": None},
        status_code=exc.status_code,
        headers=NO_STORE,
    )


# -- login and logout --------------------------------------------------------------------------
def _login_page(
    request: Request,
    codec: auth.SessionCodec,
    *,
    next_path: str,
    settings: Any,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    username: str = "",
    first_run: bool = False,
) -> HTMLResponse:
    nonce = codec.new_login_nonce()
    response = templates.TemplateResponse(
        request,
        "login.html",
        staff_context(
            None,
            "login",
            login_token=codec.login_token(nonce),
            next=auth.safe_next(next_path),
            error=error,
            notice=notice,
            username=username,
            first_run=first_run,
        ),
        status_code=status,
        headers=NO_STORE,
    )
    auth.set_login_cookie(response, nonce, settings=settings)
    return response


@router.get("/console/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    codec: CodecDep,
    settings: SettingsDep,
    caller: OptionalCaller,
    db: DbSession,
    next: Annotated[str, Query(max_length=500)] = "/console",
) -> Response:
    """The login form (already logged in: straight on to the page asked for).

    Before the first account exists it says how to create one.
    """
    if caller is not None and caller.via == "session":
        return RedirectResponse(auth.safe_next(next), status_code=303)
    first_run = accounts.count_users(db) == 0
    return _login_page(request, codec, next_path=next, settings=settings, first_run=first_run)


@router.post("/console/login", response_class=HTMLResponse)
def login(
    request: Request,
    database: DatabaseDep,
    codec: CodecDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/console",
) -> Response:
    """Check the credentials; on success start a session and go on to ``next``."""
    if not codec.check_login_token(request.cookies.get(auth.LOGIN_COOKIE), csrf_token):
        return _login_page(
            request,
            codec,
            next_path=next,
            settings=settings,
            status=403,
            error="登录页面已过期，请重新输入用户名和密码。",
            username=username,
        )
    if not username.strip() or not password:
        return _login_page(
            request,
            codec,
            next_path=next,
            settings=settings,
            status=422,
            error="请输入用户名和密码。",
            username=username,
        )
    policy = accounts.LoginPolicy.from_settings(settings)
    try:
        # A fresh session: authenticate commits its failure bookkeeping itself.
        with database.session() as session:
            user = accounts.authenticate(
                session, username=username, password=password, policy=policy
            )
            user_id = user.id
    except InvalidCredentials:
        return _login_page(
            request,
            codec,
            next_path=next,
            settings=settings,
            status=401,
            error="用户名或密码错误。",
            username=username,
        )
    except CaseworkError as exc:  # locked or disabled
        return _login_page(
            request,
            codec,
            next_path=next,
            settings=settings,
            status=exc.status_code,
            error=exc.message,
            username=username,
        )
    value, claims = codec.issue(
        user_id=user_id, now=datetime.now(UTC), hours=settings.session_hours
    )
    response = RedirectResponse(auth.safe_next(next), status_code=303)
    auth.set_session_cookie(response, value, settings=settings, claims=claims)
    auth.clear_login_cookie(response, settings=settings)
    logger.info("console session started for user %s", user_id)
    return response


@router.post("/console/logout")
def logout(caller: CurrentCaller, db: DbSession, settings: SettingsDep) -> Response:
    """End the session (everywhere: it is recorded as ended) and go back to the login form."""
    auth.end_session(db, caller)
    response = RedirectResponse("/console/login?" + urlencode({"next": "/console"}), 303)
    auth.clear_session_cookie(response, settings=settings)
    return response


# -- refer a person --------------------------------------------------------------------------
@dataclass
class ReferForm:
    """What the referral form holds (the ID number is never echoed back)."""

    course_id: str = ""
    session_id: str = ""
    group: str = ""
    region_code: str = ""
    phone: str = ""
    note: str = ""
    consent: bool = False


def _refer_page(
    request: Request,
    caller: auth.Caller,
    state: Any,
    today: Any,
    form: ReferForm,
    *,
    status: int = 200,
    error: str | None = None,
    fields: dict[str, str] | None = None,
) -> HTMLResponse:
    matcher = state.matcher
    sessions = (
        catalog_sessions.course_sessions(view=matcher.view, course_id=form.course_id, today=today)
        if matcher is not None and form.course_id
        else []
    )
    enrolling = [s for s in sessions if s.enrolling]
    chosen = form.session_id or (enrolling[0].session_id if enrolling else "")
    return templates.TemplateResponse(
        request,
        "refer.html",
        staff_context(
            caller,
            "refer",
            form=form,
            course=sessions[0] if sessions else None,
            sessions=enrolling,
            chosen=chosen,
            consent_text=CONSENT_TEXT,
            consent_version=CONSENT_TEXT_VERSION,
            error=error,
            fields=fields or {},
            **form_options(),
        ),
        status_code=status,
        headers=NO_STORE,
    )


@router.get("/console/refer", response_class=HTMLResponse)
def refer_form(
    request: Request,
    caller: ReferralWriter,
    state: StateDep,
    settings: SettingsDep,
    course_id: Annotated[str, Query(max_length=64)] = "",
    session_id: Annotated[str, Query(max_length=64)] = "",
    group: Annotated[str, Query(max_length=32)] = "",
    region_code: Annotated[str, Query(max_length=6)] = "",
) -> HTMLResponse:
    """The referral form for one course: choose the session, register the person, refer."""
    form = ReferForm(course_id, session_id, group, region_code)
    if state.matcher is not None and not catalog_sessions.course_sessions(
        view=state.matcher.view, course_id=course_id, today=settings.effective_today()
    ):
        raise NotFound("目录中没有该课程，请从窗口工作台的推荐结果中选择")
    return _refer_page(request, caller, state, settings.effective_today(), form)


@router.post("/console/refer", response_class=HTMLResponse)
def refer(
    request: Request,
    caller: ReferralWriter,
    _person_writer: PersonWriter,
    db: DbSession,
    key: SecretKey,
    state: StateDep,
    settings: SettingsDep,
    course_id: Annotated[str, Form(max_length=64)] = "",
    session_id: Annotated[str, Form(max_length=64)] = "",
    id_number: Annotated[str, Form(max_length=40)] = "",
    consent: Annotated[str, Form(max_length=10)] = "",
    phone: Annotated[str, Form(max_length=30)] = "",
    group: Annotated[str, Form(max_length=32)] = "",
    region_code: Annotated[str, Form(max_length=6)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Register the person (with consent) and refer them to the chosen session."""
    today = settings.effective_today()
    form = ReferForm(course_id, session_id, group, region_code, phone, note, consent == "1")
    matcher = state.matcher
    try:
        if matcher is None:
            raise InvalidInput("服务正在启动，请稍后再试")
        found = catalog_sessions.find_session(
            view=matcher.view, session_id=session_id, course_id=course_id, today=today
        )
        if found is None or not found.enrolling:
            raise InvalidInput("请选择一个正在报名且有名额的班期", field="session_id")
        if not id_number.strip():
            raise InvalidInput("请输入服务对象的身份证号码", field="id_number")
        registration = people.register_person(
            db,
            id_number=id_number,
            key=key,
            consent=form.consent,
            consent_text_version=CONSENT_TEXT_VERSION,
            actor=caller.actor,
            phone=phone.strip() or None,
            group=group or None,
            region_code=region_code or None,
        )
        referral = referrals.refer(
            db,
            person_id=registration.person.id,
            course_id=found.course_id,
            session_id=found.session_id,
            institution_id=found.institution_id,
            capacity=found.seats_left,
            actor=caller.actor,
            note=note or None,
        )
        referral_id = referral.id
    except CaseworkError as exc:
        db.rollback()  # neither the registration nor the referral is kept
        fields = {f["field"]: f["reason"] for f in exc.fields}
        return _refer_page(
            request,
            caller,
            state,
            today,
            form,
            status=exc.status_code,
            error=exc.message,
            fields=fields,
        )
    return RedirectResponse(f"/console/referrals?created={referral_id}", status_code=303)


# -- my referrals ------------------------------------------------------------------------------
def _referrals_page(
    request: Request,
    caller: auth.Caller,
    db: Any,
    state: Any,
    *,
    scope: str,
    status: ReferralStatus | None,
    page: int,
    created: int | None = None,
    updated: int | None = None,
    error: str | None = None,
    http_status: int = 200,
) -> HTMLResponse:
    mine = scope != "all" and caller.user_id is not None
    found = referrals.list_referrals(
        db,
        caseworker_id=caller.user_id if mine else None,
        status=status,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    ids = {r.person_id for r in found.items if r.person_id is not None}
    persons = {p.id: p for p in db.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    titles = (
        catalog_sessions.course_titles(
            view=state.matcher.view, course_ids=[r.course_id for r in found.items]
        )
        if state.matcher is not None
        else {}
    )
    rows = [
        {
            "referral": r,
            "person": persons.get(r.person_id) if r.person_id is not None else None,
            "group_name": group_label(persons[r.person_id].group)
            if r.person_id in persons
            else None,
            "title": titles.get(r.course_id, ""),
            "status_name": referrals.STATUS_LABELS[r.status],
            "actions": [
                (s, STATUS_BUTTONS[s])
                for s in ReferralStatus
                if s in referrals.allowed_transitions(r.status)
            ],
        }
        for r in found.items
    ]
    pages = max(1, -(-found.total // PAGE_SIZE))
    query = {"scope": scope, **({"status": status.value} if status else {})}
    return templates.TemplateResponse(
        request,
        "referrals.html",
        staff_context(
            caller,
            "referrals",
            rows=rows,
            total=found.total,
            page_no=page,
            pages=pages,
            scope="mine" if mine else "all",
            status=status.value if status else "",
            statuses=[(s.value, referrals.STATUS_LABELS[s]) for s in ReferralStatus],
            query=urlencode(query),
            back=f"/console/referrals?{urlencode({**query, 'page': page})}",
            created=created,
            updated=updated,
            error=error,
        ),
        status_code=http_status,
        headers=NO_STORE,
    )


@router.get("/console/referrals", response_class=HTMLResponse)
def my_referrals(
    request: Request,
    caller: ReferralReader,
    db: DbSession,
    state: StateDep,
    scope: Annotated[str, Query(pattern="^(mine|all)$")] = "mine",
    status: Annotated[ReferralStatus | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    created: Annotated[int | None, Query(ge=1)] = None,
    updated: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """The "我的推荐" page: the caller's referrals, newest first, with status buttons."""
    return _referrals_page(
        request,
        caller,
        db,
        state,
        scope=scope,
        status=status,
        page=page,
        created=created,
        updated=updated,
    )


@router.post("/console/referrals/{referral_id}/status", response_class=HTMLResponse)
def change_status(
    request: Request,
    referral_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    caller: ReferralWriter,
    db: DbSession,
    state: StateDep,
    status: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[str, Form(max_length=500)] = "/console/referrals",
) -> Response:
    """Record the next step of a referral (or withdraw it), then go back to the list."""
    try:
        referrals.transition(
            db, referral_id=referral_id, to=status, actor=caller.actor, note=note or None
        )
    except CaseworkError as exc:
        db.rollback()
        return _referrals_page(
            request,
            caller,
            db,
            state,
            scope="mine",
            status=None,
            page=1,
            error=f"转介 {referral_id}：{exc.message}",
            http_status=exc.status_code,
        )
    target = auth.safe_next(back, "/console/referrals")
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}updated={referral_id}", status_code=303)


# -- audit log (supervisors) -----------------------------------------------------------------
@router.get("/console/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    caller: AuditReader,
    db: DbSession,
    actor: Annotated[str, Query(max_length=32)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    object_type: Annotated[str, Query(max_length=32)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The audit log, newest first, with simple filters."""
    found = audit.list_audit(
        db,
        actor=actor.strip() or None,
        action=action.strip() or None,
        object_type=object_type.strip() or None,
        limit=PAGE_SIZE * 2,
        offset=(page - 1) * PAGE_SIZE * 2,
    )
    pages = max(1, -(-found.total // (PAGE_SIZE * 2)))
    filters = (("actor", actor), ("action", action), ("object_type", object_type))
    query = {k: v for k, v in filters if v}
    return templates.TemplateResponse(
        request,
        "audit.html",
        staff_context(
            caller,
            "audit",
            entries=found.items,
            total=found.total,
            page_no=page,
            pages=pages,
            actor=actor,
            action=action,
            object_type=object_type,
            query=urlencode(query),
        ),
        headers=NO_STORE,
    )
