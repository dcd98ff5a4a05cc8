"""A generated district ledger (issue 14 item 8): years 2016–2021 of a district's organisations,
activities with themes and mediation cases, and five rounds of micro-venture funding, as the
rows a county's clerks would type into the import template (ADR 0020).

The district is seed 001's county (``seed001_county.csv``: 12 townships, 124 villages and
communities). Everything is drawn from a seeded ``random.Random``, so the same scale gives the
same ledger. The rows are plain dictionaries keyed by the template's Chinese headers, and the
generator also keeps them as plain Python values (:class:`Org`, :class:`Act`, :class:`Award`)
from which the test computes the expected figures without Sanji's code.

Shapes, chosen so that every row is valid and the as-of date cuts through the history:

- organisations founded 2015–2021; 85% filed (application, filing), 8% registered directly,
  7% filed then registered up to two years later (some after the report date);
- 0–4 activities each, between the organisation's entry and 2021-06-30, each with 0–2 themes of
  the vocabulary in force on its date (by Chinese name) and, for 矛盾调解, cases taken/resolved;
- micro-venture calls 2016–2020, each answered by up to 15 registered organisations; most
  approved (amount ≤ requested), each award disbursed in one tranche.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from services.ledger_import.sheets import FIELDS
from services.ledger_import.template import write_xlsx
from shared.kernel import themes
from shared.kernel.jurisdiction import Jurisdiction
from shared.kernel.rules import load_rules
from tests.helpers import usci

DISTRICT_PREFIX = "330681"  # seed 001's county: its USCIs carry its division
FIRST = date(2016, 1, 4)
LAST = date(2021, 6, 30)
ROUNDS = range(2016, 2021)


@dataclass
class Org:
    key: str
    village: str
    field: str
    founded: date
    applied: date | None = None
    filed: date | None = None
    registered: date | None = None
    usci: str | None = None

    @property
    def entered(self) -> date:
        return min(d for d in (self.filed, self.registered) if d is not None)


@dataclass
class Act:
    key: str
    org: Org
    day: date
    participants: int
    themes: list[str]  # codes
    theme_names: list[str]  # as typed in the ledger
    cases_taken: int | None = None
    cases_resolved: int | None = None


@dataclass
class Award:
    key: str
    org: Org
    round: int
    requested: int
    reviewed: date
    amount: int | None  # None: not approved
    disbursed: int = 0


@dataclass
class District:
    orgs: list[Org] = field(default_factory=list)
    acts: list[Act] = field(default_factory=list)
    awards: list[Award] = field(default_factory=list)


def _day(start: date, rng: random.Random, span: int) -> date:
    return start + timedelta(days=rng.randint(0, span))


def generate(j: Jurisdiction, orgs: int, seed: int = 14_08) -> District:
    rng = random.Random(seed)
    rules = load_rules()
    villages = [v.code for v in j.villages()]
    fields = list(FIELDS)
    d = District()
    for i in range(orgs):
        founded = _day(date(2015, 1, 1), rng, 6 * 365)
        o = Org(f"ZZ-{i:05d}", rng.choice(villages), rng.choice(fields), founded)
        start = max(founded, FIRST)
        kind = rng.random()
        if kind < 0.93:
            o.applied = start + timedelta(days=rng.randint(5, 60))
            o.filed = o.applied + timedelta(days=rng.randint(3, 20))
        if kind >= 0.85:
            base = o.filed if o.filed is not None else start
            o.registered = base + timedelta(days=rng.randint(30, 700))
            o.usci = usci(i + 1, rng.choice("12"), DISTRICT_PREFIX)
        if o.entered > LAST:
            continue  # founded too late for the ledger's years
        if o.registered is not None and o.registered > LAST:
            o.registered, o.usci = None, None
        d.orgs.append(o)
        for _ in range(rng.randint(0, 4)):
            day = _day(o.entered, rng, (LAST - o.entered).days)
            _, in_force = themes.in_force(rules, day)
            chosen = rng.sample(in_force, rng.choice((0, 1, 1, 2)))
            act = Act(
                f"HD-{len(d.acts):06d}",
                o,
                day,
                rng.randint(3, 80),
                [t.code for t in chosen],
                [t.zh for t in chosen],
            )
            if "mediation" in act.themes:
                act.cases_taken = rng.randint(0, 6)
                act.cases_resolved = rng.randint(0, act.cases_taken)
            d.acts.append(act)
    for year in ROUNDS:
        applied = date(year, 4, 1)
        eligible = [o for o in d.orgs if o.registered is not None and o.registered <= applied]
        for o in rng.sample(eligible, min(15, len(eligible))):
            requested = rng.randint(5, 30) * 1000
            approved = rng.random() < 0.9
            amount = rng.randint(requested // 2000, requested // 1000) * 1000 if approved else None
            award = Award(f"XM-{year}-{o.key}", o, year, requested, date(year, 5, 20), amount)
            award.disbursed = amount * 6 // 10 if amount else 0
            d.awards.append(award)
    return d


def sheets(d: District) -> dict[str, list[dict[str, Any]]]:
    """The ledger's rows by sheet, keyed by the template's headers."""
    orgs = [
        {
            "组织编号": o.key,
            "组织名称": f"{o.village[-6:]}第{o.key[3:]}号{o.field}队",
            "村社区代码": o.village,
            "服务领域": o.field,
            "成立日期": o.founded,
            "申请日期": o.applied,
            "备案日期": o.filed,
            "统一社会信用代码": o.usci,
            "登记日期": o.registered,
        }
        for o in d.orgs
    ]
    acts = [
        {
            "活动编号": a.key,
            "组织编号": a.org.key,
            "活动日期": a.day,
            "活动领域": a.org.field,
            "主题": "、".join(a.theme_names) or None,
            "参与人数": a.participants,
            "受理纠纷数": a.cases_taken,
            "调解成功数": a.cases_resolved,
        }
        for a in d.acts
    ]
    calls = [
        {
            "项目类别": "微公益创投",
            "批次": str(year),
            "名称": f"{year}年微公益创投",
            "预算": "1000000",
            "发布日期": date(year, 3, 1),
            "截止日期": date(year, 4, 30),
        }
        for year in ROUNDS
    ]
    projects = [
        {
            "项目编号": w.key,
            "组织编号": w.org.key,
            "项目类别": "微公益创投",
            "批次": str(w.round),
            "项目名称": f"{w.round}年{w.org.key}服务项目",
            "申报金额": w.requested,
            "申报日期": date(w.round, 4, 1),
            "评审日期": w.reviewed,
            "评审结果": "立项" if w.amount is not None else "不予立项",
            "资助金额": w.amount,
            "理由": None if w.amount is not None else "评审未通过",
        }
        for w in d.awards
    ]
    tranches = [
        {
            "项目编号": w.key,
            "拨付批次": "首期",
            "金额": w.disbursed,
            "拨付日期": date(w.round, 6, 20),
        }
        for w in d.awards
        if w.amount is not None
    ]
    return {"组织": orgs, "活动": acts, "资金征集": calls, "资助项目": projects, "拨付": tranches}


def write_ledger(d: District, path: Path) -> Path:
    """The template filled as a clerk would: rows under the template's own headers."""
    wb = load_workbook(write_xlsx(path.with_name("模板.xlsx")))
    for name, rows in sheets(d).items():
        ws = wb[name]
        headers = [c.value for c in ws[1]]
        for row in rows:
            ws.append([row.get(h) for h in headers])  # dates as Excel date cells
    wb.save(path)
    return path
