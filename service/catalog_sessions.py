"""Course sessions (班期) of the served catalog, as the referral workflow needs them.

A referral names a course session; its institution and the seats open to referred people come
from the catalog, never from the client.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from service.matching.catalog_view import CatalogView

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CatalogSession:
    """One session of a course, with what a referral records about it.

    Attributes:
        course_id: The course.
        course_title: Its title.
        institution_id: The training provider.
        institution_name: Its name ("" when the catalog lacks it).
        session_id: The session (班期).
        start_date: First day of training.
        end_date: Last day.
        enrol_open: First day of enrolment.
        enrol_close: Last day of enrolment.
        capacity: Seats of the session.
        seats_taken: Seats taken when the catalog was published.
        seats_left: ``capacity - seats_taken``: the seats open to referred people.
        enrolling: Whether enrolment is open on the day asked for and seats are left.
        address: Where it takes place ("线上" for online courses).
    """

    course_id: str
    course_title: str
    institution_id: str
    institution_name: str
    session_id: str
    start_date: date
    end_date: date
    enrol_open: date
    enrol_close: date
    capacity: int
    seats_taken: int
    seats_left: int
    enrolling: bool
    address: str


def _row_of(column: pa.ChunkedArray, value: str) -> int:
    return int(pc.index(column, value).as_py())


def _session(
    view: CatalogView, course: dict[str, Any], row: dict[str, Any], today: date
) -> CatalogSession:
    seats_left = max(int(row["capacity"]) - int(row["seats_taken"]), 0)
    institution = view.institutions.get(course["institution_id"])
    return CatalogSession(
        course_id=course["course_id"],
        course_title=course["title"],
        institution_id=course["institution_id"],
        institution_name=institution.name if institution else "",
        session_id=row["session_id"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        enrol_open=row["enrol_open"],
        enrol_close=row["enrol_close"],
        capacity=int(row["capacity"]),
        seats_taken=int(row["seats_taken"]),
        seats_left=seats_left,
        enrolling=row["enrol_open"] <= today <= row["enrol_close"] and seats_left > 0,
        address=row["address"] or "",
    )


def find_session(
    *, view: CatalogView, session_id: str, today: date, course_id: str | None = None
) -> CatalogSession | None:
    """A session of the catalog by its id (and, when given, its course).

    Args:
        view: The served catalog.
        session_id: The session id.
        today: The day ``enrolling`` is computed for.
        course_id: When given, the session must belong to this course.

    Returns:
        The session, or None when there is no such session (of that course).
    """
    row = _row_of(view.sessions.column("session_id"), session_id)
    if row < 0:
        return None
    session = view.sessions.slice(row, 1).to_pylist()[0]
    if course_id is not None and session["course_id"] != course_id:
        return None
    course_row = _row_of(view.courses.column("course_id"), session["course_id"])
    if course_row < 0:
        return None
    course = view.course_rows([course_row])[0]
    return _session(view, course, session, today)


def course_sessions(*, view: CatalogView, course_id: str, today: date) -> list[CatalogSession]:
    """Every session of a course, by start date (empty when the course is unknown)."""
    row = _row_of(view.courses.column("course_id"), course_id)
    if row < 0:
        return []
    course = view.course_rows([row])[0]
    return [_session(view, course, s, today) for s in view.sessions_of([row])[0]]


def course_titles(*, view: CatalogView, course_ids: list[str]) -> dict[str, str]:
    """Titles of some courses (ids the catalog no longer has are left out)."""
    wanted = sorted(set(course_ids))
    if not wanted:
        return {}
    courses = view.courses.select(["course_id", "title"])
    mask = pc.is_in(courses.column("course_id"), value_set=pa.array(wanted, type=pa.string()))
    found = courses.filter(mask).to_pylist()
    return {str(r["course_id"]): str(r["title"]) for r in found}
