"""Resident points read side (积分制, ADR 0027): ledgers, balances, a community's ranking and
the catalogue's points figures for any division and period.

Points earned at activities are derived here, at read time, from the activities and the
volunteers they list, under the ``resident_points`` version in force on each activity's date
(``shared.kernel.points.earned``), for activities on days the community's pilot was on; the
manual adjustments are read as recorded. Nothing is entered twice, a rebuilt read model gives
the same points, and every entry names the rule version that computed it.

All figures are counted per village (a volunteer belongs to one village's register, ADR 0021)
and summed up the tree, so county = Σ townships = Σ villages holds by construction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from pydantic import BaseModel, Field

from shared.capabilities.divisions.history import moved_out
from shared.infrastructure.store import Tx
from shared.kernel.jurisdiction import Jurisdiction, Tier
from shared.kernel.points import Entry, Served, earned, overlaps, pilot_on
from shared.kernel.rules import POINTS, Rules
from shared.reporting.ranks import competition_ranks

Periods = list[tuple[date, date | None]]


class PilotPeriod(BaseModel):
    started_on: date = Field(description="开启日期 / on from this day")
    ended_on: date | None = Field(description="关闭日期 / off from this day (null: still on)")


class PointsFigures(BaseModel):
    """The catalogue's points figures (``catalogue.POINTS_METRICS``), additive up the tree."""

    communities_piloting: int = Field(description="试点社区数 / communities piloting")
    volunteers_awarded: int = Field(description="获得积分的志愿者 / volunteers awarded points")
    awarded: int = Field(description="发放积分 / points awarded in the period")
    deducted: int = Field(description="扣减积分 / points deducted in the period")


class PointsLine(BaseModel):
    code: str
    name: str
    tier: str
    figures: PointsFigures


class PointsSummary(BaseModel):
    """A division's points figures and the divisions directly below it (their sum is it)."""

    division_code: str
    name: str
    period_from: date
    period_to: date
    figures: PointsFigures
    lines: list[PointsLine] = Field(description="下级区划 / the divisions directly below")


class VolunteerPoints(BaseModel):
    volunteer_id: str = Field(description="志愿者编号 / the village's number (a pseudonym)")
    earned: int = Field(description="活动积分 / earned at activities in the period")
    awarded: int = Field(description="奖励积分 / awarded by hand in the period")
    deducted: int = Field(description="扣减积分 / deducted by hand in the period (≥ 0)")
    points: int = Field(description="期间积分 / earned + awarded − deducted in the period")
    balance: int = Field(description="积分余额 / all points up to the period's last day")
    rank: int = Field(description="排名 / 1 + volunteers with more points in the period")


class CommunityPoints(BaseModel):
    """A community's pilot, rule and ranking for a period (pseudonymous numbers only)."""

    village_code: str
    name: str
    period_from: date
    period_to: date
    on: bool = Field(description="期末是否开启 / the pilot is on on the period's last day")
    pilots: list[PilotPeriod]
    rule_version: str | None = Field(description="期末适用积分规则 / in force on the last day")
    rule_label_zh: str = ""
    volunteers: list[VolunteerPoints] = Field(description="按期间积分排名 / ranked")


class LedgerEntry(BaseModel):
    on: date
    kind: str = Field(description="activity 活动积分 / award 奖励 / deduction 扣减")
    points: int
    ref: str = Field(description="活动或调整ID / the activity's or the adjustment's id")
    rule_version: str | None = Field(description="计算所依规则版本 / the version that computed it")
    reason: str = ""
    capped: bool = Field(False, description="受封顶限制 / cut by a cap")


class VolunteerLedger(BaseModel):
    village_code: str
    volunteer_id: str
    balance: int = Field(description="积分余额 / all points up to the period's last day")
    entries: list[LedgerEntry] = Field(description="期间明细 / the period's entries, by date")


# ------------------------------------------------------------------ reading


