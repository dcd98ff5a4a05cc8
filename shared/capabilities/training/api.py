"""Training courses (培训班, ADR 0024): the county and the townships record the courses they
run and who attended; every tier lists them (a village answers 403 ``wrong_tier`` to the
commands)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from shared.api.commands import CREATED, CommandIn, CommandOut
from shared.api.deps import CommandMeta, Operator, Runtime, check_reads
from shared.api.text import LongText, Name, ShortText
from shared.api.versions import VERSIONED, send_version, version_before_read
from shared.capabilities.training import application as training
from shared.capabilities.training import projection as rm
from shared.capabilities.training.domain import MAX_ROLES
from shared.kernel import backdating
from shared.kernel.domain import CHINA, NotFound
from shared.kernel.jurisdiction import contains, prefix_of
from shared.kernel.periods import parse_period

router = APIRouter(prefix="/api/v1", tags=["training 培训"])
CourseId = Annotated[UUID, Path(description="培训班 / the course")]


class CourseIn(CommandIn):
    topic: Name = Field(description="培训主题 / topic")
    kind: str = Field(
        max_length=50,
        description="培训班类别 / kind: a code of the training rules in force on starts_on"
        " (leaders 负责人培训班, core_staff 业务骨干培训班, …; GET /api/v1/rules/training)",
    )
    starts_on: date = Field(description="开始日期 / first day")
    ends_on: date = Field(description="结束日期 / last day (on or after starts_on)")
    trainer: Name = Field(description="授课人或授课单位 / trainer")
    platform_id: UUID | None = Field(
        None, description="举办平台 / service platform where it is held, within the division"
    )


class NewCourseIn(CourseIn):
    division_code: str | None = Field(
        None,
        pattern=r"^\d{12}$",
        description="举办单位 / the county or township running it; default: the operator's",
    )


class CourseCorrectionIn(CourseIn):
    reason: LongText = Field(description="更正理由 / why")


class AttendanceIn(CommandIn):
    organisation_id: UUID = Field(description="参训组织 / organisation")
    trainees: int = Field(ge=1, le=10_000, description="参训人数 / persons trained (人次)")
    roles: list[ShortText] = Field(
        default_factory=list,
        max_length=MAX_ROLES,
        description="参训人员身份 / trainees' roles, e.g. 负责人, 业务骨干 (optional)",
    )


class AttendanceCorrectionIn(CommandIn):
    organisation_id: UUID = Field(description="参训组织 / organisation")
    trainees: int = Field(
        ge=0, le=10_000, description="更正后的参训人数 / persons trained (0: did not attend)"
    )
    roles: list[ShortText] = Field(default_factory=list, max_length=MAX_ROLES)
    reason: LongText = Field(description="更正理由 / why")


class AttendanceRow(BaseModel):
    org_id: str
    name: str | None
    village_code: str
    trainees: int
    roles: list[str]
    recorded_on: str


class CourseRow(BaseModel):
    course_id: str
    division_code: str
    topic: str
    kind: str
    starts_on: str
    ends_on: str
    trainer: str
    platform_id: str | None
    cancelled_on: str | None
    corrections: int
    trainees: int = Field(description="本区划参训人次 / trainees from within the division asked")
    organisations: int = Field(description="本区划参训组织 / organisations from within it")


class CoursesOut(BaseModel):
    division_code: str
    period: str
    courses: list[CourseRow]


class CourseOut(BaseModel):
    course_id: str
    source: str
    division_code: str
    topic: str
    kind: str
    starts_on: str
    ends_on: str
    trainer: str
    platform_id: str | None
    scheduled_on: str
    cancelled_on: str | None
    cancel_reason: str | None
    corrections: int
    attendance: list[AttendanceRow]


def _starts_within_window(body: CourseIn, meta: Any, runtime: Any, operator: Any) -> None:
    """A course that began before the backdating window is history: the same reason and role
    as backdating an act (ADR 0013)."""
    today = runtime.app.clock().astimezone(CHINA).date()
    backdating.check(
        body.starts_on, meta.backdate_reason, operator, today, runtime.settings.backdate_days
    )


@router.post("/training-courses", status_code=CREATED)
def schedule_course(
    body: NewCourseIn, meta: CommandMeta, runtime: Runtime, operator: Operator
) -> CommandOut:
    """举办培训班 / Record a training course the operator's county or township runs: 422
    ``course_dates_reversed``, ``course_too_far_ahead``, ``unknown_course_kind``; 404
    ``unknown_platform``; 403 ``platform_out_of_jurisdiction``, ``wrong_tier`` (village)."""
    _starts_within_window(body, meta, runtime, operator)
    return CommandOut.of(
        training.schedule(
            runtime.app,
            body.division_code,
            body.topic,
            body.kind,
            body.starts_on,
            body.ends_on,
            body.trainer,
            body.platform_id,
            meta,
        )
    )


@router.post("/training-courses/{course_id}/correction")
def correct_course(
    course_id: CourseId,
    body: CourseCorrectionIn,
    meta: CommandMeta,
    runtime: Runtime,
    operator: Operator,
) -> CommandOut:
    """更正培训班 / Correct a course's details (all of them, with a reason); the course's
    figures move with it."""
    _starts_within_window(body, meta, runtime, operator)
    return CommandOut.of(
        training.correct(
            runtime.app,
            course_id,
            body.topic,
            body.kind,
            body.starts_on,
            body.ends_on,
            body.trainer,
            body.platform_id,
            body.reason,
            meta,
        )
    )


class CancelIn(CommandIn):
    reason: LongText = Field(description="取消理由 / why the course was not held")


@router.post("/training-courses/{course_id}/cancellation")
def cancel_course(
    course_id: CourseId, body: CancelIn, meta: CommandMeta, runtime: Runtime
) -> CommandOut:
    """取消培训班 / The course was not held (or recorded in error): it no longer counts."""
    return CommandOut.of(training.cancel(runtime.app, course_id, body.reason, meta))


@router.post("/training-courses/{course_id}/attendance", status_code=CREATED)
def record_attendance(
    course_id: CourseId, body: AttendanceIn, meta: CommandMeta, runtime: Runtime
) -> CommandOut:
    """登记参训 / Record an organisation's attendance with its person-count: 404
    ``unknown_organisation``; 403 ``attendee_out_of_jurisdiction`` (outside the division
    running the course); 409 ``attendance_exists``, ``course_not_started``,
    ``organisation_not_active``, ``course_cancelled``."""
    return CommandOut.of(
        training.attend(
            runtime.app, course_id, body.organisation_id, body.trainees, body.roles, meta
        )
    )


@router.post("/training-courses/{course_id}/attendance-correction")
def correct_attendance(
    course_id: CourseId, body: AttendanceCorrectionIn, meta: CommandMeta, runtime: Runtime
) -> CommandOut:
    """更正参训记录 / A new person-count for an organisation already recorded (0: it did not
    attend after all), with a reason; 404 ``unknown_attendance``."""
    return CommandOut.of(
        training.attend(
            runtime.app,
            course_id,
            body.organisation_id,
            body.trainees,
            body.roles,
            meta,
            reason=body.reason,
        )
    )


@router.get("/training-courses", response_model=CoursesOut)
def list_courses(
    runtime: Runtime,
    operator: Operator,
    division: Annotated[str | None, Query(description="区划代码 / division code")] = None,
    period: Annotated[str, Query(description="期间 / 2025, 2025-Q2, 2025-H1, 2025-03")] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """培训班列表 / Courses run within a division, or by the tier above that trained its
    organisations, starting in the period (default: this year), with its trainees there."""
    code = division or operator.division
    check_reads(operator, code, runtime)
    today = runtime.app.clock().astimezone(CHINA).date()
    p = parse_period(period or str(today.year))
    with runtime.db.snapshot() as tx:
        rows = rm.courses(
            tx, prefix_of(code) + "%", p.start.isoformat(), p.end.isoformat(), limit, offset
        )
    return {"division_code": code, "period": p.label, "courses": rows}


@router.get("/training-courses/{course_id}", response_model=CourseOut, responses=VERSIONED)
def get_course(
    course_id: CourseId, runtime: Runtime, operator: Operator, response: Response
) -> dict[str, Any]:
    """培训班 / One course with its attendance by organisation (an operator below the
    division running it sees the organisations of their own division only); ``ETag``: the
    course's version at the tier running it, for ``If-Match`` (ADR 0035)."""
    tag = version_before_read(runtime, course_id)
    with runtime.db.snapshot() as tx:
        row = rm.course(tx, str(course_id))
    if row is None:
        raise NotFound("unknown_course", f"no course {course_id} (yet) here")
    if not contains(operator.division, row["division_code"]):
        check_reads(operator, operator.division)
        if not contains(row["division_code"], operator.division):
            raise NotFound("unknown_course", f"no course {course_id} here")
        row["attendance"] = [
            a for a in row["attendance"] if contains(operator.division, a["village_code"])
        ]
    send_version(response, tag)
    return row


class KindOut(BaseModel):
    code: str
    zh: str


class TrainingRulesOut(BaseModel):
    version: str
    effective_from: str
    kinds: list[KindOut]


@router.get("/rules/training", response_model=TrainingRulesOut)
def training_rules(
    runtime: Runtime,
    operator: Operator,
    on: Annotated[date | None, Query(description="日期 / day (default today)")] = None,
) -> dict[str, Any]:
    """培训班类别目录 / The kinds of course in force on a day (rules family ``training``)."""
    day = on or runtime.app.clock().astimezone(CHINA).date()
    version = runtime.app.rules.version_on(training.FAMILY, day)
    kinds = training.kinds_on(runtime.app, day)
    return {
        "version": version.version,
        "effective_from": version.effective_from.isoformat(),
        "kinds": [{"code": c, "zh": z} for c, z in kinds.items()],
    }
