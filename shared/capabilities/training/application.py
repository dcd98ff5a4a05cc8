"""Commands of training courses, the same code at the county and the townships (ADR 0024).

A course is run by the operator's own tier for a division of that tier (the county for the
county, a township for itself); its attendees are organisations within that division. Every
refusal is raised before anything is recorded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.capabilities.training import projection as rm
from shared.capabilities.training.domain import MAX_ROLES, TrainingCourse
from shared.kernel.domain import (
    CommandResult,
    Conflict,
    InvalidInput,
    Meta,
    NotFound,
    OutOfJurisdiction,
    legal_date,
)
from shared.kernel.jurisdiction import Tier, contains

if TYPE_CHECKING:  # type only: the tier application is composed above this layer
    from shared.tier.application import TierApplication

FAMILY = "training"
RUNS_COURSES = (Tier.COUNTY, Tier.TOWNSHIP)
# A course may be entered ahead of time (announced), at most this far: a date beyond it is
# taken for a typing error rather than a plan.
AHEAD = timedelta(days=366)


def kinds_on(app: TierApplication, day: date) -> dict[str, str]:
    """Kinds of course in the ``training`` rules in force on ``day``: code → Chinese name
    (409 ``rule_not_in_force`` before the first version)."""
    version = app.rules.version_on(FAMILY, day)
    return {str(k["code"]): str(k["zh"]) for k in version.parameters.get("kinds", ())}


def _details(
    app: TierApplication,
    code: str,
    topic: str,
    kind: str,
    starts_on: date,
    ends_on: date,
    trainer: str,
    platform_id: UUID | None,
    meta: Meta,
) -> tuple[dict[str, Any], str]:
    """The checked details of a course, and the rule version that allowed its kind."""
    if not topic.strip():
        raise InvalidInput("topic_required", "培训主题不能为空 / a course needs a topic")
    if not trainer.strip():
        raise InvalidInput("trainer_required", "授课人不能为空 / a course needs a trainer")
    if ends_on < starts_on:
        raise InvalidInput(
            "course_dates_reversed",
            f"结束日期 {ends_on} 早于开始日期 {starts_on} / the course ends ({ends_on}) before"
            f" it starts ({starts_on})",
        )
    today = legal_date(app.clock())
    if ends_on > today + AHEAD:
        raise InvalidInput(
            "course_too_far_ahead",
            f"培训日期不能晚于 {today + AHEAD} / a course ending after {today + AHEAD} is not"
            " accepted",
        )
    kinds = kinds_on(app, starts_on)
    if kind not in kinds:
        raise InvalidInput(
            "unknown_course_kind",
            f"培训班类别 {kind} 不在 {starts_on} 生效的目录中 / kind {kind!r} is not in the"
            f" training rules in force on {starts_on} ({sorted(kinds)})",
        )
    if platform_id is not None:
        with app.lookup.db.transaction() as tx:
            row = rm.platform(tx, str(platform_id))
        if row is None:
            raise NotFound("unknown_platform", f"no platform {platform_id}")
        if not contains(code, row["division_code"]):
            raise OutOfJurisdiction(
                "platform_out_of_jurisdiction",
                f"服务平台不在 {code} 辖区内 / platform {platform_id} is not within {code}",
            )
    version = app.rules.version_on(FAMILY, starts_on).version
    fields = {
        "division_code": code,
        "topic": topic.strip(),
        "kind": kind,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "trainer": trainer.strip(),
        "platform_id": str(platform_id) if platform_id else None,
    }
    return fields, version


def schedule(
    app: TierApplication,
    division_code: str | None,
    topic: str,
    kind: str,
    starts_on: date,
    ends_on: date,
    trainer: str,
    platform_id: UUID | None,
    meta: Meta,
) -> CommandResult:
    """Record a course run by the operator's tier (county or township)."""
    if app.tier not in RUNS_COURSES:
        raise OutOfJurisdiction("wrong_tier", f"the {app.tier} does not run training courses")
    code = division_code or meta.actor.division
    division = app.division_in_force(code, meta)
    if division.tier is not app.tier:
        raise InvalidInput(
            "division_tier_mismatch", f"a {app.tier} runs courses for a {app.tier}, not {code}"
        )
    app.check_jurisdiction(meta, code)
    fields, version = _details(
        app, code, topic, kind, starts_on, ends_on, trainer, platform_id, meta
    )
    course_id, replayed = app.create_id(meta)
    if replayed:
        return replayed
    course = TrainingCourse.schedule(course_id, replace(meta, rule_version=version), **fields)
    app.save(course)
    return CommandResult(course.id, course.version, None)


def _course(app: TierApplication, course_id: UUID, meta: Meta) -> TrainingCourse:
    try:
        course = app.load(TrainingCourse, course_id, "course")
    except NotFound:
        with app.lookup.db.transaction() as tx:
            elsewhere = rm.course(tx, str(course_id))
        if elsewhere is not None:  # another tier's course, which this operator may read only
            raise OutOfJurisdiction(
                "out_of_jurisdiction",
                f"培训班由 {elsewhere['division_code']} 举办，只能由其记录 / course {course_id}"
                f" is run by {elsewhere['division_code']}, which alone records it",
            ) from None
        raise
    app.check_jurisdiction(meta, course.division_code)
    return course


