"""Referrals of people to course sessions, their status flow, and the seats of a session.

The course, institution and seats of a referral come from the served catalog; the client
names only the person, the course and the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import catalog_sessions
from service.api.casework_models import ReferralOut, ReferralPageOut
from service.api.common import PROTECTED, error_responses
from service.casework import referrals
from service.casework.errors import InvalidInput, NotFound, ReferralNotFound
from service.db.models import Person, Referral, ReferralStatus
from service.deps import DbSession, ReferralReader, ReferralWriter, SettingsDep, StateDep
from service.errors import NotReady
from service.matching.catalog_view import CatalogView

router = APIRouter(tags=["referrals"])

ReferralIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="转介编号")]
IdText = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w.\-]+$")]


class ReferralIn(BaseModel):
    """Refer a registered person to a session of a course."""

    model_config = ConfigDict(extra="forbid")

    person_id: int = Field(ge=1, le=2**31 - 1, description="人员编号（先登记人员）")
    course_id: IdText = Field(description="课程编号")
    session_id: IdText = Field(description="班期编号")
    note: str | None = Field(None, max_length=500, description="备注（证件号、手机号将被脱敏）")


class TransitionIn(BaseModel):
    """Move a referral to its next status, or withdraw it."""

    model_config = ConfigDict(extra="forbid")

    status: ReferralStatus = Field(
        description="新状态：enrolled 已报名、completed 已结业、certified 已取证、"
        "employed 已就业、withdrawn 已退出"
    )
    note: str | None = Field(None, max_length=500, description="备注")


class WithdrawIn(BaseModel):
    """Withdraw a referral."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=500, description="退出原因等备注")


class SeatsOut(BaseModel):
    """The seats of a session for referred people."""

    session_id: str = Field(description="班期编号")
    course_id: str = Field(description="课程编号")
    capacity: int = Field(description="可供转介人员报名的名额")
    enrolled: int = Field(description="经转介已报名人数")
    seats_left: int = Field(description="剩余名额")
    tracked: bool = Field(description="是否已有转介（否则名额取自目录）")
    catalog_capacity: int | None = Field(description="目录中的班期名额（目录中已无该班期时为空）")
    catalog_seats_taken: int | None = Field(description="目录发布时已占名额")
    enrolling: bool | None = Field(description="今天是否在报名期内且有名额")


def _view(state: StateDep) -> CatalogView:
    matcher = state.matcher
    if matcher is None:
        raise NotReady()
    return matcher.view


def _out(db: Session, items: Sequence[Referral], view: CatalogView | None) -> list[ReferralOut]:
    """Referrals with their people (one query) and course titles."""
    ids = {r.person_id for r in items if r.person_id is not None}
    if ids:  # loads the people into the identity map, so r.person needs no query each
        list(db.scalars(select(Person).where(Person.id.in_(ids))))
    titles = (
        catalog_sessions.course_titles(view=view, course_ids=[r.course_id for r in items])
        if view is not None
        else {}
    )
    return [ReferralOut.of(r, course_title=titles.get(r.course_id)) for r in items]


@router.post(
    "/api/v1/referrals",
    response_model=ReferralOut,
    status_code=201,
    responses=error_responses(404, 409, *PROTECTED),
    summary="转介人员到课程班期",
)
def create_referral(
    body: ReferralIn, caller: ReferralWriter, db: DbSession, state: StateDep, settings: SettingsDep
) -> ReferralOut:
    """Refer a person to a session that is open for enrolment and has seats left."""
    view = _view(state)
    found = catalog_sessions.find_session(
        view=view,
        session_id=body.session_id,
        course_id=body.course_id,
        today=settings.effective_today(),
    )
    if found is None:
        raise NotFound("目录中没有该课程的这个班期", field="session_id")
    if not found.enrolling:
        raise InvalidInput("该班期当前不在报名期内或已无名额，请选择其他班期", field="session_id")
    referral = referrals.refer(
        db,
        person_id=body.person_id,
        course_id=found.course_id,
        session_id=found.session_id,
        institution_id=found.institution_id,
        capacity=found.seats_left,
        actor=caller.actor,
        note=body.note,
    )
    return ReferralOut.of(referral, course_title=found.course_title)


