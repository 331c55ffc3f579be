"""Server-rendered pages: the job-seeker form, the counter/caseworker console and its slip.

The pages are Jinja2 templates plus a little vanilla JavaScript (``static/``) that calls the
JSON API (``/api/v1/match``, ``/api/v1/regions``, ``/api/v1/demand``). The recommendation slip
is rendered on the server: the console posts the profile it matched and the chosen course ids,
and the slip re-runs the match so that every figure printed comes from the service itself,
not from the browser.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from catalog.models import (
    EMPLOYMENT_SERVICE_LABELS,
    GROUP_LABELS,
    MODE_LABELS,
    Education,
    EmploymentService,
    Group,
    Mode,
)
from catalog.reference.ladder import LADDER, SkillLevel, rung
from service.auth import Caller
from service.casework.common import BEIJING
from service.deps import ReferralReader, SettingsDep, StateDep
from service.matching.engine import Matcher, MatchOptions
from service.matching.profile import ProfileError, build_profile

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"
MAX_SLIP_BODY = 32_000  # bytes of form data: a profile (≤ 1,000 characters) and course ids
MAX_SLIP_COURSES = 10
MAX_LIMIT = 50  # the most results a match returns
PROFILE_FIELDS = ("group", "age", "education", "region_code", "address", "text", "current_level")

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=TEMPLATES_DIR)


def _yuan(value: Any) -> str:
    """Format an amount of yuan with thousands separators: ``12,500 元``."""
    try:
        return f"{int(value):,} 元"
    except (TypeError, ValueError):
        return "—"


def _cn_date(value: Any) -> str:
    """Format an ISO date (or a date) as ``2026年12月4日``."""
    if not value:
        return "—"
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return f"{day.year}年{day.month}月{day.day}日"


def _beijing(value: Any) -> str:
    """Format a UTC timestamp in Beijing time: ``2026-11-27 17:05``."""
    if not isinstance(value, datetime):
        return "—"
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


templates.env.filters["yuan"] = _yuan
templates.env.filters["cn_date"] = _cn_date
templates.env.filters["beijing"] = _beijing
templates.env.globals["ROLE_LABELS"] = {
    "caseworker": "经办人",
    "supervisor": "主管",
    "admin": "管理员",
}


def _level_label(level: SkillLevel) -> str:
    r = rung(level)
    return r.name if r.national_level is None else f"{r.name}（{_NUMERALS[r.national_level]}级）"


_NUMERALS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五"}


def form_options() -> dict[str, list[tuple[str, str]]]:
    """The choices the profile forms offer: (value, Chinese label) pairs."""
    return {
        "groups": [(g.value, label) for g, label in GROUP_LABELS.items()],
        "educations": [(e.value, e.value) for e in Education],
        "levels": [(r.level.value, _level_label(r.level)) for r in LADDER],
    }


def install_pages(app: FastAPI) -> None:
    """Mount the pages and their static files on ``app``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


@router.get("/", response_class=HTMLResponse)
def seeker_form(request: Request) -> HTMLResponse:
    """The job-seeker form (mobile first)."""
    return templates.TemplateResponse(request, "seeker.html", {**form_options(), "page": "seeker"})


def staff_context(caller: Caller | None, page: str, **extra: Any) -> dict[str, Any]:
    """The template context of a staff page: the caller, their CSRF token, what they may do."""
    return {
        "page": page,
        "caller": caller,
        "csrf_token": caller.csrf_token if caller else None,
        "can_audit": bool(caller and caller.can("audit:read")),
        "can_refer": bool(caller and caller.can("referral:write")),
        "can_update": bool(caller and caller.can("catalog:update")),
        **extra,
    }


@router.get("/console", response_class=HTMLResponse)
def console(request: Request, caller: ReferralReader) -> HTMLResponse:
    """The counter / caseworker console (desktop first, keyboard first); staff only."""
    return templates.TemplateResponse(
        request, "console.html", staff_context(caller, "console", **form_options())
    )


@router.get("/console/slip", response_class=HTMLResponse)
def slip_help(request: Request, caller: ReferralReader) -> HTMLResponse:
    """The slip without a selection: explain how to make one."""
    return templates.TemplateResponse(
        request, "slip.html", staff_context(caller, "slip", slip=None), status_code=200
    )


