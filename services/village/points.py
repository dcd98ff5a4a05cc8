"""Resident points (积分制, issue 16 item 6, ADR 0027): a community's pilot and the adjustments
its station records by hand.

Points earned at activities are not recorded here: the read side derives them from the
activities themselves under the rule in force on each activity's date, so nothing is entered
twice. What only a person can decide is recorded: that the community runs the pilot (from a
day, until a day), and an award or deduction with its reason. Class paths are a storage
contract (ADR 0002).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.kernel.domain import Conflict, Meta, legal_date
from shared.kernel.domain import SanjiAggregate as Agg
from shared.kernel.points import pilot_on


def pilot_key(village_code: str) -> UUID:
    """One pilot record per community: two stations turning it on at once collide on it."""
    return uuid5(NAMESPACE_URL, f"sanji:points-pilot:{village_code}")


class PointsPilot(Agg):
    """Whether a community runs the points pilot: its periods, each from a turn-on's day to a
    turn-off's day (open while it runs)."""

    if TYPE_CHECKING:
        village_code: str
        periods: list[tuple[date, date | None]]

    class Event(Agg.Event):
        ID_NAME = "pilot_key"
        ABOUT_ORGANISATION = False  # a community's scheme, not an organisation's

    class Started(Event, Agg.Created):
        """The first turn-on (the record is created by it)."""

        village_code: str
        started_on: date

        def apply(self, pilot: Any) -> None:
            pilot.village_code = self.village_code
            pilot.periods = [(self.started_on, None)]

    class Resumed(Event):
        """A later turn-on, after the pilot was turned off."""

        village_code: str
        started_on: date

        def apply(self, pilot: Any) -> None:
            pilot.periods = [*pilot.periods, (self.started_on, None)]

    class Stopped(Event):
        village_code: str
        started_on: date  # the period it ends, so the read side closes exactly that one
        ended_on: date

        def apply(self, pilot: Any) -> None:
            pilot.periods = [*pilot.periods[:-1], (self.started_on, self.ended_on)]

    @property
    def running(self) -> bool:
        return bool(self.periods) and self.periods[-1][1] is None

    def on_at(self, day: date) -> bool:
        return pilot_on(self.periods, day)

    @classmethod
    def start(cls, meta: Meta, village_code: str) -> PointsPilot:
        return cls._create(
            cls.Started,
            id=pilot_key(village_code),
            meta=meta,
            village_code=village_code,
            started_on=legal_date(meta.effective_at),
        )

    def resume(self, meta: Meta) -> None:
        day = legal_date(meta.effective_at)
        if self.running:
            raise Conflict(
                "points_pilot_already_on",
                f"本社区积分制试点已于 {self.periods[-1][0]} 开启 / the points pilot of "
                f"{self.village_code} is already on (since {self.periods[-1][0]})",
            )
        ended = self.periods[-1][1]
        if ended is not None and day < ended:
            raise Conflict(
                "points_pilot_overlap",
                f"开启日期 {day} 早于上次关闭日期 {ended} / the pilot cannot be turned on "
                f"on {day}, before it was last turned off ({ended})",
            )
        self.trigger_event(self.Resumed, village_code=self.village_code, started_on=day, meta=meta)

    def stop(self, meta: Meta) -> None:
        day = legal_date(meta.effective_at)
        if not self.running:
            raise Conflict(
                "points_pilot_off",
                f"本社区未开启积分制试点 / the points pilot of {self.village_code} is not on",
            )
        started = self.periods[-1][0]
        # Turning off on the day it was turned on leaves an empty period: how a turn-on made
        # by mistake is corrected (nothing is deleted).
        if day < started:
            raise Conflict(
                "points_pilot_off_before_on",
                f"关闭日期 {day} 早于开启日期 {started} / the pilot turned on on {started} "
                f"cannot be turned off on {day}, before that",
            )
        self.trigger_event(
            self.Stopped,
            village_code=self.village_code,
            started_on=started,
            ended_on=day,
            meta=meta,
        )


class PointsAdjustment(Agg):
    """Points awarded or deducted by hand, with the reason (a correction is another one:
    nothing is deleted). Its own aggregate, so adjustments never clash with each other."""

    class Event(Agg.Event):
        ID_NAME = "adjustment_id"
        ABOUT_ORGANISATION = False

    class Recorded(Event, Agg.Created):
        village_code: str
        volunteer_id: str  # the village's own volunteer number (ADR 0021)
        points: int  # signed: a deduction is negative
        reason: str

        def apply(self, adjustment: Any) -> None:
            adjustment.village_code = self.village_code

    @classmethod
    def record(cls, id: UUID, meta: Meta, **fields: Any) -> PointsAdjustment:
        return cls._create(cls.Recorded, id=id, meta=meta, **fields)
