"""A realistic demo county history, generated from a fixed seed through the tier applications.

Every record goes through the same command methods operators use (guards included), with the
demo operator of the acting division and a past effective date (China time), so the demo
exercises the platform instead of writing rows behind its back. About 18 months ending today:
village applications, township filing decisions and charters, county registrations (new and
upgraded filed groups), annual reports, ratings, funding with disbursements, service platforms,
abnormal-list entries, inspections, exits, and activities (governance-themed ones before an
organisation is graded or funded, as the commendation rule asks),
with about 15% of the groups silent for the last 12 months (the zombie list).
"""

from __future__ import annotations

import json
import time as clock
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from random import Random
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from services.demo_accounts import EVALUATOR_USERNAME, demo_operators
from shared.capabilities.commendations.application import FAMILY as COMMENDATION
from shared.capabilities.commendations.application import act_of_programme
from shared.capabilities.sampling.application import draw
from shared.kernel.domain import CHINA, Actor, Meta
from shared.kernel.jurisdiction import Area, Division, Jurisdiction, Tier
from shared.kernel.rules import RuleNotInForce, months_before
from shared.kernel.themes import in_force as themes_in_force
from shared.kernel.usci import CHARSET, check_character

SPAN_DAYS = 540  # about a year and a half of history
ZOMBIE_SHARE = 0.15
ESTABLISHED_PER_TOWNSHIP = 3  # registered before the history: annual reports fall due
GROUPS = {  # field → group name endings (名称后缀)
    "services": [
        "为老服务队",
        "夕阳红志愿服务队",
        "助残服务队",
        "巾帼志愿服务队",
        "青年志愿服务队",
    ],
    "self_governance": ["居民议事会", "乡贤参事会", "红白理事会", "楼道自治小组", "村民议事厅"],
    "culture_sports": ["广场舞队", "越剧社", "太极拳队", "书画社", "腰鼓队", "合唱团", "读书会"],
    "safety": ["平安巡防队", "义务消防队", "护河队", "交通劝导队", "红袖章巡逻队"],
    "charity": ["慈善互助会", "爱心帮扶小组", "公益服务社", "微心愿工作室"],
    "mediation": ["老娘舅调解室", "和事佬调解团", "矛盾调处工作室", "邻里调解小组"],
    "rural_revitalisation": ["农技服务队", "乡村振兴促进会", "茶农互助社", "电商帮扶队"],
    "mutual_aid": ["邻里互助会", "互助养老会", "银龄互助社", "四点半课堂志愿队"],
    "other": ["环保志愿队", "垃圾分类督导队", "新时代文明实践队", "家长学校"],
}
WEIGHTS = {  # field weights for urban communities / rural villages
    Area.URBAN: [20, 10, 25, 10, 8, 8, 0, 12, 7],
    Area.RURAL: [15, 12, 18, 10, 6, 10, 16, 9, 4],
}
REGISTERED = {  # USCI category (社会团体, 民办非企业单位, 基金会) → name endings, field
    "1": {"老年人协会": "services", "志愿者协会": "services", "文体协会": "culture_sports"},
    "2": {
        "居家养老服务中心": "services",
        "社工服务中心": "mutual_aid",
        "调解服务中心": "mediation",
    },
    "3": {"慈善基金会": "charity"},
}
REJECTIONS = ["材料不全，负责人信息缺失", "与已备案组织重复", "活动内容超出社区社会组织范围"]
PARTY_KINDS = ["own", "joint", "joint"]  # 单独建立 / 联合党支部
PROGRAMMES = ["micro_venture", "micro_venture", "special_fund"]
YEARLY_BUDGETS = {"micro_venture": 200000, "purchase_of_services": 500000, "special_fund": 100000}
# (department as the purchasers list takes it, the name when that is 其他); ADR 0021 addendum.
PURCHASERS: tuple[tuple[str, str | None], ...] = (
    ("区民政局", None),
    ("卫生健康局", None),
    ("其他", "区司法局"),
    ("区残联", None),
)
# The demo evaluator's registration number (ADR 0026: a USCI or another identifier).
DEMO_EVALUATOR_USCI = "330699-PG-001"
PROJECTS = ["暖心", "邻里守望", "银龄关爱", "共富工坊", "一老一小"]
INSPECTION_RESULTS = ["compliant", "rectification_ordered", "violation"]
INSPECTORS = ["王建国", "李秀英", "张伟", "陈静", "刘洋", "赵敏", "周杰", "吴芳"]


