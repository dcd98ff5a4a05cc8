"""Commands of commendation rounds, the same code at the county and the townships (ADR 0024),
and the governance-participation rule they share with grading and funding.

The ``commendation`` rule (a decision family: each round and each refusal records or names
its version) says what "took part in governance work" means: at least
``min_governance_activities`` activities with one of ``governance_themes`` (the activity
themes of ADR 0019) — in the round's year for a commendation, in the ``window_months``
before the act for the acts the version ``restricts`` (``grading``, ``funding_application``,
``purchase_of_services``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.capabilities.commendations import projection as rm
from shared.capabilities.commendations.domain import CommendationRound, round_id
from shared.infrastructure.store import Tx
from shared.kernel.domain import (
    CommandResult,
    Conflict,
    InvalidInput,
    Meta,
    OutOfJurisdiction,
    legal_date,
)
from shared.kernel.jurisdiction import Tier
from shared.kernel.rules import RuleNotInForce, RuleVersion, months_before

if TYPE_CHECKING:  # type only: the tier application is composed above this layer
    from shared.tier.application import TierApplication

FAMILY = "commendation"
RUNS_ROUNDS = (Tier.COUNTY, Tier.TOWNSHIP)
# The acts a version may restrict (``restricts``), named in refusals.
ACTS = ("commendation", "grading", "funding_application", "purchase_of_services")
ACT_ZH = {
    "commendation": "评先评优",
    "grading": "等级评估",
    "funding_application": "项目申报和资金扶持",
    "purchase_of_services": "政府购买服务",
}
REASON_ZH = {
    "not_active": "不在存续状态",
    "on_credit_list": "被列入信用名单",
    "no_governance_work": "未参与基层治理工作",
}


def rule_on(app: TierApplication, day: date) -> RuleVersion | None:
    try:
        return app.rules.version_on(FAMILY, day)
    except RuleNotInForce:
        return None


def reasons_against(
    tx: Tx, org_id: str, rule: RuleVersion, start: date, end: date, day: date
) -> list[str]:
    """Why the rule finds the organisation ineligible (none: eligible): on a listed credit
    list on ``day``; fewer governance activities than the minimum between ``start`` and
    ``end``. Whether it is active is the caller's (the ranking holds only active ones)."""
    p = rule.parameters
    reasons = []
    if rm.on_lists(tx, org_id, list(p.get("excluded_credit_lists", [])), day):
        reasons.append("on_credit_list")
    themes = list(p.get("governance_themes", []))
    if rm.governance_activities(tx, org_id, themes, start, end) < int(
        p.get("min_governance_activities", 1)
    ):
        reasons.append("no_governance_work")
    return reasons


def act_of_programme(programme: str) -> str:
    """The restricted act a funding programme is: purchase of services, or funding."""
    return "purchase_of_services" if programme == "purchase_of_services" else "funding_application"


def check_participation(app: TierApplication, organisation_id: UUID, act: str, meta: Meta) -> None:
    """409 ``governance_participation_required`` (naming the rule version) when the version in
    force restricts ``act`` and the organisation took no part in governance work in the
    ``window_months`` before the act, or is on an excluded credit list. Nothing when no
    version is in force or it does not restrict the act."""
    if meta.imported is not None:
        # A ledger's history (ADR 0020) predates the themes that show governance work: the
        # county decided those acts under the rules of their day.
        return
    day = legal_date(meta.effective_at)
    rule = rule_on(app, day)
    if rule is None or act not in rule.parameters.get("restricts", ()):
        return
    start = months_before(day, int(rule.parameters.get("window_months", 12)))
    with app.lookup.db.transaction() as tx:
        reasons = reasons_against(tx, str(organisation_id), rule, start, day, day)
    if reasons:
        why = "、".join(REASON_ZH[r] for r in reasons)
        raise Conflict(
            "governance_participation_required",
            f"该组织{why}，按规则 {rule.version} 限制{ACT_ZH[act]} / {organisation_id} is"
            f" restricted from {act} by rule {rule.version}: {', '.join(reasons)}",
        )


