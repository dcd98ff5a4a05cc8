"""Zombie-exit commands and timer step (ADR 0009), mixed into the county application (registered
organisations) and the township application (filed groups). The tier supplies four hooks: the
aggregate whose exit it decides, whether it is still active, how it exits and how it is
reinstated; and ``TierApplication.zombie_list``, the report's zombie list the review starts from
(ADR 0016). Facts of other tiers (activity, inspections, funding) come from the tier's read
model (ADR 0001); the proceeding and the organisation's exit are the tier's own aggregates,
saved together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from shared.capabilities.exits import projection as rm
from shared.capabilities.exits.domain import (
    FAMILY,
    RECTIFY,
    ExitProceeding,
    ExitRule,
    proceeding_id,
)
from shared.capabilities.exits.review import guards_of, review
from shared.kernel.backdating import period_start
from shared.kernel.domain import (
    CHINA,
    Actor,
    CommandResult,
    Conflict,
    DomainError,
    InvalidInput,
    Meta,
    legal_date,
    system_actor,
)
from shared.kernel.domain import SanjiAggregate as Agg
from shared.kernel.jurisdiction import prefix_of

if TYPE_CHECKING:
    from shared.tier.application import TierApplication

    _Base = TierApplication
else:
    _Base = object


@dataclass(frozen=True)
class ExitRecorded:
    """What the timer step recorded for one proceeding."""

    proceeding_id: UUID
    organisation_id: UUID
    event: str  # exited / stopped
    outcome: str | None
    reason: str | None
    effective_on: date
    rule_version: str


class ZombieExit(_Base):
    """Notice, timer, withdrawal and reversal of zombie exits for this tier's organisations."""

    exit_kind: ClassVar[str]  # "registered" (county) or "filed" (township)

    # ------------------------------------------------------------ tier hooks

    def exit_target(self, organisation_id: UUID, day: date) -> Agg:
        """The aggregate whose exit this tier decides (409/404 if not this tier's to exit)."""
        raise NotImplementedError

    def exit_active(self, target: Any) -> bool:
        raise NotImplementedError

    def apply_exit(self, target: Any, outcome: str, reason: str, meta: Meta) -> None:
        raise NotImplementedError

    def reinstate(self, target: Any, reason: str, meta: Meta) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------ rule and review

    def exit_rule(self, day: date) -> ExitRule:
        return ExitRule.of(self.rules.version_on(FAMILY, day))  # else 409 rule_not_in_force

    def exit_review(self, within: str, day: date) -> list[dict[str, Any]]:
        """The dry run for division ``within`` on ``day`` (nothing is recorded)."""
        rule, rules, tree = self.exit_rule(day), self.rules.in_force(day), self.tree_on(day)
        with self.lookup.db.transaction() as tx:
            zombies = self.zombie_list(tx, within, day, rules, tree)
            return review(tx, zombies, day, rule, self.exit_kind)

    def exit_proceedings(self, within: str, state: str | None = None) -> list[dict[str, Any]]:
        with self.lookup.db.transaction() as tx:
            return rm.proceedings(tx, prefix_of(within) + "%", state)

    def latest_proceeding(self, organisation_id: UUID) -> tuple[int, ExitProceeding | None]:
        """The organisation's last proceeding and its number (0, None: never), from this
        tier's own store."""
        number, last = 0, None
        while (found := self.find(proceeding_id(organisation_id, number + 1))) is not None:
            number, last = number + 1, found
        return number, last

    # ------------------------------------------------------------ commands

    def notice_exit(self, organisation_id: UUID, outcome: str | None, meta: Meta) -> CommandResult:
        """Serve notice of exit to one organisation on the list (409 if guarded, not a
        candidate or already on notice): the rule's version and periods are recorded."""
        day = legal_date(meta.effective_at)
        rule = self.exit_rule(day)
        facts = self.facts(organisation_id, meta)
        outcome = outcome or rule.default_outcome(self.exit_kind)
        if outcome not in rule.allowed(self.exit_kind):
            allowed = ", ".join(rule.allowed(self.exit_kind))
            raise InvalidInput("outcome_not_allowed", f"{outcome!r} is not one of {allowed}")
        self.exit_target(organisation_id, day)
        number, last = self.latest_proceeding(organisation_id)
        if last is not None:
            # A notice opens a new proceeding: the client's version is not the last one's.
            if replayed := self.replay(last, meta.without_precondition()):
                return replayed
            if last.state == "noticed":
                raise Conflict("exit_pending", f"{organisation_id} is already on notice")
        entry = next(
            (
                r
                for r in self.exit_review(facts.village_code, day)
                if r["org_id"] == str(organisation_id)
            ),
            None,
        )
        if entry is None or not entry["criteria"]:
            raise Conflict("not_a_zombie_candidate", f"{organisation_id} is not on the list")
        if entry["guards"]:
            codes = ", ".join(g["code"] for g in entry["guards"])
            raise Conflict("zombie_exit_guarded", f"{organisation_id} is guarded: {codes}")
        # The notice period protects the organisation: it runs from the day the notice is
        # recorded when the notice is dated back, never from the earlier date (ADR 0013).
        ends = rule.period_end(period_start(day, legal_date(self.clock())), outcome)
        proceeding = ExitProceeding.notice(
            organisation_id,
            number + 1,
            replace(meta, rule_version=rule.version),
            village_code=facts.village_code,
            outcome=outcome,
            exit_outcome=rule.default_outcome(self.exit_kind) if outcome == RECTIFY else outcome,
            reasons=[r["code"] for r in entry["reasons"]],
            criteria=entry["criteria"],
            notice_ends_on=ends,
            due_on=date.fromordinal(ends.toordinal() + 1),
        )
        try:
            self.save(proceeding)
        except IntegrityError:
            raise Conflict(
                "exit_pending", f"{organisation_id} was put on notice meanwhile"
            ) from None
        return CommandResult(
            proceeding.id,
            proceeding.version,
            organisation_id,
            extra={"due_on": proceeding.due_on.isoformat(), "rule_version": rule.version},
        )

    def start_exit_campaign(
        self, within: str, outcome: str | None, meta: Meta
    ) -> dict[str, list[dict[str, Any]]]:
        """Notice to every candidate the dry run proposes in ``within``; the others are listed
        as skipped with why (guards, pending notice, or the error a notice met)."""
        self.check_jurisdiction(meta, within)
        noticed, skipped = [], []
        for entry in self.exit_review(within, legal_date(meta.effective_at)):
            org = entry["org_id"]
            if entry["proposal"] != "notice":
                skipped.append(
                    {
                        "org_id": org,
                        "reason": entry["not_proposed_because"],
                        "guards": [g["code"] for g in entry["guards"]],
                    }
                )
                continue
            key = f"{meta.idempotency_key}:{org}" if meta.idempotency_key else None
            hashed = f"{meta.request_hash}:{org}" if meta.request_hash else None
            try:
                r = self.notice_exit(
                    UUID(org), outcome, replace(meta, idempotency_key=key, request_hash=hashed)
                )
            except DomainError as e:
                skipped.append({"org_id": org, "reason": e.code, "guards": []})
                continue
            noticed.append({"org_id": org, "proceeding_id": str(r.id), **r.extra})
        return {"noticed": noticed, "skipped": skipped}

    def _proceeding(self, pid: UUID, meta: Meta) -> tuple[ExitProceeding, CommandResult | None]:
        p = self.load(ExitProceeding, pid, "proceeding")
        self.check_jurisdiction(meta, p.village_code)
        return p, self.replay(p, meta, p.organisation_id)

    def withdraw_exit(self, pid: UUID, reason: str, meta: Meta) -> CommandResult:
        """Withdraw a pending notice (no exit follows)."""
        p, replayed = self._proceeding(pid, meta)
        if replayed:
            return replayed
        p.stop("withdrawn", reason, meta)
        return self.commit(p, p.organisation_id)

    def reverse_exit(self, pid: UUID, reason: str, meta: Meta) -> CommandResult:
        """Reverse an exit by compensating events: the proceeding is reversed and the
        organisation reinstated, both kept in history (ADR 0009)."""
        p, replayed = self._proceeding(pid, meta)
        if replayed:
            return replayed
        p.reverse(reason, meta)
        target = self.find(p.organisation_id)
        self.reinstate(target, reason, meta)
        self.save(p, target)
        return CommandResult(p.id, p.version, p.organisation_id)

    # ------------------------------------------------------------ the timer step

    def run_due_exits(
        self, now: datetime | None = None, triggered_by: Actor | None = None
    ) -> list[ExitRecorded]:
        """Decide every proceeding whose period is over by ``now``: stop it (with the reason)
        if the organisation is no longer active, was active since the notice, left the list
        or is guarded; else exit it, effective 00:00 of its due day. Idempotent: a decided
        proceeding is not due any more.

        ``triggered_by``: the operator who asked for this run now. Only proceedings in that
        operator's division are decided (an on-demand run must not reach past the caller's
        jurisdiction, issue 11), and the decisions, still the system actor's, record who
        triggered them. The background timer passes None: the whole county."""
        today = legal_date(now or self.clock())
        with self.lookup.db.transaction() as tx:
            ids = rm.due(tx, today.isoformat())
        recorded = []
        for pid in ids:
            p = self.find(UUID(pid))
            if not isinstance(p, ExitProceeding) or p.state != "noticed" or p.due_on > today:
                continue  # decided meanwhile, or the read model is ahead of nothing
            if not self.in_run_scope(triggered_by, p.village_code, today):
                continue
            if (done := self._decide(p, today, triggered_by)) is not None:
                recorded.append(done)
        return recorded

    def _decide(
        self, p: ExitProceeding, today: date, triggered_by: Actor | None
    ) -> ExitRecorded | None:
        rule = self.exit_rule(today)
        target = self.find(p.organisation_id)
        why = self._stop_reason(p, target, today, rule)
        at = datetime.combine(p.due_on, time.min, CHINA) if why is None else self.clock()
        meta = Meta(
            actor=system_actor(self.tier, self.jurisdiction.county.code),
            effective_at=at,
            correlation_id=f"timer:zombie-exit:{p.id}",
            rule_version=rule.version,
            triggered_by=triggered_by,
        )
        if why is not None:
            p.stop(why[0], why[1], meta)
            saved: tuple[Any, ...] = (p,)
        else:
            p.exit(meta)
            self.apply_exit(target, p.exit_outcome, f"zombie exit {p.id}", meta)
            saved = (p, target)
        try:
            self.save(*saved)
        except IntegrityError:
            return None  # decided meanwhile by another run
        return ExitRecorded(
            p.id,
            p.organisation_id,
            "stopped" if why else "exited",
            None if why else p.exit_outcome,
            why[0] if why else None,
            legal_date(at),
            rule.version,
        )

    def _stop_reason(
        self, p: ExitProceeding, target: Any, today: date, rule: ExitRule
    ) -> tuple[str, str] | None:
        if target is None or not self.exit_active(target):
            return "not_active", "the organisation has exited or is no longer this tier's"
        with self.lookup.db.transaction() as tx:
            active = tx.one(
                "SELECT MAX(occurred_on) AS v FROM activity WHERE org_id = %s AND occurred_on > %s",
                (str(p.organisation_id), p.noticed_on.isoformat()),
            )
            guards = guards_of(tx, str(p.organisation_id), today, rule)
        if active is not None and active["v"] is not None:
            return "active_since_notice", f"activity on {active['v']}"
        if guards:
            return "guarded", ", ".join(g["code"] for g in guards)
        entry = next(
            (
                r
                for r in self.exit_review(p.village_code, today)
                if r["org_id"] == str(p.organisation_id)
            ),
            None,
        )
        if entry is None or not entry["criteria"]:
            return "no_longer_candidate", "no longer on the zombie list"
        return None
