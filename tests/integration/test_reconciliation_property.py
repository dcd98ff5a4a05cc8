"""Property: whatever the command history and whatever the cross-source arrival order, three
independent read models agree row for row, and county = Σ townships = Σ villages for every
additive counter (domain.md §4: "the additive ones must reconcile exactly")."""

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
from shared.domain import DomainError, Field, Meta
from shared.integration.envelope import Envelope
from shared.jurisdiction import load
from shared.projection.projector import Projector
from shared.reporting.figures import Counters
from shared.reporting.periods import Period
from shared.reporting.report import additive_totals
from shared.rules import load_rules
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

JURISDICTION = load()
VILLAGES = [v.code for v in JURISDICTION.villages()]
# The clock is pinned so histories can span past dates; noon in China keeps every command's
# effective date the same in UTC and in China time.
NOW = datetime(2026, 6, 30, 4, 0, tzinfo=UTC)
AS_OF = NOW.astimezone(CST).date()
START = date(2025, 1, 1)
PERIOD = Period(START, AS_OF)
RULES = load_rules().in_force(AS_OF)

org = st.integers(0, 40)  # index into the organisations created so far (modulo their number)
commands = st.one_of(
    st.tuples(st.just("apply"), st.sampled_from(VILLAGES), st.sampled_from(list(Field))),
    st.tuples(st.just("decide"), org, st.booleans()),
    st.tuples(
        st.just("activity"),
        org,
        st.integers(0, 500),
        st.integers(0, 50),
        st.integers(0, 10_000),
        st.integers(0, 1_000_000),
    ),
    st.tuples(st.just("register"), st.sampled_from(VILLAGES), st.sampled_from("1239")),
    st.tuples(st.just("upgrade"), org, st.sampled_from("1239")),
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
    serial: int = 0
    accepted: int = 0  # commands that passed every guard

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

    def apply(self, village: str, f: Field) -> None:
        v = apps(self.platform)[0]
        r = v.apply_for_filing(
            village, f"组织{len(self.orgs)}", str(f), START, self.meta(village_op(village))
        )
        self.orgs.append((r.id, village))
        self.status[r.id] = "applied"

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
        )
        self.activities.update(
            {
                "activities": 1,
                "participants": people,
                "volunteer_hours_centi": centi_hours,
                "money_fen": fen,
            }
        )
        return None

    def register(self, village: str, form: str) -> None:
        self.serial += 1
        r = apps(self.platform)[2].register(
            usci(self.serial, form),
            f"登记{self.serial}",
            "charity",
            village,
            None,
            self.meta(county_op()),
        )
        self.orgs.append((r.id, village))
        self.status[r.id] = "registered"

    def upgrade(self, i: int, form: str) -> bool | None:
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
        )
        self.status[o[0]] = "registered"
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
        apps(self.platform)[2].award_funding(
            o[0], programme, round, "项目", Decimal(fen) / 100, host, self.meta(county_op())
        )
        return None

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


@settings(
    max_examples=25,
    deadline=None,
    # new_store only hands out fresh stores; nothing it returns is shared between examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    founding=st.lists(
        st.one_of(
            st.tuples(st.just("apply"), st.sampled_from(VILLAGES), st.sampled_from(list(Field))),
            st.tuples(st.just("register"), st.sampled_from(VILLAGES), st.sampled_from("1239")),
        ),
        min_size=3,
        max_size=10,
    ),
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
        # One event per accepted command, none for a refused one.
        assert sum(len(es) for es in by_source.values()) == run.accepted
        stores = [new_store() for _ in range(3)]
        for db in stores:
            projector = Projector(db, COUNTY)
            applied = [projector.process(env) for env in deliveries(by_source, rnd)]
            assert sum(applied) == sum(len(es) for es in by_source.values())

        county = totals(stores[0], [COUNTY])
        townships = totals(stores[1], [t.code for t in JURISDICTION.townships()])
        villages = totals(stores[2], VILLAGES)
        for key in set(county) | set(townships) | set(villages):
            assert county[key] == townships[key] == villages[key], key

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
        assert county["density.villages"] == len(VILLAGES)
    finally:
        platform.stop()
        for db in stores:
            db.close()
