"""Village/community tier domain: a group's filing application, and its reported activities.

Event classes are declared explicitly: their ``module:Class`` paths are a storage contract
(ADR 0002); evolve them with ``class_version`` and ``upcast_vN_vN+1``, never by renaming.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.kernel.domain import Meta
from shared.kernel.domain import SanjiAggregate as Agg


class GroupRecord(Agg):
    """The village's record of a community group, from its filing application onwards."""

    if TYPE_CHECKING:
        # Set by Applied.apply; declared for mypy only (an annotation would make a dataclass).
        founded_on: date

    class Applied(Agg.Created):
        # Version 2 added ``category``; groups applied before it are general groups.
        class_version = 2

        village_code: str
        name: str
        field: str
        founded_on: date
        category: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["category"] = "general"

        def apply(self, group: Any) -> None:
            group.village_code = self.village_code
            group.name = self.name
            group.field = self.field
            group.founded_on = self.founded_on
            group.category = self.category

    @classmethod
    def apply_for_filing(cls, id: UUID, meta: Meta, **fields: Any) -> GroupRecord:
        return cls._create(cls.Applied, id=id, meta=meta, **fields)


class Activity(Agg):
    """One activity of an organisation (its own aggregate, so concurrent reports never clash)."""

    class Event(Agg.Event):
        ID_NAME = "activity_id"

    class Reported(Event, Agg.Created):
        # Version 2 (issue 14, ADR 0019) added ``themes`` (codes of the rules family
        # ``activity_themes``) and the mediation figures ``cases_taken`` / ``cases_resolved``;
        # an activity reported before them has no theme and no cases (None: not stated).
        # Version 3 (issue 14, ADR 0021) added ``volunteer_ids``: the numbers, in the village's
        # volunteer register, of the volunteers who served; none before it.
        class_version = 3

        organisation_id: UUID
        village_code: str
        occurred_on: date
        field: str
        participants: int
        volunteers: int
        volunteer_services: int
        volunteer_hours: Decimal
        beneficiaries: int
        money_spent: Decimal
        themes: list[str]
        cases_taken: int | None
        cases_resolved: int | None
        volunteer_ids: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["themes"] = []
            state["cases_taken"] = None
            state["cases_resolved"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["volunteer_ids"] = []

        def apply(self, activity: Any) -> None:
            activity.organisation_id = self.organisation_id
            activity.village_code = self.village_code
            activity.occurred_on = self.occurred_on

    @classmethod
    def report(cls, id: UUID, meta: Meta, **figures: Any) -> Activity:
        return cls._create(cls.Reported, id=id, meta=meta, **figures)


# Why a volunteer left the register: coded, never free text (no personal data).
LEAVE_REASONS = {"moved_away": "迁出本村（社区）", "withdrew": "本人退出", "other": "其他"}


def volunteer_key(village_code: str, volunteer_id: str) -> UUID:
    """The register entry's aggregate id: a volunteer number means something only in its own
    village's register, so the same number in two villages is two people (ADR 0021)."""
    return uuid5(NAMESPACE_URL, f"sanji:volunteer:{village_code}:{volunteer_id}")


class Volunteer(Agg):
    """An entry of a village's volunteer register (志愿者登记): a pseudonym and nothing else.

    The id is the village's own volunteer number; no name, ID number, phone or birth date is
    held, because the only figure that needs the register (volunteers as distinct people)
    needs nothing but a stable pseudonym (ADR 0021).
    """

    if TYPE_CHECKING:
        village_code: str
        volunteer_id: str
        # Spans off the register: (left on, rejoined on or None while still away).
        absences: list[tuple[date, date | None]]

    # Leaving or re-joining cannot take effect before the volunteer was entered.
    began_by = ("volunteer_left_before_registered", "登记", "registration")

    class Event(Agg.Event):
        ID_NAME = "volunteer_key"
        ABOUT_ORGANISATION = False  # a person of the village, not of an organisation

    class Registered(Event, Agg.Created):
        village_code: str
        volunteer_id: str  # the village's own volunteer number

        def apply(self, volunteer: Any) -> None:
            volunteer.village_code = self.village_code
            volunteer.volunteer_id = self.volunteer_id
            volunteer.absences = []

    class Left(Event):
        # Issue 14 leftovers (ADR 0021 addendum): the volunteer leaves the register (离开/注销)
        # on ``left_on`` for a coded reason (``LEAVE_REASONS``), nothing personal. The village
        # and number are repeated so the integration event names its division and entry.
        village_code: str
        volunteer_id: str
        left_on: date
        reason: str

        def apply(self, volunteer: Any) -> None:
            volunteer.absences = [*volunteer.absences, (self.left_on, None)]

    class Rejoined(Event):
        village_code: str
        volunteer_id: str
        rejoined_on: date

        def apply(self, volunteer: Any) -> None:
            left_on, _ = volunteer.absences[-1]
            volunteer.absences = [*volunteer.absences[:-1], (left_on, self.rejoined_on)]

    def away_on(self, day: date) -> date | None:
        """The day the volunteer left, if they were off the register on ``day``; else None."""
        for left_on, rejoined_on in self.absences:
            if left_on <= day and (rejoined_on is None or day < rejoined_on):
                return left_on
        return None

    @property
    def away(self) -> bool:
        return bool(self.absences) and self.absences[-1][1] is None

    def leave(self, meta: Meta, left_on: date, reason: str) -> None:
        self.trigger_event(
            self.Left,
            meta=meta,
            village_code=self.village_code,
            volunteer_id=self.volunteer_id,
            left_on=left_on,
            reason=reason,
        )

    def rejoin(self, meta: Meta, rejoined_on: date) -> None:
        self.trigger_event(
            self.Rejoined,
            meta=meta,
            village_code=self.village_code,
            volunteer_id=self.volunteer_id,
            rejoined_on=rejoined_on,
        )

    @classmethod
    def register(cls, meta: Meta, village_code: str, volunteer_id: str) -> Volunteer:
        return cls._create(
            cls.Registered,
            id=volunteer_key(village_code, volunteer_id),
            meta=meta,
            village_code=village_code,
            volunteer_id=volunteer_id,
        )