@dataclass
class Org:
    id: UUID
    village: Division
    name: str
    field: str
    applied: date | None = None  # filing application (None: registered directly)
    entered: date | None = None  # filed or registered: active from this day
    registered: date | None = None
    ended: date | None = None  # filing cancelled or deregistered
    zombie: bool = False


class DemoHistory:
    def __init__(self, platform: Any, seed: int) -> None:
        self.platform, self.seed, self.rng = platform, seed, Random(seed)
        # Themes and mediation cases (ADR 0019) draw from a generator of their own, so the
        # rest of the demo county is the same as before they existed.
        self.theme_rng = Random(f"{seed}/themes")
        # Volunteers listed on activities (ADR 0021) likewise: their own generator.
        self.volunteer_rng = Random(f"{seed}/volunteers")
        # The governance work graded and funded organisations show (ADR 0024 addendum) too.
        self.governance_rng = Random(f"{seed}/governance")
        # And the townships' random inspection draws (ADR 0010), so the scorecard's sampling
        # completion is a number rather than 不适用.
        self.sampling_rng = Random(f"{seed}/sampling")
        self.registered: set[tuple[str, str]] = set()  # (village, volunteer number)
        self.j: Jurisdiction = platform.jurisdiction
        self.village = platform.tiers[Tier.VILLAGE].app
        self.township = platform.tiers[Tier.TOWNSHIP].app
        self.county = platform.tiers[Tier.COUNTY].app
        self.operators = {a.division: a for a in demo_operators(self.j)}
        self.today = datetime.now(CHINA).date()
        self.start = self.today - timedelta(days=SPAN_DAYS)
        self.cutoff = months_before(self.today, 12)  # zombie window (rules: 12 months)
        self.orgs: list[Org] = []
        self.counts: Counter[str] = Counter()
        self._n = 0

    # ------------------------------------------------------------ helpers

    def meta(
        self, tier: Tier, day: date, where: Org | Division | None = None, keyed: bool = True
    ) -> Meta:
        """The demo operator of ``tier`` over ``where`` acting at 09:00 China time on ``day``.

        The idempotency key makes ids the same for a seed and a re-run after a crash safe;
        activities (thousands, never re-run) skip it and so the existence read it costs."""
        village = where.village if isinstance(where, Org) else where
        code = village.code if village else self.j.county.code
        division = {Tier.VILLAGE: code, Tier.TOWNSHIP: code[:9] + "000"}.get(tier, code)
        self._n += 1
        key = f"demo-{self.seed}-{self._n}"
        return Meta(
            actor=self.operators[division],
            effective_at=datetime.combine(day, time(9), CHINA),
            correlation_id=str(uuid5(NAMESPACE_URL, f"sanji:{key}")),
            idempotency_key=key if keyed else None,
        )

    def day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def last_day(self, org: Org) -> date:
        """The last day ``org`` is active (up to today)."""
        return org.ended - timedelta(days=1) if org.ended else self.today

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n

    def progress(self, what: str, i: int, n: int, every: int = 100) -> None:
        if i % every == 0 or i == n:
            print(f"[demo] {what} {i}/{n}", flush=True)

    # ------------------------------------------------------------ village and township

    def applications(self) -> None:
        plan = []
        for v in self.j.villages():
            low, high = (15, 25) if v.area is Area.URBAN else (6, 12)
            plan += [v] * self.rng.randint(low, high)
        for i, v in enumerate(plan, 1):
            field = self.rng.choices(list(GROUPS), WEIGHTS[v.area or Area.RURAL])[0]
            name = self.group_name(v, field)
            # A filing campaign in the first four months, then a steady trickle.
            until = self.start + timedelta(days=120) if self.rng.random() < 0.4 else self.today
            applied = self.day_between(self.start, until)
            founded = applied - timedelta(days=self.rng.randint(0, 900))
            meta = self.meta(Tier.VILLAGE, applied, v)
            category = "village_sage_council" if "乡贤参事" in name else "general"
            result = self.village.apply_for_filing(
                v.code, name, field, founded, meta, category=category
            )
            self.orgs.append(Org(result.id, v, name, field, applied=applied))
            self.progress("village applications", i, len(plan))

    def group_name(self, v: Division, field: str) -> str:
        base, taken = v.name + self.rng.choice(GROUPS[field]), {o.name for o in self.orgs}
        return next(
            base + s for s in ["", "二队", "三队", "四队", "五队", "六队"] if base + s not in taken
        )

    def decisions(self) -> None:
        for org in self.orgs:
            assert org.applied is not None
            day = org.applied + timedelta(days=self.rng.randint(1, 10))
            if day > self.today:
                self.count("pending_applications")
                continue
            meta = self.meta(Tier.TOWNSHIP, day, org)
            if self.rng.random() < 0.04:
                self.township.decide_filing(org.id, False, self.rng.choice(REJECTIONS), meta)
                self.count("rejected")
                continue
            self.township.decide_filing(org.id, True, "", meta)
            org.entered = day
            self.count("filed")
            if self.rng.random() < 0.88:  # the township approves a filed group's charter
                charter = self.day_between(day, min(day + timedelta(days=45), self.today))
                party, integrity = self.rng.random() < 0.94, self.rng.random() < 0.88
                meta = self.meta(Tier.TOWNSHIP, charter, org)
                self.township.approve_charter(org.id, party, integrity, meta)
                self.count("charters")
        print(f"[demo] township filing decisions: {self.counts['filed']} filed", flush=True)

    # ------------------------------------------------------------ county

    def registrations(self) -> None:
        villages = self.j.villages()
        weights = [3 if v.area is Area.URBAN else 1 for v in villages]
        for _ in range(round(0.07 * len(self.orgs))):
            v = self.rng.choices(villages, weights)[0]
            kind = self.rng.choices("123", [5, 9, 1])[0]
            ending, field = self.rng.choice(list(REGISTERED[kind].items()))
            name = f"示范县{v.name}{ending}"
            day = self.day_between(self.start, self.today - timedelta(days=7))
            if any(o.name == name for o in self.orgs):
                continue
            meta = self.meta(Tier.COUNTY, day)
            result = self.county.register(self.usci(kind), name, field, v.code, None, meta)
            self.orgs.append(Org(result.id, v, name, field, entered=day, registered=day))
            self.count("registered_new")
        old = self.today - timedelta(days=150)
        filed = [o for o in self.orgs if o.applied and o.entered and o.entered < old]
        for org in self.rng.sample(filed, min(len(filed), round(0.04 * len(self.orgs)))):
            assert org.entered is not None
            day = self.day_between(org.entered + timedelta(days=90), self.today)
            usci, meta = self.usci(self.rng.choice("12")), self.meta(Tier.COUNTY, day)
            self.county.register(usci, org.name, org.field, None, org.id, meta)
            org.registered = day
            self.count("registered_upgraded")
        new, upgraded = self.counts["registered_new"], self.counts["registered_upgraded"]
        print(f"[demo] county registrations: {new} new, {upgraded} upgraded", flush=True)

    def usci(self, kind: str, rng: Random | None = None) -> str:
        """A valid civil-affairs code registered in this county: 5, category, 330699, MJ…"""
        body = "5" + kind + self.j.county.code[:6] + "MJ"
        body += "".join((rng or self.rng).choice(CHARSET) for _ in range(7))
        return body + check_character(body)

    def established(self) -> None:
        """Organisations every township registered before the demo's history begins (a real
        county's older ones): without them nothing would be due for an annual report in the
        assessment year before this one (the report year is the year before that), and every
        township's annual-report rate on last year's scorecard would be not assessable
        (ADR 0025). Registered in the two years before the year before last; their own
        generator, so the rest of the demo county draws as before."""
        rng = Random(f"{self.seed}/established")
        first, last = date(self.today.year - 3, 1, 1), date(self.today.year - 2, 12, 31)
        last = min(last, self.start - timedelta(days=1))
        for township in self.j.townships():
            villages = [v for v in self.j.villages() if v.parent == township.code]
            for _ in range(ESTABLISHED_PER_TOWNSHIP):
                v = rng.choice(villages)
                kind = rng.choices("123", [5, 9, 1])[0]
                ending, field = rng.choice(list(REGISTERED[kind].items()))
                name = f"示范县{v.name}{ending}"
                if any(o.name == name for o in self.orgs):
                    continue
                day = first + timedelta(days=rng.randint(0, max(0, (last - first).days)))
                meta = self.meta(Tier.COUNTY, day)
                result = self.county.register(self.usci(kind, rng), name, field, v.code, None, meta)
                self.orgs.append(Org(result.id, v, name, field, entered=day, registered=day))
                self.count("registered_established")
        print(f"[demo] established: {self.counts['registered_established']}", flush=True)

    def choose_zombies(self) -> None:
        """~15% of all groups: established before the window, then silent; a few of them exit."""
        old = [o for o in self.orgs if o.entered and o.entered < self.cutoff - timedelta(days=30)]
        for org in self.rng.sample(old, min(len(old), round(ZOMBIE_SHARE * len(self.orgs)))):
            org.zombie = True
        zombies = [o for o in old if o.zombie]
        for org in self.rng.sample(zombies, min(len(zombies), 6)):
            org.ended = self.today - timedelta(days=self.rng.randint(3, 60))

    def county_follow_up(self) -> None:
        for org in (o for o in self.orgs if o.registered):
            reg, last, r = org.registered, self.last_day(org), self.rng
            assert reg is not None
            if r.random() < 0.9:
                meta = self.meta(Tier.COUNTY, self.day_between(reg, last))
                self.county.approve_charter(org.id, r.random() < 0.96, r.random() < 0.9, meta)
                self.count("charters")
            if r.random() < 0.7:
                meta = self.meta(Tier.COUNTY, self.day_between(reg, last))
                self.county.set_up_party_organisation(org.id, r.choice(PARTY_KINDS), meta)
                self.count("party_organisations")
            for year in range(reg.year, self.today.year):  # due by 31 May of the next year
                if date(year + 1, 5, 31) <= last and r.random() < 0.85:
                    day = self.day_between(date(year + 1, 3, 1), date(year + 1, 5, 31))
                    self.county.file_annual_report(org.id, year, self.meta(Tier.COUNTY, day))
                    self.count("annual_reports")
            if r.random() < 0.5:
                grade = r.choices([None, 2, 3, 4, 5], [4, 1, 3, 2, 1])[0]
                day = self.day_between(reg, last)
                meta = self.meta(Tier.COUNTY, day)
                if grade is not None and not self.governance_work(org, day, "grading"):
                    grade = None  # restricted in grading: a credit rating and stars only
                self.county.rate(org.id, r.choice("AAABBC"), grade, None, r.randint(1, 5), meta)
                self.count("ratings")

    def funding(self) -> None:
        """Up to 8 awards a round; filed groups are funded through a registered host."""
        for year in (self.today.year - 1, self.today.year):
            day = date(year, 6, 18)
            if not self.start <= day <= self.today:
                continue
            live = [o for o in self.orgs if o.entered and o.entered <= day and not o.zombie]
            hosts = [o.id for o in live if o.registered and o.registered <= day]
            for org in self.rng.sample(live, min(len(live), 8)):
                direct = org.registered is not None and org.registered <= day
                if not direct and not hosts:
                    continue
                host = None if direct else self.rng.choice(hosts)
                programme = "purchase_of_services" if direct else self.rng.choice(PROGRAMMES)
                amount = Decimal(self.rng.randint(5, 30) * (5000 if direct else 1000))
                project = f"{org.name}{self.rng.choice(PROJECTS)}项目"
                meta = self.meta(Tier.COUNTY, day)
                # The purchasing department, picked without the generator so the rest of the
                # demo county stays as it was (ADR 0021).
                purchaser, other = (
                    PURCHASERS[len(project) % len(PURCHASERS)]
                    if programme == "purchase_of_services"
                    else (None, None)
                )
                if not self.governance_work(org, day, act_of_programme(programme)):
                    continue
                award = self.county.award_funding(
                    org.id,
                    programme,
                    str(year),
                    project,
                    amount,
                    host,
                    meta,
                    purchaser=purchaser,
                    purchaser_other=other,
                )
                self.count("funding_awards")
                # 60% a month after the award, the rest after the final evaluation (~6 months).
                for tranche, share, after in (
                    ("首期", Decimal("0.6"), 30),
                    ("尾款", Decimal("0.4"), 190),
                ):
                    paid = day + timedelta(days=after)
                    if paid <= self.today:
                        meta = self.meta(Tier.COUNTY, paid)
                        self.county.disburse(award.id, tranche, amount * share, meta)
                        self.count("disbursements")
            # Each programme's budget for the year, set in January (ADR 0021).
            budgeted = date(year, 1, 10)
            if self.start <= budgeted:
                for programme, yuan in YEARLY_BUDGETS.items():
                    meta = self.meta(Tier.COUNTY, budgeted)
                    self.county.set_programme_budget(programme, year, Decimal(yuan), meta)
                    self.count("programme_budgets")

    def platforms(self) -> None:
        """The three-tier platform system: a county centre, a platform per township, stations
        in most villages, incubators in some urban communities."""
        opened = self.start + timedelta(days=10)
        county = self.j.county
        meta = self.meta(Tier.COUNTY, opened, county)
        self.county.open_platform(
            "county_centre", county.code, f"{county.name}社会组织党群服务中心", meta
        )
        for t in self.j.townships():
            meta = self.meta(Tier.TOWNSHIP, opened, t)
            self.township.open_platform(
                "township_platform", t.code, f"{t.name}社会组织服务平台", meta
            )
        for v in self.j.villages():
            if self.rng.random() < 0.8:
                day = self.day_between(opened, self.today)
                meta = self.meta(Tier.VILLAGE, day, v)
                self.village.open_platform(
                    "village_station", v.code, f"{v.name}社会组织服务站", meta
                )
                self.count("village_stations")
            if v.area is Area.URBAN and self.rng.random() < 0.4:
                day = self.day_between(opened, self.today)
                meta = self.meta(Tier.TOWNSHIP, day, v)
                self.township.open_platform("incubator", v.code, f"{v.name}社会组织孵化园", meta)
                self.count("incubators")

    def credit_lists(self) -> None:
        """Registered organisations that missed last year's annual report go on the abnormal
        list on 1 July; about half rectify within two months and leave it."""
        year = self.today.year - 1
        listed_on = date(self.today.year, 7, 1)
        if listed_on > self.today:
            listed_on, year = date(self.today.year - 1, 7, 1), year - 1
        for org in (o for o in self.orgs if o.registered):
            assert org.registered is not None
            if org.registered > date(year, 12, 31) or self.last_day(org) < listed_on:
                continue
            if self.county.find(org.id).annual_reports & {year} and not org.zombie:
                continue
            meta = self.meta(Tier.COUNTY, listed_on)
            reason = "通过登记的住所无法联系" if org.zombie else f"未按时报送{year}年度年报"
            self.county.enter_credit_list(org.id, "abnormal", reason, meta)
            self.count("abnormal_listed")
            left = listed_on + timedelta(days=self.rng.randint(20, 60))
            if self.rng.random() < 0.5 and left <= self.last_day(org):
                meta = self.meta(Tier.COUNTY, left)
                self.county.leave_credit_list(org.id, "abnormal", "已补报年报，核实整改", meta)
                self.count("abnormal_removed")

    def inspections_and_exits(self) -> None:
        seasoned = [
            o for o in self.orgs if o.entered and o.entered < self.today - timedelta(days=30)
        ]
        for org in self.rng.sample(seasoned, min(len(seasoned), 30)):
            assert org.entered is not None
            day = self.day_between(org.entered + timedelta(days=30), self.last_day(org))
            result = self.rng.choices(INSPECTION_RESULTS, [12, 6, 2])[0]
            findings = "" if result == "compliant" else "台账不全，活动记录缺失"
            inspectors, meta = self.rng.sample(INSPECTORS, 2), self.meta(Tier.TOWNSHIP, day, org)
            done = self.township.record_inspection(org.id, result, findings, inspectors, meta)
            self.count("inspections")
            self.count(f"inspections_{result}")
            fixed = day + timedelta(days=self.rng.randint(7, 30))
            if result == "rectification_ordered" and fixed <= self.last_day(org):
                meta = self.meta(Tier.TOWNSHIP, fixed, org)
                self.township.complete_rectification(done.id, meta)
                self.count("rectifications_completed")
        for org in (o for o in self.orgs if o.ended):
            assert org.ended is not None
            if org.registered:
                meta = self.meta(Tier.COUNTY, org.ended)
                self.county.deregister(org.id, "长期未开展活动，自愿注销", meta)
                self.count("deregistered")
            else:
                meta = self.meta(Tier.TOWNSHIP, org.ended, org)
                self.township.cancel_filing(org.id, "僵尸组织清理，注销备案", meta)
                self.count("filings_cancelled")

    def sampling(self) -> None:
        """Each township draws its random inspections (抽查) for last year on 1 November and
        for this year on 1 June (the demo's history is short: groups filed by then), and
        inspects most of those drawn: last year's draws about three in four, this year's about
        two in five, the rest left for a person trying the console."""
        r, by_id = self.sampling_rng, {str(o.id): o for o in self.orgs}
        draws: list[tuple[UUID, list[str], date, float]] = []
        last_year, this_year = self.today.year - 1, self.today.year
        for day, share in ((date(last_year, 11, 1), 0.75), (date(this_year, 6, 1), 0.4)):
            if not self.start < day < self.today - timedelta(days=30):
                continue
            for township in self.j.townships():
                meta = self.meta(Tier.TOWNSHIP, day, township)
                seed = f"demo-{self.seed}-{township.code}-{day.year}"
                drawn = draw(self.township, township.code, day.year, seed, None, meta)
                draws.append((drawn.id, drawn.extra["selected"], day, share))
                self.count("sample_draws")
        self.platform.drain()  # an inspection for a draw is checked against the read model
        for draw_id, selected, day, share in draws:
            for org in (by_id[i] for i in selected if i in by_id):
                last = min(self.last_day(org), date(day.year, 12, 31))
                if r.random() >= share or last <= day:
                    continue
                on = day + timedelta(days=r.randint(1, (last - day).days))
                result = r.choices(INSPECTION_RESULTS, [12, 6, 2])[0]
                findings = "" if result == "compliant" else "台账不全，活动记录缺失"
                self.township.record_inspection(
                    org.id, result, findings, r.sample(INSPECTORS, 2),
                    self.meta(Tier.TOWNSHIP, on, org), draw_id=draw_id,
                )  # fmt: skip
                self.count("sampled_inspections")

    def governance_work(self, org: Org, act_day: date, act: str) -> bool:
        """Whether ``org`` may be graded or funded on ``act_day`` under the commendation rule
        in force (ADR 0024 addendum), which restricts those acts to organisations with a
        governance-themed activity in the months before. A silent group (a zombie) has done
        none: no. Any other reports one such activity (矛盾调解, 平安建设 …) on a day of the
        window, drained so that the county sees it: yes. Its own generator and ids, so the
        rest of the demo county stays as it was."""
        try:
            rule = self.county.rules.version_on(COMMENDATION, act_day)
        except RuleNotInForce:
            return True
        if act not in rule.parameters.get("restricts", ()):
            return True
        if org.zombie or org.entered is None or org.entered > act_day:
            return False
        r = self.governance_rng
        window = months_before(act_day, int(rule.parameters.get("window_months", 12)))
        day = max(org.entered, window + timedelta(days=1))
        day += timedelta(days=r.randint(0, (act_day - day).days))
        try:
            _, offered = themes_in_force(self.village.rules, day)
        except RuleNotInForce:
            offered = ()
        themes = [t.code for t in offered if t.code in rule.parameters["governance_themes"]]
        if not themes:
            return False
        participants = r.randint(8, 60)
        volunteers = r.randint(1, max(1, participants // 4))
        meta = Meta(
            actor=self.operators[org.village.code],
            effective_at=datetime.combine(day, time(9), CHINA),
            correlation_id=str(uuid5(NAMESPACE_URL, f"sanji:demo-{self.seed}-gov-{org.id}-{act}")),
        )
        self.village.report_activity(
            org.id, day, org.field, participants, volunteers, volunteers, Decimal(volunteers * 2),
            r.randint(10, 200), Decimal(0), meta, themes=[r.choice(themes)],
        )  # fmt: skip
        self.platform.drain()
        self.count("governance_activities")
        return True

    # ------------------------------------------------------------ activities

    def activity_days(self, org: Org) -> list[date]:
        assert org.entered is not None
        # An organisation older than the history reports activities within the history only.
        entered, last = max(org.entered, self.start), self.last_day(org)
        if org.zombie:  # set up for the assessment, then (almost) never active
            last = min(last, self.cutoff)
            n = self.rng.choice([0, 0, 1, 2, 3])
            return sorted(self.day_between(entered, last) for _ in range(n))
        per_month = min(5.0, self.rng.lognormvariate(0.0, 0.6))
        n = max(1, round(per_month * ((last - entered).days + 1) / 30.4))
        days = [self.day_between(entered, last) for _ in range(n)]
        if entered <= self.cutoff and max(days) <= self.cutoff:  # active: recently too
            days.append(self.day_between(self.cutoff + timedelta(days=1), last))
        return sorted(days)

    def activities(self) -> None:
        plan = [(o, d) for o in self.orgs if o.entered for d in self.activity_days(o)]
        for i, (org, day) in enumerate(plan, 1):
            meta = self.meta(Tier.VILLAGE, day, org, keyed=False)
            figures = {**self.figures(org), **self.themes(org, day)}
            figures |= self.served(org, day, int(figures["volunteers"]))
            self.village.report_activity(org.id, day, meta=meta, **figures)
            self.progress("village activities", i, len(plan), every=500)
        self.count("activities", len(plan))

    def figures(self, org: Org) -> dict[str, Any]:
        r = self.rng
        participants = r.randint(6, 80)
        volunteers = r.randint(1, max(1, participants // 3))
        services = volunteers * r.randint(1, 3)
        return {
            "field": org.field if r.random() < 0.85 else r.choice(list(GROUPS)),
            "participants": participants,
            "volunteers": volunteers,
            "volunteer_services": services,
            "volunteer_hours": Decimal(services * r.randint(2, 8)) / 2,
            "beneficiaries": r.randint(0, 300),
            "money_spent": Decimal(r.choice([0, 0, r.randint(50, 300000)])) / 100,
        }

    def served(self, org: Org, day: date, volunteers: int) -> dict[str, Any]:
        """About two activities in five list one to three volunteers of the village's register
        (twenty numbers a village), entered in the register when first listed (ADR 0021)."""
        r = self.volunteer_rng
        if r.random() >= 0.4:
            return {}
        numbers = r.sample([f"V{n:03d}" for n in range(1, 21)], min(volunteers, r.randint(1, 3)))
        village = org.village.code
        for number in numbers:
            if (village, number) not in self.registered:
                self.village.register_volunteer(village, number, self.meta(Tier.VILLAGE, day, org))
                self.registered.add((village, number))
                self.count("volunteers_registered")
        return {"volunteer_ids": numbers}

    def themes(self, org: Org, day: date) -> dict[str, Any]:
        """About a third of activities carry one or two themes in force on their day; a
        mediation group's activities state the disputes they took and resolved."""
        r = self.theme_rng
        out: dict[str, Any] = {}
        try:
            _, offered = themes_in_force(self.village.rules, day)
        except RuleNotInForce:
            offered = ()
        if offered and r.random() < 0.35:
            out["themes"] = [t.code for t in r.sample(offered, r.choice([1, 1, 2]))]
        if org.field == "mediation":
            taken = r.randint(0, 6)
            out.update(cases_taken=taken, cases_resolved=r.randint(0, taken))
        return out

    def points_pilots(self) -> None:
        """Resident points (ADR 0027): the two communities with the most registered volunteers
        pilot the scheme from the start of last year, and one volunteer of each is awarded
        points by hand. Points earned at their activities follow from the activities."""
        by_village = Counter(village for village, _ in self.registered)
        start = date(self.today.year - 1, 1, 1)
        for code, _ in sorted(by_village.items(), key=lambda kv: (-kv[1], kv[0]))[:2]:
            village = self.j.divisions[code]
            self.village.turn_points_on(code, self.meta(Tier.VILLAGE, start, village))
            number = min(n for v, n in self.registered if v == code)
            day = max(start, self.today - timedelta(days=10))
            self.village.adjust_points(
                code,
                number,
                "award",
                5,
                "调解邻里纠纷表现突出",
                self.meta(Tier.VILLAGE, day, village),
            )
            self.count("points_pilots")

    def training(self) -> None:
        """Training courses (ADR 0024): the county's leaders' and core-staff classes every
        half year, one class per township a year, attended by some active organisations; and
        the county's commendation round for last year, decided and published. A generator of
        its own, so the rest of the demo county is the same as before."""
        from shared.capabilities.commendations import application as rounds
        from shared.capabilities.training import application as courses

        r = Random(f"{self.seed}/training")
        county = self.j.county
        plan: list[tuple[Any, Division, str, date]] = []
        day = self.start + timedelta(days=60)
        while day < self.today - timedelta(days=7):
            plan.append((self.county, county, r.choice(["leaders", "core_staff"]), day))
            day += timedelta(days=182)
        for t in self.j.townships():
            plan.append(
                (
                    self.township,
                    t,
                    "core_staff",
                    self.day_between(self.start, self.today - timedelta(days=7)),
                )
            )
        for app, division, kind, first in sorted(plan, key=lambda p: p[3]):
            tier = Tier.COUNTY if division.code == county.code else Tier.TOWNSHIP
            last = first + timedelta(days=r.choice([0, 1, 2]))
            topic = {
                "leaders": "社区社会组织负责人培训班",
                "core_staff": "社区社会组织业务骨干培训班",
            }[kind]
            course = courses.schedule(
                app, division.code, f"{division.name}{topic}", kind, first, last,
                r.choice(["县社会组织服务中心", "市社会工作协会", "县委党校"]), None,
                self.meta(tier, first, division),
            ).id  # fmt: skip
            self.count("training_courses")
            prefix = division.code[:6] if tier is Tier.COUNTY else division.code[:9]
            attending = [
                o for o in self.orgs
                if o.village.code.startswith(prefix) and o.entered and o.entered <= first
                and self.last_day(o) >= last
            ]  # fmt: skip
            for org in r.sample(attending, min(len(attending), r.randint(5, 25))):
                courses.attend(
                    app, course, org.id, r.randint(1, 4), [r.choice(["负责人", "业务骨干"])],
                    self.meta(tier, last, division),
                )  # fmt: skip
                self.count("training_attendance")
        self.platform.drain()
        year = self.today.year - 1
        if self.start.year > year:
            return
        opened = (
            date(self.today.year, 1, 15)
            if self.today > date(self.today.year, 1, 20)
            else self.today
        )
        rid = rounds.open_round(self.county, None, year, self.meta(Tier.COUNTY, opened, county)).id
        self.platform.drain()
        with self.county.lookup.db.transaction() as tx:
            found = tx.one(
                "SELECT candidates FROM commendation_round WHERE round_id = %s", (str(rid),)
            )
        chosen = (
            [UUID(c["organisation_id"]) for c in json.loads(found["candidates"])[:3]]
            if found
            else []
        )
        if chosen:
            rounds.decide(
                self.county,
                rid,
                chosen,
                "年度优秀社区社会组织",
                self.meta(Tier.COUNTY, opened, county),
            )
            rounds.publish(self.county, rid, self.meta(Tier.COUNTY, opened, county))
            self.count("commended", len(chosen))

    def run(self) -> dict[str, int]:
        # Drain after a phase whose facts the next phase's commands consult (other tiers' facts
        # reach a tier only through its read model).
        for step, drain in [
            (self.applications, True),
            (self.decisions, True),
            (self.registrations, True),
            (self.established, True),
            (self.choose_zombies, False),
            (self.county_follow_up, False),
            (self.funding, False),
            (self.platforms, False),
            (self.credit_lists, False),
            (self.inspections_and_exits, True),
            (self.sampling, True),
            (self.activities, True),
            (self.points_pilots, True),
            (self.training, True),
            (self.evaluation, True),
        ]:
            step()
            if drain:
                self.platform.drain()
        self.count("groups", len(self.orgs))
        self.count("zombies", sum(o.zombie and not o.ended for o in self.orgs))
        return dict(self.counts)

    def evaluation(self) -> None:
        """An outside evaluator (ADR 0026) with the demo's evaluator account bound to it, given
        today a grade evaluation of five registered organisations, one finding recorded: the
        bureau's decision is left for a person trying the console. Last, so that nothing else
        in the demo county changes; skipped when the accounts were not provisioned."""
        account = self.county.account_named(EVALUATOR_USERNAME)
        if account is None:
            return
        orgs = sorted(
            (o for o in self.orgs if o.registered and not o.ended and not o.zombie),
            key=lambda o: str(o.id),
        )[:5]
        if not orgs:
            return
        # The bureau may grade the one with a finding (ADR 0024 addendum).
        self.governance_work(orgs[0], self.today, "grading")
        evaluator = self.county.register_evaluator(
            "示范社会组织评估中心",
            DEMO_EVALUATOR_USCI,
            "项目主管",
            self.meta(Tier.COUNTY, self.today),
        )
        self.county.bind_evaluator_account(
            evaluator.id, account.id, self.meta(Tier.COUNTY, self.today)
        )
        assignment = self.county.assign_evaluation(
            evaluator.id,
            "grade",
            f"{self.today.year} 年度社会组织等级评估",
            [o.id for o in orgs],
            [],
            self.today + timedelta(days=60),
            self.meta(Tier.COUNTY, self.today),
        )
        person = Actor(
            str(account.id), Tier.COUNTY, account.division, "evaluator", account.name,
            ("evaluator",),
        )  # fmt: skip
        meta = replace(self.meta(Tier.COUNTY, self.today), actor=person)
        self.county.record_finding(
            assignment.id, orgs[0].id, None, None, 4, Decimal("86"),
            "章程执行规范，财务管理制度健全，建议评为 4A。", self.today, None, meta,
        )  # fmt: skip
        self.count("evaluation_assignments")


def load_demo(platform: Any, seed: int) -> dict[str, float]:
    """Generate the demo county's history into ``platform``; returns what was recorded."""
    started = clock.perf_counter()
    print(f"[demo] loading the demo county (seed {seed})", flush=True)
    counts: dict[str, float] = dict(DemoHistory(platform, seed).run())
    counts["seconds"] = round(clock.perf_counter() - started, 1)
    print("[demo] done: " + ", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
    return counts