def open_round(
    app: TierApplication, division_code: str | None, year: int, meta: Meta
) -> CommandResult:
    """Open the year's round for a county or township: candidates from the ranking on the
    year's last day (or today, in the year itself), the first ``candidates`` eligible ones, and
    those ranked above the last candidate that the rule passed over, with why."""
    if app.tier not in RUNS_ROUNDS:
        raise OutOfJurisdiction("wrong_tier", f"the {app.tier} holds no commendation rounds")
    code = division_code or meta.actor.division
    division = app.division_in_force(code, meta)
    if division.tier is not app.tier:
        raise InvalidInput(
            "division_tier_mismatch", f"a {app.tier} commends for a {app.tier}, not {code}"
        )
    app.check_jurisdiction(meta, code)
    today = legal_date(meta.effective_at)
    if not 2000 <= year <= today.year:
        raise InvalidInput(
            "invalid_year", f"评先评优年度须在 2000 至 {today.year} 之间 / year 2000 … {today.year}"
        )
    rid = round_id(app.tier, code, year)
    if replayed := app.replay_create(rid, meta, "round_exists"):
        return replayed
    ranked_on = min(date(year, 12, 31), today)
    rule = app.rules.version_on(FAMILY, ranked_on)  # else 409 rule_not_in_force
    wanted = int(rule.parameters.get("candidates", 10))
    candidates: list[dict[str, Any]] = []
    passed_over: list[dict[str, Any]] = []
    rules, tree = app.rules.in_force(ranked_on), app.tree_on(ranked_on)
    with app.lookup.db.transaction() as tx:
        for e in app.ranking(tx, code, ranked_on, rules, tree):
            reasons = reasons_against(
                tx, e["org_id"], rule, date(year, 1, 1), date(year, 12, 31), ranked_on
            )
            entry = {
                "organisation_id": e["org_id"],
                "village_code": e["village_code"],
                "name": e.get("name"),
                "rank_in_county": int(e["rank_in_county"]),
                "rank_in_township": int(e["rank_in_township"]),
                "total": float(e["total"]),
                "explanation": {"scores": e["scores"], **e["explanation"]},
                "eligible": not reasons,
                "reasons": reasons,
            }
            (passed_over if reasons else candidates).append(entry)
            if len(candidates) >= wanted:
                break
    commendation = CommendationRound.open(
        rid,
        replace(meta, rule_version=rule.version),
        division_code=code,
        year=year,
        ranked_on=ranked_on.isoformat(),
        candidates=candidates,
        passed_over=passed_over,
    )
    app.save(commendation)
    return CommandResult(commendation.id, commendation.version, None)


def _round(app: TierApplication, rid: UUID, meta: Meta) -> CommendationRound:
    r = app.load(CommendationRound, rid, "round")
    app.check_jurisdiction(meta, r.division_code)
    return r


def decide(
    app: TierApplication, rid: UUID, organisation_ids: list[UUID], note: str, meta: Meta
) -> CommandResult:
    """The organisations commended: eligible candidates of the round only."""
    r = _round(app, rid, meta)
    if (version := r.replayed_version(meta)) is not None:
        return CommandResult(r.id, version, None, replayed=True)
    if not organisation_ids:
        raise InvalidInput("organisations_required", "至少选择一个组织 / name at least one")
    r.decide([str(o) for o in organisation_ids], note.strip(), meta)
    app.save(r)
    return CommandResult(r.id, r.version, None)


def publish(app: TierApplication, rid: UUID, meta: Meta) -> CommandResult:
    """Make the decision public (公示/表彰): from now on the commendations count."""
    r = _round(app, rid, meta)
    if (version := r.replayed_version(meta)) is not None:
        return CommandResult(r.id, version, None, replayed=True)
    r.publish(meta)
    app.save(r)
    return CommandResult(r.id, r.version, None)
