"""Referrals of people to course sessions, their status flow and seat accounting.

The flow is referred → enrolled → completed → certified → employed; a referral can be
withdrawn from any state but employed (and withdrawn). Each step is dated.

Concurrency: a status change is a compare-and-set (``UPDATE ... WHERE id = :id AND status =
:current``), and enrolment takes a seat with one conditional
``UPDATE session_seats SET enrolled = enrolled + 1 WHERE session_id = :id AND
enrolled < capacity``, checked by its row count, so no session is ever overbooked however
many caseworkers enrol at once. Withdrawing an enrolled referral frees its seat. Every change
writes an audit entry in the same transaction; when a function raises, the caller must roll
back (``session_scope`` does).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from service.casework.audit import append_audit
from service.casework.common import Actor, Page, check_paging, resolve_now
from service.casework.errors import (
    ConcurrentChange,
    DuplicateReferral,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PersonNotFound,
    ReferralNotFound,
    SeatsFull,
)
from service.db.models import Person, Referral, ReferralStatus, SessionSeats
from service.security.pii import scrub

logger = logging.getLogger(__name__)

S = ReferralStatus
NEXT_STEP: Mapping[ReferralStatus, ReferralStatus] = {
    S.REFERRED: S.ENROLLED,
    S.ENROLLED: S.COMPLETED,
    S.COMPLETED: S.CERTIFIED,
    S.CERTIFIED: S.EMPLOYED,
}
FINAL_STATES = frozenset({S.EMPLOYED, S.WITHDRAWN})
STATUS_LABELS: Mapping[ReferralStatus, str] = {
    S.REFERRED: "已转介",
    S.ENROLLED: "已报名",
    S.COMPLETED: "已结业",
    S.CERTIFIED: "已取证",
    S.EMPLOYED: "已就业",
    S.WITHDRAWN: "已退出",
}
TIMESTAMP_FIELD: Mapping[ReferralStatus, str] = {
    S.REFERRED: "referred_at",
    S.ENROLLED: "enrolled_at",
    S.COMPLETED: "completed_at",
    S.CERTIFIED: "certified_at",
    S.EMPLOYED: "employed_at",
    S.WITHDRAWN: "withdrawn_at",
}
MAX_NOTE = 500
MAX_NOTE_TOTAL = 4000


def allowed_transitions(status: ReferralStatus | str) -> frozenset[ReferralStatus]:
    """The statuses a referral may move to from ``status``."""
    current = ReferralStatus(status)
    if current in FINAL_STATES:
        return frozenset()
    return frozenset({NEXT_STEP[current], S.WITHDRAWN})


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def _identifier(value: str, field: str, label: str) -> str:
    text = value.strip()
    if not text or len(text) > 64:
        raise InvalidInput(f"{label}须为1至64个字符", field=field)
    return text


def _note_line(note: str | None, at: datetime, status: ReferralStatus) -> str | None:
    if note is None or not note.strip():
        return None
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"备注不能超过 {MAX_NOTE} 个字", field="note")
    return f"[{at:%Y-%m-%d} {STATUS_LABELS[status]}] {scrub(note.strip())}"


def _joined_notes(existing: str | None, line: str) -> str:
    text = f"{existing}\n{line}" if existing else line
    return text[-MAX_NOTE_TOTAL:]


def _ensure_seats(
    session: Session, *, session_id: str, course_id: str, capacity: int, at: datetime
) -> bool:
    """Create the seat row if missing, keep its capacity current; True if capacity changed."""
    values = {
        "session_id": session_id,
        "course_id": course_id,
        "capacity": capacity,
        "enrolled": 0,
        "updated_at": at,
    }
    dialect = session.get_bind().dialect.name
    if dialect in {"postgresql", "sqlite"}:
        module = postgresql if dialect == "postgresql" else sqlite
        session.execute(
            module.insert(SessionSeats)
            .values(values)
            .on_conflict_do_nothing(index_elements=["session_id"])
        )
    elif session.get(SessionSeats, session_id) is None:  # other backends: best effort
        session.add(SessionSeats(**values))
        session.flush()
    changed = session.execute(
        update(SessionSeats)
        .where(SessionSeats.session_id == session_id, SessionSeats.capacity != capacity)
        .values(capacity=capacity, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(changed) > 0


def refer(
    session: Session,
    *,
    person_id: int,
    course_id: str,
    session_id: str,
    institution_id: str,
    capacity: int,
    actor: Actor,
    note: str | None = None,
    now: datetime | None = None,
) -> Referral:
    """Refer a person to a course session (status ``referred``; no seat is taken yet).

    The session's seat row is created on first use; its capacity follows the catalog value
    passed here (a lower capacity never cancels existing enrolments, it only stops new ones).

    Args:
        session: The open session.
        person_id: The person.
        course_id: The catalog course id.
        session_id: The catalog session (班期) id.
        institution_id: The course's institution (kept for outcome statistics).
        capacity: The session's seats for referred people (from the catalog).
        actor: The caseworker (becomes the referral's caseworker when a user).
        note: Optional free text; ID and phone numbers in it are masked.
        now: The current time.

    Returns:
        The referral.

    Raises:
        PersonNotFound: No such person.
        InvalidInput: Empty ids, a negative capacity or an over-long note.
        DuplicateReferral: The person already has a referral to this session not withdrawn.
    """
    at = resolve_now(now)
    course = _identifier(course_id, "course_id", "课程编号")
    session_key = _identifier(session_id, "session_id", "班期编号")
    institution = _identifier(institution_id, "institution_id", "机构编号")
    if capacity < 0:
        raise InvalidInput("名额不能为负数", field="capacity")
    person = session.get(Person, person_id)
    if person is None:
        raise PersonNotFound()
    duplicate = session.scalar(
        select(Referral.id).where(
            Referral.person_id == person_id,
            Referral.session_id == session_key,
            Referral.status != S.WITHDRAWN,
        )
    )
    if duplicate is not None:
        raise DuplicateReferral()
    if _ensure_seats(session, session_id=session_key, course_id=course, capacity=capacity, at=at):
        append_audit(
            session,
            actor=actor,
            action="seats.capacity",
            object_type="session",
            object_id=session_key,
            details={"capacity": capacity},
            at=at,
        )
    referral = Referral(
        person_id=person_id,
        course_id=course,
        session_id=session_key,
        institution_id=institution,
        caseworker_id=actor.user_id,
        status=S.REFERRED,
        referred_at=at,
        updated_at=at,
        note=_note_line(note, at, S.REFERRED),
    )
    session.add(referral)
    person.last_activity_at = at
    session.flush()
    append_audit(
        session,
        actor=actor,
        action="referral.referred",
        object_type="referral",
        object_id=referral.id,
        details={
            "person_id": person_id,
            "course_id": course,
            "session_id": session_key,
            "institution_id": institution,
        },
        at=at,
    )
    logger.info("referral %s created for session %s", referral.id, session_key)
    return referral


def transition(
    session: Session,
    *,
    referral_id: int,
    to: ReferralStatus | str,
    actor: Actor,
    note: str | None = None,
    now: datetime | None = None,
) -> Referral:
    """Move a referral one step along its flow, or withdraw it.

    Enrolling takes a seat atomically; withdrawing an enrolled referral gives it back.

    Args:
        session: The open session.
        referral_id: The referral.
        to: The new status (the next step, or ``withdrawn``).
        actor: Who records the change.
        note: Optional free text appended to the referral's notes (numbers masked).
        now: The current time.

    Returns:
        The referral, updated.

    Raises:
        ReferralNotFound: No such referral.
        InvalidInput: Unknown status or an over-long note.
        InvalidTransition: Not allowed from the current status.
        SeatsFull: Enrolment into a full session ("名额已满").
        ConcurrentChange: Someone else changed the referral meanwhile.
    """
    at = resolve_now(now)
    try:
        target = ReferralStatus(to)
    except ValueError:
        raise InvalidInput("状态不是可选的取值", field="status") from None
    referral = session.get(Referral, referral_id, populate_existing=True)
    if referral is None:
        raise ReferralNotFound()
    current = referral.status
    if target not in allowed_transitions(current):
        raise InvalidTransition(
            f"转介当前为“{STATUS_LABELS[current]}”，不能改为“{STATUS_LABELS[target]}”"
        )
    values: dict[str, Any] = {"status": target, TIMESTAMP_FIELD[target]: at, "updated_at": at}
    line = _note_line(note, at, target)
    if line is not None:
        values["note"] = _joined_notes(referral.note, line)
    # Compare-and-set on the status: of two concurrent changes only one applies.
    changed = session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.status == current)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(changed) != 1:
        raise ConcurrentChange()
    for name, value in values.items():
        set_committed_value(referral, name, value)

    seat_change: int = 0
    if target is S.ENROLLED:
        _take_seat(session, referral.session_id, at)
        seat_change = 1
    elif target is S.WITHDRAWN and current is S.ENROLLED:
        _free_seat(session, referral.session_id, at)
        seat_change = -1
    if referral.person_id is not None:
        session.execute(
            update(Person)
            .where(Person.id == referral.person_id)
            .values(last_activity_at=at)
            .execution_options(synchronize_session=False)
        )
    append_audit(
        session,
        actor=actor,
        action=f"referral.{target.value}",
        object_type="referral",
        object_id=referral.id,
        details={
            "from": current.value,
            "to": target.value,
            "session_id": referral.session_id,
            "seat_change": seat_change,
        },
        at=at,
    )
    logger.info("referral %s: %s -> %s", referral.id, current.value, target.value)
    return referral


def _take_seat(session: Session, session_id: str, at: datetime) -> None:
    taken = session.execute(
        update(SessionSeats)
        .where(SessionSeats.session_id == session_id, SessionSeats.enrolled < SessionSeats.capacity)
        .values(enrolled=SessionSeats.enrolled + 1, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(taken) == 1:
        return
    if session.get(SessionSeats, session_id) is None:
        raise NotFound("未找到该班期的名额信息")
    raise SeatsFull()


def _free_seat(session: Session, session_id: str, at: datetime) -> None:
    session.execute(
        update(SessionSeats)
        .where(SessionSeats.session_id == session_id, SessionSeats.enrolled > 0)
        .values(enrolled=SessionSeats.enrolled - 1, updated_at=at)
        .execution_options(synchronize_session=False)
    )


def withdraw(
    session: Session,
    *,
    referral_id: int,
    actor: Actor,
    note: str | None = None,
    now: datetime | None = None,
) -> Referral:
    """Withdraw a referral (frees its seat if enrolled); see :func:`transition`."""
    return transition(
        session, referral_id=referral_id, to=S.WITHDRAWN, actor=actor, note=note, now=now
    )


def get_referral(session: Session, *, referral_id: int) -> Referral | None:
    """The referral with this id, or None."""
    return session.get(Referral, referral_id)


def list_referrals(
    session: Session,
    *,
    person_id: int | None = None,
    caseworker_id: int | None = None,
    status: ReferralStatus | str | None = None,
    course_id: str | None = None,
    session_id: str | None = None,
    institution_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Referral]:
    """Referrals, newest first, filtered and paged.

    Raises:
        InvalidInput: Unknown status or bad paging.
    """
    check_paging(limit, offset)
    query = select(Referral)
    if person_id is not None:
        query = query.where(Referral.person_id == person_id)
    if caseworker_id is not None:
        query = query.where(Referral.caseworker_id == caseworker_id)
    if status is not None:
        try:
            query = query.where(Referral.status == ReferralStatus(status))
        except ValueError:
            raise InvalidInput("状态不是可选的取值", field="status") from None
    if course_id is not None:
        query = query.where(Referral.course_id == course_id)
    if session_id is not None:
        query = query.where(Referral.session_id == session_id)
    if institution_id is not None:
        query = query.where(Referral.institution_id == institution_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(Referral.referred_at.desc(), Referral.id.desc()).limit(limit).offset(offset)
    ).all()
    return Page(items=items, total=total, limit=limit, offset=offset)


def get_seats(session: Session, *, session_id: str) -> SessionSeats | None:
    """The seat accounting of a session (read fresh from the database), or None."""
    return session.get(SessionSeats, session_id, populate_existing=True)


def seats_left(session: Session, *, session_id: str) -> int | None:
    """Seats still free in a session, or None when nobody was referred to it yet."""
    seats = get_seats(session, session_id=session_id)
    return None if seats is None else max(0, seats.capacity - seats.enrolled)