def correct(
    app: TierApplication,
    course_id: UUID,
    topic: str,
    kind: str,
    starts_on: date,
    ends_on: date,
    trainer: str,
    platform_id: UUID | None,
    reason: str,
    meta: Meta,
) -> CommandResult:
    """New details of a course (all of them), with why."""
    course = _course(app, course_id, meta)
    if (version := course.replayed_version(meta)) is not None:
        return CommandResult(course.id, version, None, replayed=True)
    if not reason.strip():
        raise InvalidInput("reason_required", "更正需要说明理由 / a correction needs a reason")
    fields, rule = _details(
        app, course.division_code, topic, kind, starts_on, ends_on, trainer, platform_id, meta
    )
    if course.attendance and starts_on > legal_date(meta.effective_at):
        raise Conflict(
            "course_not_started",
            "已有参训记录的培训班，开始日期不能改到今后 / a course with attendance cannot be"
            " moved to start in the future",
        )
    course.correct(replace(meta, rule_version=rule), reason=reason.strip(), **fields)
    app.save(course)
    return CommandResult(course.id, course.version, None)


def cancel(app: TierApplication, course_id: UUID, reason: str, meta: Meta) -> CommandResult:
    """The course was not held (or recorded in error): it no longer counts."""
    course = _course(app, course_id, meta)
    if (version := course.replayed_version(meta)) is not None:
        return CommandResult(course.id, version, None, replayed=True)
    if not reason.strip():
        raise InvalidInput("reason_required", "取消需要说明理由 / a cancellation needs a reason")
    course.cancel(reason.strip(), meta)
    app.save(course)
    return CommandResult(course.id, course.version, None)


def _check_roles(roles: list[str]) -> list[str]:
    cleaned = [r.strip() for r in roles if r.strip()]
    if len(cleaned) > MAX_ROLES or any(len(r) > 20 for r in cleaned):
        raise InvalidInput(
            "invalid_roles",
            f"参训人员身份最多 {MAX_ROLES} 项、每项不超过 20 字 / at most {MAX_ROLES} roles of"
            " at most 20 characters",
        )
    return cleaned


def attend(
    app: TierApplication,
    course_id: UUID,
    organisation_id: UUID,
    trainees: int,
    roles: list[str],
    meta: Meta,
    reason: str | None = None,
) -> CommandResult:
    """Record (``reason`` None) or correct an organisation's attendance at a course.

    The organisation must be known (404), within the division running the course (403
    ``attendee_out_of_jurisdiction``) and active on the course's first or last day (409
    ``organisation_not_active``); the course must have started by the record's effective
    date (409 ``course_not_started``). Trainees: at least 1 (422 ``invalid_trainees``); a
    correction may give 0 (the organisation did not attend after all)."""
    course = _course(app, course_id, meta)
    if (version := course.replayed_version(meta)) is not None:
        return CommandResult(course.id, version, organisation_id, replayed=True)
    least = 0 if reason is not None else 1
    if trainees < least or trainees > 10_000:
        raise InvalidInput(
            "invalid_trainees",
            f"参训人数须在 {least} 至 10000 之间 / trainees must be {least} … 10000",
        )
    if reason is not None and not reason.strip():
        raise InvalidInput("reason_required", "更正需要说明理由 / a correction needs a reason")
    cleaned = _check_roles(roles)
    facts = app.lookup.get(organisation_id)
    if facts is None:
        raise NotFound("unknown_organisation", f"no organisation {organisation_id}")
    day = legal_date(meta.effective_at)
    # Within the division running the course (a retired village through its successor).
    if not app.in_charge(
        replace(meta.actor, division=course.division_code), facts.village_code, day
    ):
        raise OutOfJurisdiction(
            "attendee_out_of_jurisdiction",
            f"该组织不在培训班举办单位 {course.division_code} 辖区内 / {organisation_id} is not"
            f" within {course.division_code}, which runs the course",
        )
    if day < course.starts_on:
        raise Conflict(
            "course_not_started",
            f"培训班 {course.starts_on} 才开始，尚不能登记参训 / the course starts on"
            f" {course.starts_on}: attendance cannot be recorded before",
        )
    if reason is None and not (
        facts.active_on(course.starts_on) or facts.active_on(course.ends_on)
    ):
        raise Conflict(
            "organisation_not_active",
            f"该组织在培训期间未备案或登记 / {organisation_id} was not filed or registered"
            " during the course",
        )
    if reason is None:
        course.attend(str(organisation_id), facts.village_code, trainees, cleaned, meta)
    else:
        course.correct_attendance(
            str(organisation_id), facts.village_code, trainees, cleaned, reason.strip(), meta
        )
    app.save(course)
    return CommandResult(course.id, course.version, organisation_id)
