"""Training courses (培训班): a course run by the county or a township, and who attended.

A course is one aggregate in the store of the tier that runs it (the county's centre or a
township's platform); attendance is recorded on it by organisation with a person-count.
Nothing is deleted: a mistaken course is cancelled (it then never counts), a mistaken detail
or count is corrected by a new event. The class paths below are a storage contract in the
county's and the townships' stores (ADR 0002).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.kernel.domain import Conflict, Meta, NotFound
from shared.kernel.domain import SanjiAggregate as Agg

# Who may attend a course: at most this many roles named per attendance line (负责人, 骨干 …).
MAX_ROLES = 10


class TrainingCourse(Agg):
    """A training course (培训班) and its attendance by organisation."""

    if TYPE_CHECKING:
        division_code: str
        starts_on: date
        ends_on: date
        cancelled: bool
        attendance: dict[str, int]

    class Event(Agg.Event):
        ID_NAME = "course_id"
        ABOUT_ORGANISATION = False

    class Scheduled(Event, Agg.Created):
        division_code: str  # the county or township running it
        topic: str
        kind: str  # a code of the ``training`` rules in force on ``starts_on``
        starts_on: date
        ends_on: date
        trainer: str
        platform_id: str | None  # the service platform where it is held, if any

        def apply(self, course: Any) -> None:
            course.division_code = self.division_code
            course.starts_on, course.ends_on = self.starts_on, self.ends_on
            course.cancelled = False
            course.attendance = {}

    class Corrected(Event):
        """New values of the course's details (all of them), with why."""

        division_code: str
        topic: str
        kind: str
        starts_on: date
        ends_on: date
        trainer: str
        platform_id: str | None
        reason: str

        def apply(self, course: Any) -> None:
            course.starts_on, course.ends_on = self.starts_on, self.ends_on

    class Cancelled(Event):
        """The course was not held (or recorded in error): it never counts."""

        division_code: str
        reason: str

        def apply(self, course: Any) -> None:
            course.cancelled = True

    class AttendanceRecorded(Event):
        ABOUT_ORGANISATION = True  # the envelope names the organisation (its timeline)
        organisation_id: str
        village_code: str
        trainees: int
        roles: list[str]

        def apply(self, course: Any) -> None:
            course.attendance[self.organisation_id] = self.trainees

    class AttendanceCorrected(Event):
        """A new person-count for an organisation (0: it did not attend after all)."""

        ABOUT_ORGANISATION = True
        organisation_id: str
        village_code: str
        trainees: int
        roles: list[str]
        reason: str

        def apply(self, course: Any) -> None:
            course.attendance[self.organisation_id] = self.trainees

    @classmethod
    def schedule(cls, id: UUID, meta: Meta, **fields: Any) -> TrainingCourse:
        return cls._create(cls.Scheduled, id=id, meta=meta, **fields)

    def _open(self) -> None:
        if self.cancelled:
            raise Conflict("course_cancelled", f"培训班已取消 / course {self.id} was cancelled")

    def correct(self, meta: Meta, **fields: Any) -> None:
        self._open()
        self.trigger_event(self.Corrected, meta=meta, **fields)

    def cancel(self, reason: str, meta: Meta) -> None:
        self._open()
        self.trigger_event(
            self.Cancelled, division_code=self.division_code, reason=reason, meta=meta
        )

    def attend(
        self, organisation_id: str, village_code: str, trainees: int, roles: list[str], meta: Meta
    ) -> None:
        self._open()
        if organisation_id in self.attendance:
            raise Conflict(
                "attendance_exists",
                f"该组织的参训记录已存在，请更正 / attendance of {organisation_id} is recorded:"
                " correct it instead",
            )
        self.trigger_event(
            self.AttendanceRecorded,
            organisation_id=organisation_id,
            village_code=village_code,
            trainees=trainees,
            roles=roles,
            meta=meta,
        )

    def correct_attendance(
        self,
        organisation_id: str,
        village_code: str,
        trainees: int,
        roles: list[str],
        reason: str,
        meta: Meta,
    ) -> None:
        self._open()
        if organisation_id not in self.attendance:
            raise NotFound(
                "unknown_attendance", f"no attendance of {organisation_id} on course {self.id}"
            )
        self.trigger_event(
            self.AttendanceCorrected,
            organisation_id=organisation_id,
            village_code=village_code,
            trainees=trainees,
            roles=roles,
            reason=reason,
            meta=meta,
        )


def training_events(tier: str) -> dict[type, str]:
    """A tier application's ``published`` entries for its training courses."""
    return {
        TrainingCourse.Scheduled: f"sanji.{tier}.training.scheduled.v1",
        TrainingCourse.Corrected: f"sanji.{tier}.training.corrected.v1",
        TrainingCourse.Cancelled: f"sanji.{tier}.training.cancelled.v1",
        TrainingCourse.AttendanceRecorded: f"sanji.{tier}.training.attendance_recorded.v1",
        TrainingCourse.AttendanceCorrected: f"sanji.{tier}.training.attendance_corrected.v1",
    }
