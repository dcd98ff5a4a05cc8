"""The zombie-exit review (ADR 0009): who the ``zombie_exit`` rule would put on notice, on which
of the 2021 criteria, and what guards them — from the read model of the tier that decides.

It starts from the zombie list, which is the report's (one definition of a zombie,
shared/reporting/zombies.py): the tier hands it in (``TierApplication.zombie_list``), so this
capability does not import the reporting layer above it (ADR 0016).

The dry run and the timer step use the same functions, so what a reviewer sees is what the
timer would do. Guards (rule ``zombie_exit``, ``guards``):

- ``open_inspection_case``: a rectification ordered by an inspection and not completed;
- ``unspent_funds``: an award (to the organisation, or through it as host) not fully disbursed;
- ``active_project``: an award within the rule's ``active_project_months``;
- ``recent_activity``: an activity within the rule's ``recent_activity_days``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from shared.capabilities.exits.domain import ExitRule
from shared.infrastructure.store import Tx

GUARD_TEXT = {
    "open_inspection_case": "检查责令整改尚未完成",
    "unspent_funds": "资助资金尚未拨付完毕",
    "active_project": "承担的资助项目仍在执行期",
    "recent_activity": "近期开展过活动",
}


def _guard(code: str, **detail: Any) -> dict[str, Any]:
    return {"code": code, "zh": GUARD_TEXT[code], "detail": detail}


def guards_of(tx: Tx, org_id: str, today: date, rule: ExitRule) -> list[dict[str, Any]]:
    """Every guard of ``rule`` that holds for ``org_id`` on ``today`` (empty: may exit)."""
    day, found = today.isoformat(), []
    if "open_inspection_case" in rule.guards:
        open_cases = tx.all(
            "SELECT inspection_id, inspected_on FROM inspection WHERE org_id = %s"
            " AND result = 'rectification_ordered' AND inspected_on <= %s"
            " AND (rectified_on IS NULL OR rectified_on > %s) ORDER BY inspected_on",
            (org_id, day, day),
        )
        if open_cases:
            found.append(_guard("open_inspection_case", inspected_on=open_cases[0]["inspected_on"]))
    awards = tx.all(
        "SELECT f.award_id, f.awarded_on, f.amount_fen, (SELECT COALESCE(SUM(d.amount_fen), 0)"
        " FROM disbursement d WHERE d.award_id = f.award_id AND d.disbursed_on <= %s) AS paid"
        " FROM funding f WHERE (f.org_id = %s OR f.host_org_id = %s) AND f.awarded_on <= %s",
        (day, org_id, org_id, day),
    )
    unspent = sum(int(a["amount_fen"]) - int(a["paid"]) for a in awards)
    if "unspent_funds" in rule.guards and unspent > 0:
        found.append(_guard("unspent_funds", undisbursed_fen=unspent))
    since = rule.projects_since(today).isoformat()
    recent_awards = sorted(a["awarded_on"] for a in awards if a["awarded_on"] > since)
    if "active_project" in rule.guards and recent_awards:
        found.append(_guard("active_project", awarded_on=recent_awards[-1]))
    if "recent_activity" in rule.guards:
        last = tx.one(
            "SELECT MAX(occurred_on) AS v FROM activity WHERE org_id = %s AND occurred_on > %s"
            " AND occurred_on <= %s",
            (org_id, rule.recent_since(today).isoformat(), day),
        )
        if last is not None and last["v"] is not None:
            found.append(_guard("recent_activity", last_activity_on=last["v"]))
    return found


def open_proceeding(tx: Tx, org_id: str) -> dict[str, Any] | None:
    """The organisation's pending notice, if one is recorded (as far as the read model knows)."""
    return tx.one(
        "SELECT proceeding_id, outcome, noticed_on, due_on FROM zombie_exit WHERE org_id = %s"
        " AND state = 'noticed'",
        (org_id,),
    )


def review(
    tx: Tx, zombies: Iterable[dict[str, Any]], today: date, rule: ExitRule, kind: str
) -> list[dict[str, Any]]:
    """The dry run: the ``kind`` organisations (registered or filed) of ``zombies`` (the
    zombie list of a division on ``today``), each with the criteria met, the guards, any
    pending notice and the proposal: ``notice`` (with ``proposed_outcome``) or ``none`` and
    why."""
    out = []
    for z in zombies:
        if z["kind"] != kind:
            continue
        criteria = rule.criteria_met({r["code"] for r in z["reasons"]})
        guards = guards_of(tx, z["org_id"], today, rule)
        pending = open_proceeding(tx, z["org_id"])
        blocked = "guarded" if guards else "notice_pending" if pending else None
        if not criteria:
            blocked = "no_criterion_met"
        out.append(
            {
                **z,
                "criteria": criteria,
                "guards": guards,
                "pending": pending,
                "proposal": "none" if blocked else "notice",
                "not_proposed_because": blocked,
                "proposed_outcome": rule.default_outcome(kind),
            }
        )
    return out