def _where(j: Jurisdiction, code: str, column: str) -> tuple[str, tuple[str, ...]]:
    """Rows counting within ``code`` in tree ``j`` (the reports' own selection)."""
    patterns, excluded = j.patterns(code), moved_out(j, code)
    where = " OR ".join([f"{column} LIKE %s"] * len(patterns))
    if excluded:
        where = f"({where}) AND {column} NOT IN ({', '.join(['%s'] * len(excluded))})"
    return f"({where})", (*patterns, *excluded)


def pilots(tx: Tx, j: Jurisdiction, code: str) -> dict[str, Periods]:
    """Each community's pilot periods within ``code``, by the code they were recorded under."""
    where, params = _where(j, code, "village_code")
    out: dict[str, Periods] = defaultdict(list)
    for r in tx.all(
        f"SELECT village_code, started_on, ended_on FROM points_pilot WHERE {where}"
        " ORDER BY village_code, started_on",
        params,
    ):
        end = date.fromisoformat(r["ended_on"]) if r["ended_on"] else None
        out[r["village_code"]].append((date.fromisoformat(r["started_on"]), end))
    return dict(out)


def ledger(tx: Tx, j: Jurisdiction, code: str, until: date, rules: Rules) -> list[Entry]:
    """Every points entry within ``code`` dated up to ``until``: earned at activities on days
    the community's pilot was on (whole months, so the monthly cap is counted right) and the
    manual adjustments, in date order."""
    periods = pilots(tx, j, code)
    if not periods:
        return []
    where, params = _where(j, code, "v.village_code")
    rows = tx.all(
        "SELECT a.activity_id, a.village_code, a.occurred_on, a.volunteers,"
        " a.volunteer_hours_centi, v.volunteer_id FROM activity_volunteer v"
        " JOIN activity a ON a.activity_id = v.activity_id"
        f" WHERE {where} AND v.occurred_on <= %s"
        " AND v.village_code IN (SELECT village_code FROM points_pilot)",
        (*params, until.isoformat()),
    )
    themes: dict[str, list[str]] = defaultdict(list)
    t_where, t_params = _where(j, code, "village_code")
    for r in tx.all(
        f"SELECT activity_id, theme FROM activity_theme WHERE {t_where} AND occurred_on <= %s"
        " AND village_code IN (SELECT village_code FROM points_pilot) ORDER BY theme",
        (*t_params, until.isoformat()),
    ):
        themes[r["activity_id"]].append(r["theme"])
    served = [
        Served(
            r["activity_id"],
            r["village_code"],
            r["volunteer_id"],
            day,
            int(r["volunteers"]),
            int(r["volunteer_hours_centi"]),
            tuple(themes.get(r["activity_id"], ())),
        )
        for r in rows
        if pilot_on(periods.get(r["village_code"], []), day := date.fromisoformat(r["occurred_on"]))
    ]
    entries = earned(rules, served)
    a_where, a_params = _where(j, code, "village_code")
    for r in tx.all(
        f"SELECT * FROM points_adjustment WHERE {a_where} AND on_date <= %s",
        (*a_params, until.isoformat()),
    ):
        points = int(r["points"])
        entries.append(
            Entry(
                r["village_code"],
                r["volunteer_id"],
                date.fromisoformat(r["on_date"]),
                points,
                "award" if points > 0 else "deduction",
                r["adjustment_id"],
                r["rule_version"],
                r["reason"],
            )
        )
    return sorted(entries, key=lambda e: (e.on, e.kind, e.ref))


# ------------------------------------------------------------------ figures


def summary(
    tx: Tx, j: Jurisdiction, code: str, start: date, end: date, rules: Rules
) -> PointsSummary:
    """The points figures of division ``code`` for ``start`` … ``end``, and of each division
    directly below it; each village's figures are counted once and the lines sum to the total."""
    periods = pilots(tx, j, code)
    entries = ledger(tx, j, code, end, rules)
    division = j.divisions[code]

    def figures_of(within: str) -> PointsFigures:
        mine = {v: p for v, p in periods.items() if _counts_in(j, v, within)}
        theirs = [e for e in entries if _counts_in(j, e.village_code, within)]
        return _figures_between(mine, theirs, start, end)

    lines = [
        PointsLine(
            code=child,
            name=j.divisions[child].name,
            tier=str(j.divisions[child].tier),
            figures=figures_of(child),
        )
        for child in j.children.get(code, [])
        if division.tier is not Tier.VILLAGE
    ]
    return PointsSummary(
        division_code=code,
        name=division.name,
        period_from=start,
        period_to=end,
        figures=figures_of(code),
        lines=lines,
    )


