"""Read model of training courses (issue 16, ADR 0024): tables, handlers, queries.

``training_course`` holds each course as last corrected (and whether it was cancelled);
``training_attendance`` one row per course and organisation with its latest person-count,
the organisation's village (where its trainees count) and the course's start date and
cancellation copied in, so the figures read one table. A course's correction or
cancellation rewrites those copies and moves the versions of the villages concerned (the
counter cache, ADR 0004): their counters changed though no event was about them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from shared.infrastructure.store import Row, Tx
from shared.infrastructure.versions import touch
from shared.kernel.domain import legal_date
from shared.kernel.integration import events as ev
from shared.kernel.integration.envelope import Envelope

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS training_course (
        course_id TEXT PRIMARY KEY, source TEXT NOT NULL, division_code TEXT NOT NULL,
        topic TEXT NOT NULL, kind TEXT NOT NULL, starts_on TEXT NOT NULL, ends_on TEXT NOT NULL,
        trainer TEXT NOT NULL, platform_id TEXT, scheduled_on TEXT NOT NULL,
        cancelled_on TEXT, cancel_reason TEXT, corrections INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS training_course_division ON training_course"
    " (division_code, starts_on)",
    """CREATE TABLE IF NOT EXISTS training_attendance (
        course_id TEXT NOT NULL, org_id TEXT NOT NULL, village_code TEXT NOT NULL,
        trainees INTEGER NOT NULL, roles TEXT NOT NULL, starts_on TEXT NOT NULL,
        cancelled INTEGER NOT NULL, recorded_on TEXT NOT NULL,
        PRIMARY KEY (course_id, org_id)
    )""",
    "CREATE INDEX IF NOT EXISTS training_attendance_village ON training_attendance"
    " (village_code, starts_on)",
]
TABLES = {"training_course": "course_id", "training_attendance": "course_id, org_id"}

Handler = Callable[[Tx, Envelope, Any], None]


def _villages(tx: Tx, course_id: str) -> list[str]:
    rows = tx.all(
        "SELECT DISTINCT village_code FROM training_attendance WHERE course_id = %s", (course_id,)
    )
    return sorted(r["village_code"] for r in rows)


def scheduled(tx: Tx, env: Envelope, p: ev.TrainingCourseV1) -> None:
    tx.execute(
        "INSERT INTO training_course (course_id, source, division_code, topic, kind, starts_on,"
        " ends_on, trainer, platform_id, scheduled_on, corrections)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0) ON CONFLICT (course_id) DO NOTHING",
        (
            str(p.course_id),
            env.source,
            p.division_code,
            p.topic,
            p.kind,
            p.starts_on.isoformat(),
            p.ends_on.isoformat(),
            p.trainer,
            str(p.platform_id) if p.platform_id else None,
            legal_date(env.effective_at).isoformat(),
        ),
    )


def corrected(tx: Tx, env: Envelope, p: ev.TrainingCourseV1) -> None:
    course = str(p.course_id)
    tx.execute(
        "UPDATE training_course SET topic = %s, kind = %s, starts_on = %s, ends_on = %s,"
        " trainer = %s, platform_id = %s, corrections = corrections + 1 WHERE course_id = %s",
        (
            p.topic,
            p.kind,
            p.starts_on.isoformat(),
            p.ends_on.isoformat(),
            p.trainer,
            str(p.platform_id) if p.platform_id else None,
            course,
        ),
    )
    tx.execute(
        "UPDATE training_attendance SET starts_on = %s WHERE course_id = %s",
        (p.starts_on.isoformat(), course),
    )
    touch(tx, *_villages(tx, course))


def cancelled(tx: Tx, env: Envelope, p: ev.TrainingCancelledV1) -> None:
    course = str(p.course_id)
    tx.execute(
        "UPDATE training_course SET cancelled_on = %s, cancel_reason = %s WHERE course_id = %s",
        (legal_date(env.effective_at).isoformat(), p.reason, course),
    )
    tx.execute("UPDATE training_attendance SET cancelled = 1 WHERE course_id = %s", (course,))
    touch(tx, *_villages(tx, course))


def attendance(tx: Tx, env: Envelope, p: ev.TrainingAttendanceV1) -> None:
    """Recorded or corrected: the latest count of the organisation at the course (a course's
    events come from one store, in order, so the course row is there already)."""
    course = tx.one(
        "SELECT starts_on, cancelled_on FROM training_course WHERE course_id = %s",
        (str(p.course_id),),
    )
    assert course is not None, f"attendance before its course {p.course_id}"
    tx.execute(
        "INSERT INTO training_attendance (course_id, org_id, village_code, trainees, roles,"
        " starts_on, cancelled, recorded_on) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (course_id, org_id) DO UPDATE SET trainees = excluded.trainees,"
        " roles = excluded.roles",
        (
            str(p.course_id),
            str(p.organisation_id),
            p.village_code,
            p.trainees,
            json.dumps(list(p.roles), ensure_ascii=False),
            course["starts_on"],
            int(course["cancelled_on"] is not None),
            legal_date(env.effective_at).isoformat(),
        ),
    )


HANDLERS: dict[str, Handler] = {}
for _tier in ("county", "township"):
    HANDLERS[f"sanji.{_tier}.training.scheduled.v1"] = scheduled
    HANDLERS[f"sanji.{_tier}.training.corrected.v1"] = corrected
    HANDLERS[f"sanji.{_tier}.training.cancelled.v1"] = cancelled
    HANDLERS[f"sanji.{_tier}.training.attendance_recorded.v1"] = attendance
    HANDLERS[f"sanji.{_tier}.training.attendance_corrected.v1"] = attendance


# ------------------------------------------------------------------ queries


def course(tx: Tx, course_id: str) -> Row | None:
    row = tx.one("SELECT * FROM training_course WHERE course_id = %s", (course_id,))
    if row is None:
        return None
    row["attendance"] = [
        {**a, "roles": json.loads(a["roles"])}
        for a in tx.all(
            "SELECT a.org_id, a.village_code, a.trainees, a.roles, a.recorded_on, o.name"
            " FROM training_attendance a LEFT JOIN org o ON o.org_id = a.org_id"
            " WHERE a.course_id = %s ORDER BY a.village_code, o.name, a.org_id",
            (course_id,),
        )
    ]
    return row


def courses(tx: Tx, like: str, start: str, end: str, limit: int, offset: int) -> list[Row]:
    """Courses run by a division within ``like``, or by a division above it
    that trained organisations within it, starting between ``start`` and ``end``; with their
    attendance totals within ``like``."""
    return tx.all(
        "SELECT c.course_id, c.division_code, c.topic, c.kind, c.starts_on, c.ends_on,"
        " c.trainer, c.platform_id, c.cancelled_on, c.corrections,"
        " (SELECT COALESCE(SUM(a.trainees), 0) FROM training_attendance a"
        "  WHERE a.course_id = c.course_id AND a.village_code LIKE %s) AS trainees,"
        " (SELECT COUNT(*) FROM training_attendance a WHERE a.course_id = c.course_id"
        "  AND a.village_code LIKE %s AND a.trainees > 0) AS organisations"
        " FROM training_course c WHERE c.starts_on BETWEEN %s AND %s AND (c.division_code LIKE %s"
        " OR EXISTS (SELECT 1 FROM training_attendance a WHERE a.course_id = c.course_id"
        "  AND a.village_code LIKE %s))"
        " ORDER BY c.starts_on DESC, c.course_id LIMIT %s OFFSET %s",
        (like, like, start, end, like, like, limit, offset),
    )


def platform(tx: Tx, platform_id: str) -> Row | None:
    return tx.one(
        "SELECT division_code, closed_on FROM platform WHERE platform_id = %s", (platform_id,)
    )
