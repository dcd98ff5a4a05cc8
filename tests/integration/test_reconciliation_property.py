"""Property: whatever the command history and whatever the cross-source arrival order, three
independent read models agree row for row, and county = Σ townships = Σ villages for every
additive counter (domain.md §4: "the additive ones must reconcile exactly"), counting the
platforms that sit at the county and township levels themselves; and the county's and every
township's report equals the independent oracle (tests/oracle.py) on the same events."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.platform import Platform
from shared.kernel.domain import Category, DomainError, Field, Meta
from shared.kernel.integration.envelope import Envelope
from shared.kernel.integration.events import FundingProgramme, PlatformKind
from shared.kernel.jurisdiction import Tier, load
from shared.kernel.periods import Period
from shared.kernel.rules import load_rules
from shared.reporting.catalogue import flatten
from shared.reporting.figures import Counters
from shared.reporting.reconcile import reconcile_division
from shared.reporting.report import additive_totals, division_report
from shared.tier.projector import Projector
from tests.helpers import (
    COUNTY,
    CST,
    apps,
    build_platform,
    county_op,
    dump,
    envelopes_by_source,
    meta,
    township_op,
    usci,
    village_op,
)
from tests.integration.conftest import NewStore
from tests.oracle import figures_of, mismatches, replay

JURISDICTION = load()
VILLAGES = [v.code for v in JURISDICTION.villages()]
TOWNSHIPS = [t.code for t in JURISDICTION.townships()]
CATEGORIES = [str(c) for c in Category]
# Where each kind of platform may be opened (shared.capabilities.platforms.domain.PLACEMENT), a few villages each.
SITES = [
    (PlatformKind.COUNTY_CENTRE, COUNTY),
    *((PlatformKind.TOWNSHIP_PLATFORM, t) for t in TOWNSHIPS),
    *((PlatformKind.INCUBATOR, t) for t in TOWNSHIPS),
    *((PlatformKind.INCUBATOR, v) for v in VILLAGES[::3]),
    *((PlatformKind.VILLAGE_STATION, v) for v in VILLAGES[::2]),
]
# The clock is pinned so histories can span past dates; noon in China keeps every command's
# effective date the same in UTC and in China time.
NOW = datetime(2026, 6, 30, 4, 0, tzinfo=UTC)
AS_OF = NOW.astimezone(CST).date()
START = date(2025, 1, 1)
PERIOD = Period(START, AS_OF)
RULES = load_rules().in_force(AS_OF)

org = st.integers(0, 40)  # index into the organisations created so far (modulo their number)
apply_command = st.tuples(
    st.just("apply"),
    st.sampled_from(VILLAGES),
    st.sampled_from(list(Field)),
    st.sampled_from(CATEGORIES),
)
register_command = st.tuples(
    st.just("register"),
    st.sampled_from(VILLAGES),
    st.sampled_from("1239"),
    st.sampled_from(CATEGORIES),
)
# The theme lists activities carry, in force on any day from 2023-01-08 (vocabulary v4).
THEMES: list[list[str]] = [[], ["mediation"], ["mediation", "safety"]]
commands = st.one_of(
    apply_command,
    st.tuples(st.just("decide"), org, st.booleans()),
    st.tuples(
        st.just("activity"),
        org,
        st.integers(0, 500),
        st.integers(0, 50),
        st.integers(0, 10_000),
        st.integers(0, 1_000_000),
    ),
    register_command,
    st.tuples(st.just("upgrade"), org, st.sampled_from("1239"), st.sampled_from(CATEGORIES)),
    st.tuples(st.just("charter"), org, st.booleans(), st.booleans()),
    st.tuples(st.just("party"), org, st.sampled_from(["own", "joint"])),
    st.tuples(st.just("annual"), org, st.sampled_from([2024, 2025])),
    st.tuples(st.just("rate"), org, st.integers(1, 5), st.integers(1, 5)),
    st.tuples(
        st.just("fund"),
        org,
        st.sampled_from(["micro_venture", "special_fund"]),
        st.sampled_from(["2025", "2026"]),
        st.integers(1, 10_000_000),
    ),
    st.tuples(
        st.just("inspect"),
        org,
        st.sampled_from(["compliant", "rectification_ordered", "violation"]),
    ),
    st.tuples(st.just("rectify"), org),
    st.tuples(st.just("cancel"), org),
    st.tuples(st.just("exit"), org, st.sampled_from(["deregister", "revoke"])),
    st.tuples(st.just("open"), st.sampled_from(SITES)),
    st.tuples(st.just("close"), org),
    st.tuples(st.just("listing"), org, st.sampled_from(["abnormal", "serious"]), st.booleans()),
    st.tuples(st.just("disburse"), org, st.integers(1, 10_000_000)),
    st.tuples(st.just("advance"), st.integers(1, 90)),
)


@dataclass
class Run:
    """Executes a command history through the real applications and keeps an oracle."""

    platform: Platform
    day: date = START
    orgs: list[tuple[UUID, str]] = field(default_factory=list)  # (id, village)
    status: dict[UUID, str] = field(default_factory=dict)
    inspections: list[UUID] = field(default_factory=list)
    activities: Counter[str] = field(default_factory=Counter)
    themes: Counter[str] = field(default_factory=Counter)  # "<theme>.<counter>"
    sage: set[UUID] = field(default_factory=set)  # organisations stated to be sage councils
    platforms: dict[UUID, tuple[PlatformKind, str]] = field(default_factory=dict)  # open ones
    listed: dict[str, set[UUID]] = field(
        default_factory=lambda: {"abnormal": set(), "serious": set()}
    )
    awards: list[list[Any]] = field(default_factory=list)  # [award id, fen left to pay]
    disbursed_fen: int = 0
    serial: int = 0
    accepted: int = 0  # commands that passed every guard
    registered: int = 0  # of them registrations: each also claims its USCI (ADR 0034)

    def meta(self, actor: Any) -> Meta:
        return meta(actor, at=datetime.combine(self.day, time(12), CST))

    def pick(self, i: int, *statuses: str) -> tuple[UUID, str] | None:
        """The i-th organisation (modulo) among those in one of ``statuses`` (any if none)."""
        candidates = [o for o in self.orgs if not statuses or self.status[o[0]] in statuses]
        return candidates[i % len(candidates)] if candidates else None

    def execute(self, command: tuple[Any, ...]) -> None:
        kind, *args = command
        if kind == "advance":
            self.day = min(self.day + timedelta(days=args[0]), AS_OF)
            return
        try:
            if getattr(self, kind)(*args) is not False:
                self.accepted += 1
        except DomainError:
            pass  # refused by a guard: nothing stored, nothing to project
        self.platform.drain()

    # ---------------------------------------------------------------- commands

    def categorise(self, org: UUID, category: str) -> None:
        # "general" is the commands' default: it never undoes a category stated before.
        if category == Category.VILLAGE_SAGE_COUNCIL:
            self.sage.add(org)

    def apply(self, village: str, f: Field, category: str) -> None:
        v = apps(self.platform)[0]
        r = v.apply_for_filing(
            village,
            f"组织{len(self.orgs)}",
            str(f),
            START,
            self.meta(village_op(village)),
            category=category,
        )
        self.orgs.append((r.id, village))
        self.status[r.id] = "applied"
        self.categorise(r.id, category)

    def decide(self, i: int, filed: bool) -> bool | None:
        if (o := self.pick(i, "applied")) is None:
            return False
        apps(self.platform)[1].decide_filing(
            o[0], filed, "不符合条件", self.meta(township_op(o[1][:9] + "000"))
        )
        self.status[o[0]] = "filed" if filed else "rejected"
        return None

    def activity(
        self, i: int, people: int, volunteers: int, centi_hours: int, fen: int
    ) -> bool | None:
        if (o := self.pick(i, "filed", "registered")) is None:
            return False
        apps(self.platform)[0].report_activity(
            o[0],
            self.day,
            "services",
            people,
            volunteers,
            volunteers,
            Decimal(centi_hours) / 100,
            people * 2,
            Decimal(fen) / 100,
            self.meta(village_op(o[1])),
            # Themes and mediation cases (ADR 0019), drawn from the figures: none, one or two
            # themes; cases on some activities, never more resolved than taken.
            themes=THEMES[people % len(THEMES)],
            cases_taken=volunteers if people % 2 else None,
            cases_resolved=volunteers // 2 if people % 2 else None,
        )
        self.activities.update(
            {
                "activities": 1,
                "participants": people,
                "volunteer_hours_centi": centi_hours,
                "money_fen": fen,
                "cases_taken": volunteers if people % 2 else 0,
                "cases_resolved": volunteers // 2 if people % 2 else 0,
            }
        )
        for theme in THEMES[people % len(THEMES)]:
            self.themes.update({f"{theme}.activities": 1, f"{theme}.participants": people})
        return None

    def register(self, village: str, form: str, category: str) -> None:
        self.serial += 1
        r = apps(self.platform)[2].register(
            usci(self.serial, form),
            f"登记{self.serial}",
            "charity",
            village,
            None,
            self.meta(county_op()),
            category=category,
        )
        self.registered += 1
        self.orgs.append((r.id, village))
        self.status[r.id] = "registered"
        self.categorise(r.id, category)

    def upgrade(self, i: int, form: str, category: str) -> bool | None:
        if (o := self.pick(i, "filed")) is None:
            return False
        self.serial += 1
        apps(self.platform)[2].register(
            usci(self.serial, form),
            f"升级{self.serial}",
            "services",
            None,
            o[0],
            self.meta(county_op()),
            category=category,
        )
        self.registered += 1
        self.status[o[0]] = "registered"
        self.categorise(o[0], category)
        return None

    def charter(self, i: int, party: bool, integrity: bool) -> bool | None:
        if (o := self.pick(i, "filed", "registered")) is None:
            return False
        if self.status[o[0]] == "registered":
            apps(self.platform)[2].approve_charter(o[0], party, integrity, self.meta(county_op()))
        else:
            apps(self.platform)[1].approve_charter(
                o[0], party, integrity, self.meta(township_op(o[1][:9] + "000"))
            )
        return None

    def party(self, i: int, kind: str) -> bool | None:
        if (o := self.pick(i, "registered")) is None:
            return False
        apps(self.platform)[2].set_up_party_organisation(o[0], kind, self.meta(county_op()))
        return None

    def annual(self, i: int, year: int) -> bool | None:
        if (o := self.pick(i, "registered")) is None:
            return False
        apps(self.platform)[2].file_annual_report(o[0], year, self.meta(county_op()))
        return None

    def rate(self, i: int, grade: int, stars: int) -> bool | None:
        if (o := self.pick(i, "registered")) is None:
            return False
        apps(self.platform)[2].rate(o[0], "A", grade, None, stars, self.meta(county_op()))
        return None

    def fund(self, i: int, programme: str, round: str, fen: int) -> bool | None:
        if (o := self.pick(i, "filed", "registered")) is None:
            return False
        host = next((x for x, _ in self.orgs if self.status[x] == "registered"), None)
        r = apps(self.platform)[2].award_funding(
            o[0], programme, round, "项目", Decimal(fen) / 100, host, self.meta(county_op())
        )
        self.awards.append([r.id, fen])
        return None

    def disburse(self, i: int, fen: int) -> bool | None:
        unpaid = [a for a in self.awards if a[1] > 0]
        if not unpaid:
            return False
        award = unpaid[i % len(unpaid)]
        fen = min(fen, award[1])
        apps(self.platform)[2].disburse(
            award[0], f"第{self.accepted}期", Decimal(fen) / 100, self.meta(county_op())
        )
        award[1] -= fen
        self.disbursed_fen += fen
        return None

    def listing(self, i: int, credit_list: str, enter: bool) -> bool | None:
        if enter:
            o = self.pick(i, "registered")
        else:  # leaving is allowed after an exit too
            on = [x for x in self.orgs if x[0] in self.listed[credit_list]]
            o = on[i % len(on)] if on else None
        if o is None:
            return False
        county = apps(self.platform)[2]
        act = county.enter_credit_list if enter else county.leave_credit_list
        act(o[0], credit_list, "核查", self.meta(county_op()))
        (self.listed[credit_list].add if enter else self.listed[credit_list].discard)(o[0])
        return None

    def open(self, site: tuple[PlatformKind, str]) -> None:
        kind, code = site
        app, actor = self.platform_operator(kind, code)
        r = app.open_platform(kind, code, f"{kind}@{code}", self.meta(actor))
        self.platforms[r.id] = site

    def close(self, i: int) -> bool | None:
        if not self.platforms:
            return False
        platform_id = sorted(self.platforms)[i % len(self.platforms)]
        app, actor = self.platform_operator(*self.platforms[platform_id])
        app.close_platform(platform_id, "合并", self.meta(actor))
        del self.platforms[platform_id]
        return None

    def platform_operator(self, kind: PlatformKind, code: str) -> tuple[Any, Any]:
        """The tier that records this kind of platform, and an operator of that division."""
        v, t, c = apps(self.platform)
        if kind is PlatformKind.COUNTY_CENTRE:
            return c, county_op()
        if kind is PlatformKind.VILLAGE_STATION:
            return v, village_op(code)
        return t, township_op(code[:9] + "000")

    def inspect(self, i: int, result: str) -> bool | None:
        if (o := self.pick(i, "filed", "registered")) is None:
            return False
        r = apps(self.platform)[1].record_inspection(
            o[0], result, "", ["甲", "乙"], self.meta(township_op(o[1][:9] + "000"))
        )
        self.inspections.append(r.id)
        return None

    def rectify(self, i: int) -> bool | None:
        if not self.inspections:
            return False
        inspection = self.inspections[i % len(self.inspections)]
        village: str = apps(self.platform)[1].repository.get(inspection).village_code
        apps(self.platform)[1].complete_rectification(
            inspection, self.meta(township_op(village[:9] + "000"))
        )
        return None

    def cancel(self, i: int) -> bool | None:
        if (o := self.pick(i, "filed")) is None:
            return False
        apps(self.platform)[1].cancel_filing(
            o[0], "停止活动", self.meta(township_op(o[1][:9] + "000"))
        )
        self.status[o[0]] = "cancelled"
        return None

    def exit(self, i: int, how: str) -> bool | None:
        if (o := self.pick(i, "registered")) is None:
            return False
        getattr(apps(self.platform)[2], how)(o[0], "退出", self.meta(county_op()))
        self.status[o[0]] = "exited"
        return None


def deliveries(by_source: dict[str, list[Envelope]], rnd: random.Random) -> list[Envelope]:
    """A random interleaving that keeps each source's order, with some re-deliveries of
    earlier envelopes (the transport is at-least-once)."""
    queues = {s: list(es) for s, es in by_source.items() if es}
    out: list[Envelope] = []
    while queues:
        source = rnd.choice(sorted(queues))
        out.append(queues[source].pop(0))
        if not queues[source]:
            del queues[source]
        if rnd.random() < 0.15:
            out.append(rnd.choice(out))
    return out


def totals(db: Any, codes: list[str]) -> Counters:
    total: Counters = Counter()
    for code in codes:
        total.update(additive_totals(db, JURISDICTION, code, AS_OF, PERIOD, RULES))
    return total


def own_level(run: Run, codes: list[str]) -> Counters:
    """What sits at these (county/township) divisions themselves: the platforms open there."""
    return Counter(f"platforms.{kind}s" for kind, code in run.platforms.values() if code in codes)


@settings(
    max_examples=25,
    deadline=None,
    # new_store only hands out fresh stores; nothing it returns is shared between examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    founding=st.lists(st.one_of(apply_command, register_command), min_size=3, max_size=10),
    history=st.lists(commands, min_size=10, max_size=40),
    rnd=st.randoms(use_true_random=False),
)
def test_three_read_models_reconcile(
    founding: list[tuple[Any, ...]],
    history: list[tuple[Any, ...]],
    rnd: random.Random,
    new_store: NewStore,
    tmp_path: Path,
) -> None:
    platform = build_platform(tmp_path, clock=lambda: NOW)
    stores: list[Any] = []
    try:
        run = Run(platform)
        for command in founding + history:
            run.execute(command)
        by_source = envelopes_by_source(platform)
        # One event per accepted command, none for a refused one; a registration also
        # stores its USCI claim (ADR 0034).
        types = Counter(e.type for es in by_source.values() for e in es)
        assert types["sanji.county.usci.claimed.v1"] == run.registered
        assert types.total() == run.accepted + run.registered
        stores = [new_store() for _ in range(3)]
        for db in stores:
            projector = Projector(db, COUNTY)
            applied = [projector.process(env) for env in deliveries(by_source, rnd)]
            assert sum(applied) == sum(len(es) for es in by_source.values())

        county = totals(stores[0], [COUNTY])
        townships = totals(stores[1], TOWNSHIPS) + own_level(run, [COUNTY])
        villages = totals(stores[2], VILLAGES) + own_level(run, [COUNTY, *TOWNSHIPS])
        for key in set(county) | set(townships) | set(villages):
            assert county[key] == townships[key] == villages[key], key
        # At every level: total = Σ children + own level (one store: they are equal, below).
        tree = reconcile_division(stores[0], JURISDICTION, COUNTY, AS_OF, PERIOD, RULES)
        assert tree["ok"], tree["mismatches"]

        dumps = [dump(db) for db in stores]
        assert (
            dumps[0] == dumps[1] == dumps[2] == dump(platform.tiers[next(iter(platform.tiers))].db)
        )

        # The figures are the history's, not merely consistent with each other.
        active = sum(s in ("filed", "registered") for s in run.status.values())
        assert county["organisations.active"] == active
        assert county["organisations.registered"] == sum(
            s == "registered" for s in run.status.values()
        )
        for name, value in run.activities.items():
            assert county[f"activity.{name}"] == value, name
        for name, value in run.themes.items():
            assert county[f"theme.{name}"] == value, name
        assert county["density.villages"] == len(VILLAGES)
        open_kinds = Counter(kind for kind, _ in run.platforms.values())
        for kind in PlatformKind:
            assert county[f"platforms.{kind}s"] == open_kinds[kind], kind
        assert county["supervision.abnormal_list"] == len(run.listed["abnormal"])
        assert county["supervision.serious_list"] == len(run.listed["serious"])
        assert run.disbursed_fen == sum(
            county[f"funding.by_programme.{p}.disbursed_fen"] for p in FundingProgramme
        )
        assert county["platforms.village_sage_councils"] == sum(
            o in run.sage for o, s in run.status.items() if s in ("filed", "registered")
        )

        # Every figure of the county's and the townships' reports, against the oracle.
        world = replay(e for es in by_source.values() for e in es)
        live = platform.tiers[Tier.COUNTY].db
        for code in [COUNTY, *TOWNSHIPS]:
            report = division_report(live, JURISDICTION, code, AS_OF, PERIOD, RULES)
            want = figures_of(world, JURISDICTION, code, AS_OF, PERIOD, RULES)
            assert mismatches(flatten(report.figures), want) == [], code
    finally:
        platform.stop()
        for db in stores:
            db.close()