def _counts_in(j: Jurisdiction, village_code: str, within: str) -> bool:
    """Whether rows recorded under ``village_code`` count within ``within`` in tree ``j``
    (through the division it was merged into, if it was)."""
    return within in _ancestors(j, j.resolve(village_code))


def _ancestors(j: Jurisdiction, code: str) -> set[str]:
    out = {code}
    division = j.divisions.get(code)
    while division is not None and division.parent:
        out.add(division.parent)
        division = j.divisions.get(division.parent)
    return out


def _figures_between(
    periods: dict[str, Periods], entries: list[Entry], start: date, end: date
) -> PointsFigures:
    inside = [e for e in entries if start <= e.on <= end]
    return PointsFigures(
        communities_piloting=sum(1 for p in periods.values() if overlaps(p, start, end)),
        volunteers_awarded=len({(e.village_code, e.volunteer_id) for e in inside if e.points > 0}),
        awarded=sum(e.points for e in inside if e.points > 0),
        deducted=-sum(e.points for e in inside if e.points < 0),
    )


# ------------------------------------------------------------------ a community


def community(
    tx: Tx, j: Jurisdiction, code: str, start: date, end: date, rules: Rules
) -> CommunityPoints:
    """A community's ranking for ``start`` … ``end``: every volunteer with an entry up to the
    end, by points in the period (ties share a rank, then by number), with the balance."""
    periods = [p for v, ps in pilots(tx, j, code).items() if j.resolve(v) == code for p in ps]
    entries = [e for e in ledger(tx, j, code, end, rules) if j.resolve(e.village_code) == code]
    by: dict[str, dict[str, int]] = defaultdict(
        lambda: {"earned": 0, "awarded": 0, "deducted": 0, "balance": 0}
    )
    for e in entries:
        row = by[e.volunteer_id]
        row["balance"] += e.points
        if e.on < start:
            continue
        key = {"activity": "earned", "award": "awarded", "deduction": "deducted"}[e.kind]
        row[key] += abs(e.points)
    net = {v: r["earned"] + r["awarded"] - r["deducted"] for v, r in by.items()}
    ranked = sorted(by, key=lambda v: (-net[v], v))
    ranks = competition_ranks([net[v] for v in ranked])
    volunteers = [
        VolunteerPoints(volunteer_id=v, points=net[v], rank=rank or 0, **by[v])
        for v, rank in zip(ranked, ranks, strict=True)
    ]
    try:
        version = rules.version_on(POINTS, end)
    except LookupError:
        version = None
    return CommunityPoints(
        village_code=code,
        name=j.divisions[code].name,
        period_from=start,
        period_to=end,
        on=pilot_on(periods, end),
        pilots=[PilotPeriod(started_on=s, ended_on=e) for s, e in sorted(periods)],
        rule_version=version.version if version else None,
        rule_label_zh=version.label_zh if version else "",
        volunteers=volunteers,
    )


def volunteer_ledger(
    tx: Tx, j: Jurisdiction, code: str, volunteer_id: str, start: date, end: date, rules: Rules
) -> VolunteerLedger:
    """One volunteer's entries in the period, each naming its rule version, and the balance."""
    mine = [
        e
        for e in ledger(tx, j, code, end, rules)
        if j.resolve(e.village_code) == code and e.volunteer_id == volunteer_id
    ]
    return VolunteerLedger(
        village_code=code,
        volunteer_id=volunteer_id,
        balance=sum(e.points for e in mine),
        entries=[
            LedgerEntry(
                on=e.on,
                kind=e.kind,
                points=e.points,
                ref=e.ref,
                rule_version=e.rule_version,
                reason=e.reason,
                capped=e.capped,
            )
            for e in mine
            if e.on >= start
        ],
    )