@router.post("/console/slip", response_class=HTMLResponse)
async def slip(
    request: Request, caller: ReferralReader, state: StateDep, settings: SettingsDep
) -> HTMLResponse:
    """The printable recommendation slip for the courses chosen in the console.

    The form carries the profile that was matched and ``course`` ids (in the order chosen),
    and the session's CSRF token (checked before this runs).
    """
    body = await request.body()
    if len(body) > MAX_SLIP_BODY:
        return _slip_error(request, caller, "提交的内容过长，请返回工作台重新选择。", 413)
    form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    matcher = state.matcher
    if matcher is None:
        return _slip_error(request, caller, "服务正在启动，请稍等几秒后刷新本页。", 503)
    try:
        data = await run_in_threadpool(
            build_slip, matcher=matcher, form=form, today=settings.effective_today()
        )
    except ProfileError as exc:
        return _slip_error(request, caller, f"人员信息有误：{exc.message}", 422)
    except ValueError as exc:
        return _slip_error(request, caller, str(exc), 422)
    return templates.TemplateResponse(
        request, "slip.html", staff_context(caller, "slip", slip=data)
    )


def _slip_error(request: Request, caller: Caller, message: str, status: int) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "slip.html",
        staff_context(caller, "slip", slip=None, error=message),
        status_code=status,
    )


@dataclass
class Slip:
    """What the slip prints.

    Attributes:
        today: The date printed on the slip.
        profile: Label → value rows of the profile summary (no personal identifiers).
        interests: Names of the occupations inferred for the person.
        courses: The chosen courses as the match API returns them, with display fields added.
        missing: Chosen course ids that the match no longer returns.
        catalog_version: The catalog the figures come from.
    """

    today: date
    profile: list[tuple[str, str]]
    interests: list[str]
    courses: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    catalog_version: str = ""


def _first(form: dict[str, list[str]], key: str) -> str:
    values = form.get(key) or [""]
    return values[0].strip()


def build_slip(*, matcher: Matcher, form: dict[str, list[str]], today: date) -> Slip:
    """Re-run the match for a posted profile and keep the chosen courses, in the order chosen.

    Raises:
        ProfileError: When a profile field is invalid (the age included).
        ValueError: When the form names no course.
    """
    course_ids = list(dict.fromkeys(c.strip() for c in form.get("course", []) if c.strip()))
    if not course_ids:
        raise ValueError("没有选择课程：请在工作台勾选课程后再打开推荐单。")
    course_ids = course_ids[:MAX_SLIP_COURSES]
    limit_text = _first(form, "limit")
    age_text = _first(form, "age")
    if not age_text.isdigit():
        raise ProfileError("age", "年龄须为整数")
    fields = {k: _first(form, k) or None for k in PROFILE_FIELDS if k != "age"}
    profile = build_profile(
        regions=matcher.regions,
        group=fields["group"] or "",
        age=int(age_text),
        region_code=fields["region_code"],
        address=fields["address"],
        education=fields["education"],
        relocate=_first(form, "relocate") in ("1", "true", "on"),
        online_only=_first(form, "online_only") in ("1", "true", "on"),
        text=fields["text"] or "",
        current_level=fields["current_level"],
        limit=int(limit_text) if limit_text.isdigit() else 10,
    )
    result = matcher.match(profile, MatchOptions(today=today))
    by_id = {r["course_id"]: r for r in result.results}
    if any(c not in by_id for c in course_ids) and profile.limit < MAX_LIMIT:
        # Look further down the same ranking before calling a course unavailable.
        wider = matcher.match(replace(profile, limit=MAX_LIMIT), MatchOptions(today=today))
        by_id = {r["course_id"]: r for r in wider.results} | by_id
    courses = [_display(by_id[c]) for c in course_ids if c in by_id]
    missing = [c for c in course_ids if c not in by_id]
    group_label = GROUP_LABELS[Group(profile.group)]
    wishes = []
    if profile.relocate:
        wishes.append("愿意到外地培训或就业")
    if profile.online_only:
        wishes.append("只能参加线上培训")
    rows = [
        ("人员类别", group_label),
        ("年龄", f"{profile.age} 岁"),
        ("文化程度", profile.education or "未填写"),
        ("所在地区", result.region.get("name", "")),
        ("现有技能等级", _level_label(profile.current_level) if profile.current_level else "无"),
        ("培训意愿", "；".join(wishes) or "就近参加"),
    ]
    return Slip(
        today=today,
        profile=rows,
        interests=[o["name"] for o in result.occupations[:3]],
        courses=courses,
        missing=missing,
        catalog_version=result.catalog_version,
    )


def _display(result: dict[str, Any]) -> dict[str, Any]:
    """A match result with the labels the slip prints."""
    out = dict(result)
    mode = result.get("mode") or Mode.OFFLINE.value
    out["mode_name"] = MODE_LABELS.get(Mode(mode), mode)
    service = result.get("employment_service") or EmploymentService.NONE.value
    out["service_name"] = (
        ""
        if service == EmploymentService.NONE.value
        else EMPLOYMENT_SERVICE_LABELS.get(EmploymentService(service), "")
    )
    return out
