"""The zombie list (僵尸组织名单): who is on it, and why — the list the exit process starts from.

An organisation is listed when it is active and had no activity in the trailing window of the
zombie rule in force (domain.md §4.5). Each entry names every reason that applies, from the
2021 campaign's criteria (domain.md §3), so a reviewer sees the grounds rather than a flag.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.infrastructure.store import Tx
from shared.kernel.jurisdiction import Jurisdiction, contains, prefix_of
from shared.kernel.rules import RuleSet, months_before
from shared.reporting.figures import zombie_candidates
from shared.reporting.ranges import span

REASONS = {
    "no_activity_in_window": "近{months}个月无活动",
    "never_active": "成立以来从未开展活动",
    "no_activity_in_first_year": "成立（登记/备案）后一年内未开展活动",
    "annual_reports_missed": "连续两年未报送年报且未接受检查",
    "on_abnormal_list": "已列入活动异常名录",
}


def _reason(code: str, detail: dict[str, Any], **fmt: Any) -> dict[str, Any]:
    return {"code": code, "zh": REASONS[code].format(**fmt), "detail": detail}


def zombie_list(
    tx: Tx, within: str, as_of: date, rules: RuleSet, j: Jurisdiction | None = None
) -> list[dict[str, Any]]:
    """The list for division ``within``; on tree ``j``, a retired village's organisations are
    listed under its successor (each entry names the village it was recorded in and the one
    of the tree it counts in)."""
    if j is None or not j.aliases:
        return _zombies(tx, prefix_of(within) + "%", as_of, rules, j)
    out = []
    for pattern in j.patterns(within):
        out += [
            z
            for z in _zombies(tx, pattern, as_of, rules, j)
            if contains(within, z["village_in_tree"])
        ]
    return sorted(out, key=lambda z: (z["village_code"], z["name"] or "", z["org_id"]))


def _zombies(
    tx: Tx, like: str, as_of: date, rules: RuleSet, j: Jurisdiction | None
) -> list[dict[str, Any]]:
    rows = zombie_candidates(tx, like, as_of, rules)
    if not rows:
        return []
    day = as_of.isoformat()
    first_activity = _by_org(
        tx,
        "SELECT org_id, MIN(occurred_on) AS v FROM activity WHERE village_code >= %s AND village_code < %s"
        " AND occurred_on <= %s GROUP BY org_id",
        (*span(like), day),
    )
    years = (as_of.year - 1, as_of.year - 2)
    reports: dict[str, set[int]] = {}
    for r in tx.all(
        "SELECT org_id, year FROM annual_report WHERE village_code >= %s AND village_code < %s AND year IN (%s, %s)"
        " AND filed_on <= %s",
        (*span(like), *years, day),
    ):
        reports.setdefault(r["org_id"], set()).add(int(r["year"]))
    inspected = _by_org(
        tx,
        "SELECT org_id, MAX(inspected_on) AS v FROM inspection WHERE village_code >= %s AND village_code < %s"
        " AND inspected_on <= %s GROUP BY org_id",
        (*span(like), day),
    )
    listed = _by_org(
        tx,
        "SELECT org_id, MAX(reason) AS v FROM credit_listing WHERE village_code >= %s AND village_code < %s"
        " AND credit_list = 'abnormal' AND entered_on <= %s AND (left_on IS NULL OR left_on > %s)"
        " GROUP BY org_id",
        (*span(like), day, day),
    )
    two_years_ago = date(years[1], 1, 1).isoformat()
    out = []
    for r in rows:
        org_id, entered = r["org_id"], date.fromisoformat(r["entered_on"])
        reasons = [
            _reason(
                "no_activity_in_window",
                {
                    "window_months": rules.zombie_window_months,
                    "last_activity_on": r["last_activity_on"],
                },
                months=rules.zombie_window_months,
            )
        ]
        if r["last_activity_on"] is None:
            reasons.append(_reason("never_active", {"entered_on": r["entered_on"]}))
        first = first_activity.get(org_id)
        one_year_in = _one_year_after(entered)
        if one_year_in <= as_of and (first is None or first > one_year_in.isoformat()):
            reasons.append(
                _reason(
                    "no_activity_in_first_year",
                    {"entered_on": r["entered_on"], "first_activity_on": first},
                )
            )
        registered = r["registered_on"]
        if (
            registered is not None
            and registered <= date(years[1], 12, 31).isoformat()
            and not reports.get(org_id)
            and (inspected.get(org_id) or "") < two_years_ago
        ):
            reasons.append(
                _reason(
                    "annual_reports_missed",
                    {"years": list(years), "last_inspected_on": inspected.get(org_id)},
                )
            )
        if org_id in listed:
            reasons.append(_reason("on_abnormal_list", {"listed_for": listed[org_id]}))
        out.append(
            {
                "org_id": org_id,
                "name": r["name"],
                "village_code": r["village_code"],
                "village_in_tree": j.resolve(r["village_code"]) if j else r["village_code"],
                "kind": r["kind"],
                "field": r["field"],
                "entered_on": r["entered_on"],
                "last_activity_on": r["last_activity_on"],
                "months_since_activity": _months_between(
                    date.fromisoformat(r["last_activity_on"] or r["entered_on"]), as_of
                ),
                "reasons": reasons,
            }
        )
    return out


def _by_org(tx: Tx, sql: str, params: tuple[Any, ...]) -> dict[str, Any]:
    return {r["org_id"]: r["v"] for r in tx.all(sql, params)}


def _one_year_after(day: date) -> date:
    return months_before(day, -12)  # a negative count moves forward; 29 Feb clamps to 28th


def _months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)