@router.get(
    "/api/v1/referrals",
    response_model=ReferralPageOut,
    responses=error_responses(*PROTECTED),
    summary="转介记录列表",
)
def list_referrals(
    caller: ReferralReader,
    db: DbSession,
    state: StateDep,
    mine: Annotated[bool, Query(description="只看自己经办的（以登录账号访问时）")] = False,
    status: Annotated[ReferralStatus | None, Query(description="状态")] = None,
    person_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="人员编号")] = None,
    caseworker_id: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="经办人账号编号")
    ] = None,
    course_id: Annotated[str | None, Query(max_length=64, description="课程编号")] = None,
    session_id: Annotated[str | None, Query(max_length=64, description="班期编号")] = None,
    institution_id: Annotated[str | None, Query(max_length=64, description="机构编号")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="每页数量，最多 500")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="偏移量")] = 0,
) -> ReferralPageOut:
    """Referrals, newest first, filtered and paged."""
    if mine:
        if caller.user_id is None:
            raise InvalidInput("以访问令牌调用时不能使用 mine，请改用 caseworker_id", field="mine")
        caseworker_id = caller.user_id
    page = referrals.list_referrals(
        db,
        person_id=person_id,
        caseworker_id=caseworker_id,
        status=status,
        course_id=course_id,
        session_id=session_id,
        institution_id=institution_id,
        limit=limit,
        offset=offset,
    )
    return ReferralPageOut(
        items=_out(db, page.items, state.matcher.view if state.matcher else None),
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/api/v1/referrals/{referral_id}",
    response_model=ReferralOut,
    responses=error_responses(404, *PROTECTED),
    summary="转介详情",
)
def get_referral(
    referral_id: ReferralIdPath, caller: ReferralReader, db: DbSession, state: StateDep
) -> ReferralOut:
    """One referral."""
    referral = referrals.get_referral(db, referral_id=referral_id)
    if referral is None:
        raise ReferralNotFound()
    return _out(db, [referral], state.matcher.view if state.matcher else None)[0]


@router.post(
    "/api/v1/referrals/{referral_id}/status",
    response_model=ReferralOut,
    responses=error_responses(404, 409, *PROTECTED),
    summary="更新转介状态（报名、结业、取证、就业或退出）",
)
def transition_referral(
    referral_id: ReferralIdPath,
    body: TransitionIn,
    caller: ReferralWriter,
    db: DbSession,
    state: StateDep,
) -> ReferralOut:
    """Move a referral one step on (enrolment takes a seat atomically: 409 when full)."""
    referral = referrals.transition(
        db, referral_id=referral_id, to=body.status, actor=caller.actor, note=body.note
    )
    return _out(db, [referral], state.matcher.view if state.matcher else None)[0]


@router.post(
    "/api/v1/referrals/{referral_id}/withdraw",
    response_model=ReferralOut,
    responses=error_responses(404, 409, *PROTECTED),
    summary="退出（撤回）转介",
)
def withdraw_referral(
    referral_id: ReferralIdPath,
    caller: ReferralWriter,
    db: DbSession,
    state: StateDep,
    body: WithdrawIn | None = None,
) -> ReferralOut:
    """Withdraw a referral; an enrolled one gives its seat back."""
    referral = referrals.withdraw(
        db, referral_id=referral_id, actor=caller.actor, note=body.note if body else None
    )
    return _out(db, [referral], state.matcher.view if state.matcher else None)[0]


@router.get(
    "/api/v1/sessions/{session_id}/seats",
    response_model=SeatsOut,
    responses=error_responses(404, *PROTECTED),
    summary="班期名额",
)
def session_seats(
    session_id: Annotated[
        str, Path(min_length=1, max_length=64, pattern=r"^[\w.\-]+$", description="班期编号")
    ],
    caller: ReferralReader,
    db: DbSession,
    state: StateDep,
    settings: SettingsDep,
) -> SeatsOut:
    """Seats of a session: enrolments through referrals against the seats open to them."""
    found = (
        catalog_sessions.find_session(
            view=state.matcher.view, session_id=session_id, today=settings.effective_today()
        )
        if state.matcher is not None
        else None
    )
    seats = referrals.get_seats(db, session_id=session_id)
    if seats is None and found is None:
        raise NotFound("未找到该班期")
    capacity = seats.capacity if seats is not None else (found.seats_left if found else 0)
    enrolled = seats.enrolled if seats is not None else 0
    return SeatsOut(
        session_id=session_id,
        course_id=seats.course_id if seats is not None else (found.course_id if found else ""),
        capacity=capacity,
        enrolled=enrolled,
        seats_left=max(capacity - enrolled, 0),
        tracked=seats is not None,
        catalog_capacity=found.capacity if found else None,
        catalog_seats_taken=found.seats_taken if found else None,
        enrolling=found.enrolling if found else None,
    )
