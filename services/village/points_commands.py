"""Resident points commands of a community's station (积分制, issue 16 item 6, ADR 0027):
turn the pilot on or off, award or deduct points by hand with a reason.

Off unless the community turns it on: an adjustment on a day the pilot was not on is refused
(409 ``points_pilot_off``), and so is one for a number not in the community's volunteer
register (409 ``unknown_volunteer``). Points earned at activities need no command: the read
side derives them (shared/reporting/points.py).
"""

from __future__ import annotations

from dataclasses import replace

from services.village.domain import Volunteer, volunteer_key
from services.village.points import PointsAdjustment, PointsPilot, pilot_key
from shared.kernel.domain import CommandResult, Conflict, InvalidInput, Meta, legal_date
from shared.kernel.jurisdiction import Tier
from shared.kernel.rules import POINTS
from shared.kernel.volunteers import check_number
from shared.tier.application import TierApplication

ADJUSTMENT_KINDS = ("award", "deduction")


class PointsCommands(TierApplication):
    """Mixed into the village application: the pilot record and the adjustments live in the
    village's own store, so every check here reads only its own aggregates."""

    def turn_points_on(self, village_code: str, meta: Meta) -> CommandResult:
        """The community turns the points pilot on from the command's effective date."""
        self._community(village_code, meta)
        day = legal_date(meta.effective_at)
        # Activities from this day earn under the rule in force on their date; a day with no
        # rule in force would earn nothing without saying why, so it is refused (409).
        version = self.rules.version_on(POINTS, day)
        meta = replace(meta, rule_version=version.version)
        pilot = self.find(pilot_key(village_code))
        if not isinstance(pilot, PointsPilot):
            pilot = PointsPilot.start(meta, village_code)
        else:
            if (replayed := self.replay(pilot, meta)) is not None:
                return replace(replayed, organisation_id=None)
            pilot.resume(meta)
        self.save(pilot)
        return CommandResult(pilot.id, pilot.version, None)

    def turn_points_off(self, village_code: str, meta: Meta) -> CommandResult:
        """The community turns its pilot off from the command's effective date: activities on
        or after it earn nothing; what was earned before stays."""
        self._community(village_code, meta)
        pilot = self.find(pilot_key(village_code))
        if not isinstance(pilot, PointsPilot):
            raise Conflict(
                "points_pilot_off",
                f"本社区未开启积分制试点 / the points pilot of {village_code} is not on",
            )
        if (replayed := self.replay(pilot, meta)) is not None:
            return replace(replayed, organisation_id=None)
        pilot.stop(meta)
        self.save(pilot)
        return CommandResult(pilot.id, pilot.version, None)

    def adjust_points(
        self, village_code: str, volunteer_id: str, kind: str, points: int, reason: str, meta: Meta
    ) -> CommandResult:
        """An award or deduction by hand, with its reason, on the command's effective date
        (a correction of an earlier one is another adjustment: nothing is deleted)."""
        check_number(volunteer_id)
        if kind not in ADJUSTMENT_KINDS:
            raise InvalidInput(
                "invalid_adjustment_kind",
                f"调整类型须为 award（奖励）或 deduction（扣减）/ kind must be one of "
                f"{ADJUSTMENT_KINDS}, not {kind!r}",
            )
        if not reason.strip():
            raise InvalidInput("reason_required", "请填写调整理由 / a reason is required")
        self._community(village_code, meta)
        # A retry (same Idempotency-Key) gets its original answer whatever changed since,
        # so the replay comes before the checks, as for the pilot's commands.
        adjustment_id, replayed = self.create_id(meta)
        if replayed:
            return replace(replayed, organisation_id=None)
        day = legal_date(meta.effective_at)
        version = self.rules.version_on(POINTS, day)
        most = int(version.parameters["max_adjustment"])
        if not 1 <= points <= most:
            raise InvalidInput(
                "invalid_points",
                f"调整积分须为 1 至 {most} 分（{version.version}）/ points must be 1 to {most} "
                f"under {version.version}, not {points}",
            )
        pilot = self.find(pilot_key(village_code))
        if not isinstance(pilot, PointsPilot) or not pilot.on_at(day):
            raise Conflict(
                "points_pilot_off",
                f"本社区 {day} 未开启积分制试点 / the points pilot of {village_code} was not on "
                f"on {day}",
            )
        if not isinstance(self.find(volunteer_key(village_code, volunteer_id)), Volunteer):
            raise Conflict(
                "unknown_volunteer",
                f"志愿者编号 {volunteer_id} 未在本村（社区）志愿者名册登记 / volunteer number "
                f"{volunteer_id} not in the register of {village_code}",
            )
        meta = replace(meta, rule_version=version.version)
        adjustment = PointsAdjustment.record(
            adjustment_id,
            meta,
            village_code=village_code,
            volunteer_id=volunteer_id,
            points=points if kind == "award" else -points,
            reason=reason.strip(),
        )
        self.save(adjustment)
        return CommandResult(adjustment.id, adjustment.version, None)

    def _community(self, village_code: str, meta: Meta) -> None:
        if self.division_in_force(village_code, meta).tier is not Tier.VILLAGE:
            raise InvalidInput("unknown_division", f"{village_code} is not a village/community")
        self.check_jurisdiction(meta, village_code)
