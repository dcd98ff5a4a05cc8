"""Rebuild-and-compare on PostgreSQL at a million events, against the library's raw read rate.

Starts a throwaway PostgreSQL 15 cluster (or uses ``--url``) and runs, timed, in one process:

1. **generate**: a county of ``--townships`` × ``--villages`` divisions (``bench/generate_county``
   writes the jurisdiction) and ``--years`` of history, written *through the tier applications*
   into the three PostgreSQL event stores, so every event is a real stored domain event with its
   hash-chain link: groups apply at their village, the township files (or rejects) them,
   approves charters, inspects and cancels; the county registers organisations (new ones, and
   filed groups upgraded), approves charters, sets up party organisations, takes annual
   reports, rates, funds and pays tranches, lists and delists, deregisters and revokes; service
   platforms open and close in all three tiers; every tier records a chain checkpoint every
   30 days and issues a report; the county records a division change. The bulk is village
   activity reports. Aggregates are built with the domain classes on a day-by-day plan that
   keeps every event valid (the organisation is active on the day, its village is in the
   jurisdiction, effective dates are in the past and in order) and saved ``--batch`` aggregates
   per ``app.save(...)``: one transaction, one table lock, one fsync per batch.
2. **live read model**: the county read model built with the live projector's code path,
   ``Projector(db, county, AppSourceReader(apps)).catch_up(source)`` for each source: one
   read-model transaction per event, with its tracking row.
3. **raw read baselines**, the same stores in the same run: the library's own read path
   (``recorder.select_notifications`` pages plus ``mapper.to_domain_event`` for each
   notification), a plain ``SELECT *`` of each events table through a psycopg server-side
   cursor, and what the rebuild itself reads (``AppSourceReader.read``: each page of the log
   with its stored integration envelopes and chain links, in one query, parsed).
4. **rebuild and compare**: ``shared.audit.rebuild.rebuild`` into a fresh schema up to the live
   read model's watermarks, then ``digest_tables`` of both and ``compare``; any difference
   fails the run and the first ones are printed.
5. **verify**: ``shared.audit.verify.verify_stores`` over the three stores and the live read
   model's chain heads; any finding fails the run.

Each phase prints the cores it used: this process, PostgreSQL, other work on the machine and
the hypervisor's steal (as ``bench/machine.py``, sampled every second). The results go to
stdout and, as JSON, to ``--out`` (default ``var/bench/rebuild-<time>.json``). The exit status
is 1 if the rebuilt read model differs from the live one or ``verify`` finds anything.

    .venv/bin/python -m bench.rebuild                    # 1,000,000 events: ~80 min on 2 cores
    .venv/bin/python -m bench.rebuild --events 20000     # smoke run, ~2 min
    .venv/bin/python -m bench.rebuild --quick --json     # 8,000 events, measures only

6. **known-at report**: the county report as known at the middle of the generated history
   (``shared.audit.issued.known_at_report``, as the reports API answers ``known_at``: a read
   model rebuilt in memory from the events recorded up to then), interleaved with its baseline,
   the same report (same as-of date and period) from the live read model.

``--keep`` leaves the cluster running with the data; ``--url`` runs on an existing database
instead: stores that already hold events are reused (no generation), and the live projector
only catches up what it has not applied yet (its tracking rows are the resume point).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import psycopg

from bench.generate_county import FIELD_WEIGHTS, FIELD_ZH, Shape, write_jurisdiction
from bench.machine import IRQ, MACHINE, STEAL, CpuSampler, other_work, postmaster_pid
from bench.measures import Measure, Output, parse, sized
from bench.measures import parser as measures_parser
from services.county.application import CountyApplication
from services.county.domain import FundingAward, Registration
from services.init import initialise
from services.integrity import stores
from services.topology import LocalPostgres
from services.township.domain import Filing, Inspection
from services.village.domain import Activity, GroupRecord
from shared.audit.history import AuditHistory
from shared.audit.issued import content_hash, known_at_report, report_on
from shared.audit.issued import replayed_report as reproduced_at
from shared.audit.rebuild import TableDigest, compare, digest_tables, rebuild
from shared.audit.verify import verify_stores
from shared.capabilities.divisions.history import Change
from shared.capabilities.ledger.domain import IssuedReport
from shared.capabilities.platforms.domain import ServicePlatform
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import Database, PostgresDatabase, open_database
from shared.kernel.domain import CHINA, Actor, Category, Field, Meta
from shared.kernel.domain import SanjiAggregate as Agg
from shared.kernel.integration.envelope import Envelope
from shared.kernel.integration.events import (
    CreditList,
    DivisionChangeKind,
    FundingProgramme,
    InspectionResult,
    PartyOrganisationKind,
    PlatformKind,
)
from shared.kernel.jurisdiction import Jurisdiction, Tier, load
from shared.kernel.periods import resolve
from shared.kernel.rules import load_rules
from shared.kernel.usci import check_character, civil_affairs_legal_form
from shared.reporting.report import watermarks
from shared.tier.application import TierApplication
from shared.tier.projector import Projector
from shared.tier.runtime import AppSourceReader

SOURCES = ("village", "township", "county")  # source name == str(tier)
PAGE = 5000  # notifications per page in the read baselines (= the rebuild's READ_BATCH)
CHECKPOINT_EVERY = 30  # simulated days between the chain checkpoints each tier records


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the plan


@dataclass
class Org:
    """One organisation's life, decided before any event is written."""

    n: int
    id: UUID
    village: str
    township: str
    field: str
    category: str
    name: str
    route: str  # "filed", "rejected", "pending" (applied at the village) or "registered"
    active_from: date | None = None  # first day active (filed or registered)
    active_until: date | None = None  # first day no longer active (exclusive), or None
    registered_on: date | None = None
    weight: float = 0.0  # relative activity intensity over its reporting days
    dormant_from: date | None = None  # stops reporting activities from this day on

    def active_days(self, end: date) -> tuple[date, date] | None:
        """First and last day active, up to ``end``."""
        if self.active_from is None:
            return None
        last = (self.active_until or end + timedelta(days=1)) - timedelta(days=1)
        return (self.active_from, last) if last >= self.active_from else None

    def reporting_days(self, end: date) -> tuple[date, date] | None:
        span = self.active_days(end)
        if span is None or self.dormant_from is None:
            return span
        last = min(span[1], self.dormant_from - timedelta(days=1))
        return (span[0], last) if last >= span[0] else None


@dataclass(order=True)
class Action:
    """One domain event to write on ``day`` (priority orders a tier's actions within a day)."""

    day: date
    tier_order: int
    priority: int
    seq: int
    kind: str = field(compare=False)
    org: int = field(compare=False, default=-1)
    data: dict[str, Any] = field(compare=False, default_factory=dict)


ROUTES = ((0.20, "registered"), (0.23, "rejected"), (0.25, "pending"), (1.0, "filed"))
TIER_ORDER = {Tier.VILLAGE: 0, Tier.TOWNSHIP: 1, Tier.COUNTY: 2}
KIND_TIER = {
    "apply": Tier.VILLAGE,
    "village_platform": Tier.VILLAGE,
    "file": Tier.TOWNSHIP,
    "reject": Tier.TOWNSHIP,
    "township_charter": Tier.TOWNSHIP,
    "cancel": Tier.TOWNSHIP,
    "inspect": Tier.TOWNSHIP,
    "rectify": Tier.TOWNSHIP,
    "township_platform": Tier.TOWNSHIP,
    "register": Tier.COUNTY,
    "county_charter": Tier.COUNTY,
    "party": Tier.COUNTY,
    "annual": Tier.COUNTY,
    "rate": Tier.COUNTY,
    "award": Tier.COUNTY,
    "disburse": Tier.COUNTY,
    "list": Tier.COUNTY,
    "delist": Tier.COUNTY,
    "exit": Tier.COUNTY,
    "county_platform": Tier.COUNTY,
}
# Within a tier and a day: creations first, exits last.
PRIORITY = {"apply": 0, "file": 0, "reject": 0, "register": 0, "exit": 9, "cancel": 9}


@dataclass
class Plan:
    start: date
    end: date
    orgs: list[Org]
    actions: dict[date, list[Action]]  # every event but activity reports
    activities: dict[date, list[int]]  # activity reports: the organisations reporting that day
    counts: Counter[str]  # planned events by kind

    @property
    def events(self) -> int:
        return sum(self.counts.values())


class Planner:
    """Decides every organisation's life, then spreads the activity reports over active days
    so that the whole adds up to the requested number of events."""

    def __init__(self, j: Jurisdiction, events: int, years: int, seed: int) -> None:
        self.j = j
        self.rng = random.Random(seed)
        self.target = events
        self.end = datetime.now(CHINA).date() - timedelta(days=1)
        self.start = self.end.replace(year=self.end.year - years) + timedelta(days=1)
        self.span = (self.end - self.start).days
        self.actions: dict[date, list[Action]] = defaultdict(list)
        self.activities: dict[date, list[int]] = defaultdict(list)
        self.counts: Counter[str] = Counter()
        self._seq = 0
        villages = j.villages()
        self.villages = [v.code for v in villages]
        self.village_weights = [
            float(v.resident_population or v.registered_population or 1000) for v in villages
        ]
        self.fields = [str(f) for f in FIELD_WEIGHTS]
        self.field_weights = list(FIELD_WEIGHTS.values())

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def day(self, lo: int, hi: int) -> date:
        """A day ``lo``..``hi`` days after the start, clamped to the history."""
        return self.start + timedelta(days=max(0, min(self.span, self.rng.randint(lo, hi))))

    def add(self, what: str, day: date, org: int = -1, **data: Any) -> None:
        """Plan event ``what`` on ``day`` (none if the day is beyond the history)."""
        if day > self.end:
            return
        self._seq += 1
        order = TIER_ORDER[KIND_TIER[what]]
        action = Action(day, order, PRIORITY.get(what, 5), self._seq, what, org, data)
        self.actions[day].append(action)
        self.counts[what] += 1

    def plan(self) -> Plan:
        rng = self.rng
        n_orgs = max(60, self.target // 45)
        orgs = [self.organisation(i) for i in range(n_orgs)]
        for o in orgs:
            self.lifecycle(o)
        # Hosts of filed groups' funding: registered organisations that never exit.
        hosts = sorted(
            (o for o in orgs if o.route == "registered" and o.active_until is None),
            key=lambda o: cast(date, o.registered_on),
        )
        host_days = [cast(date, h.registered_on) for h in hosts]
        for o in orgs:
            self.checks_and_funding(o, hosts, host_days)
        self.platforms()
        # Chain checkpoints: every tier, every CHECKPOINT_EVERY days (own head only: the
        # generator runs no projector, so a tier holds no other heads yet).
        checkpoints = len(range(CHECKPOINT_EVERY, self.span + 1, CHECKPOINT_EVERY))
        self.counts["checkpoint"] = 3 * checkpoints
        self.counts["report"] = 3  # one issued report per tier at the end
        self.counts["division_change"] = 1
        # The bulk: activity reports of active organisations, weighted by intensity × days.
        remaining = self.target - sum(self.counts.values())
        reporting = [(o, d) for o in orgs if o.weight > 0 and (d := o.reporting_days(self.end))]
        total = sum(o.weight * ((b - a).days + 1) for o, (a, b) in reporting)
        shares = [remaining * o.weight * ((b - a).days + 1) / total for o, (a, b) in reporting]
        whole = [int(s) for s in shares]
        # Largest remainders make the total exact.
        short = max(0, remaining - sum(whole))
        for k in sorted(range(len(shares)), key=lambda k: whole[k] - shares[k])[:short]:
            whole[k] += 1
        for (o, (a, b)), count in zip(reporting, whole, strict=True):
            days = (b - a).days
            for _ in range(count):
                self.activities[a + timedelta(days=rng.randint(0, days))].append(o.n)
            self.counts["activity"] += count
        for day_actions in self.actions.values():
            day_actions.sort()
        return Plan(
            self.start, self.end, orgs, dict(self.actions), dict(self.activities), self.counts
        )

    def organisation(self, n: int) -> Org:
        rng = self.rng
        village = rng.choices(self.villages, self.village_weights)[0]
        f = rng.choices(self.fields, self.field_weights)[0]
        division = self.j.get(village)
        sage = rng.random() < 0.03 and division is not None and division.area == "rural"
        category = str(Category.VILLAGE_SAGE_COUNCIL if sage else Category.GENERAL)
        name = f"{division.name if division else village}{FIELD_ZH[Field(f)]}{n}"
        # 20 % registered directly; of the groups applying at their village, about 4 %
        # rejected and 2 % never decided.
        r = rng.random()
        route = next(name for limit, name in ROUTES if r < limit)
        o = Org(n, self.uuid(), village, self.j.township_of(village), f, category, name, route)
        o.weight = 0.0 if rng.random() < 0.04 else rng.choice((1.0, 2.0, 3.0, 4.0))
        return o

    def lifecycle(self, o: Org) -> None:
        rng = self.rng
        if o.route == "registered":
            o.registered_on = self.day(0, self.span - 30)
            o.active_from = o.registered_on
            self.add("register", o.registered_on, o.n, upgraded=False)
        else:
            applied = self.day(0, self.span - 20)
            self.add("apply", applied, o.n)
            decided = min(self.end, applied + timedelta(days=rng.randint(1, 30)))
            if o.route == "rejected":
                self.add("reject", decided, o.n)
                return
            if o.route == "pending" or decided >= self.end:
                o.route = "pending"
                return
            self.add("file", decided, o.n)
            o.active_from = decided
            upgrade = rng.random() < 0.10
            if upgrade:
                day = decided + timedelta(days=rng.randint(60, 500))
                if day < self.end:
                    o.registered_on = day
                    self.add("register", day, o.n, upgraded=True)
            if o.registered_on is None and rng.random() < 0.06:
                day = decided + timedelta(days=rng.randint(90, max(91, self.span)))
                if day < self.end:
                    o.active_until = day
                    self.add("cancel", day, o.n)
            if rng.random() < 0.4:  # the township approves a filed group's charter
                day = decided + timedelta(days=rng.randint(5, 120))
                if day < (o.registered_on or o.active_until or self.end):
                    self.add("township_charter", day, o.n, party=rng.random() < 0.6)
        if o.registered_on is not None:
            self.registered_life(o)
        span = o.active_days(self.end)
        if span is not None and rng.random() < 0.15 and (span[1] - span[0]).days > 60:
            # goes dormant: stops reporting (what makes zombie organisations)
            o.dormant_from = span[0] + timedelta(days=rng.randint(30, (span[1] - span[0]).days))

    def registered_life(self, o: Org) -> None:
        rng = self.rng
        reg = cast(date, o.registered_on)
        if o.route == "registered" and rng.random() < 0.06:
            day = reg + timedelta(days=rng.randint(200, max(201, self.span)))
            if day < self.end:
                o.active_until = day
                self.add("exit", day, o.n, kind="deregister" if rng.random() < 0.67 else "revoke")
        until = o.active_until or self.end + timedelta(days=1)

        def during(lo: int, hi: int) -> date | None:
            day = reg + timedelta(days=rng.randint(lo, hi))
            return day if day < until and day <= self.end else None

        if rng.random() < 0.7 and (when := during(5, 60)):
            self.add("county_charter", when, o.n, party=rng.random() < 0.8)
        if rng.random() < 0.3 and (when := during(10, 200)):
            self.add("party", when, o.n, kind=rng.choice(list(PartyOrganisationKind)))
        for year in range(reg.year, self.end.year):
            day = date(year + 1, rng.randint(3, 5), rng.randint(1, 28))
            if rng.random() < 0.92 and day < until and day <= self.end:
                self.add("annual", day, o.n, year=year)
        if rng.random() < 0.3 and (when := during(100, 600)):
            self.add(
                "rate",
                when,
                o.n,
                credit=rng.choice("AABBC"),
                grade=rng.randint(1, 5) if rng.random() < 0.7 else None,
                stars=rng.randint(1, 5) if rng.random() < 0.5 else None,
            )
        if rng.random() < 0.04 and (when := during(30, 700)):
            self.add("list", when, o.n, credit_list=str(CreditList.ABNORMAL))
            if rng.random() < 0.5:
                left = when + timedelta(days=rng.randint(30, 300))
                self.add("delist", left, o.n, credit_list=str(CreditList.ABNORMAL))

    def checks_and_funding(self, o: Org, hosts: list[Org], host_days: list[date]) -> None:
        rng = self.rng
        span = o.active_days(self.end)
        if span is None:
            return
        a, b = span
        if rng.random() < 0.12:
            day = a + timedelta(days=rng.randint(0, (b - a).days))
            result = rng.choices(list(InspectionResult), (60, 30, 10))[0]
            inspection = self.uuid()
            self.add("inspect", day, o.n, id=inspection, result=str(result))
            if result is InspectionResult.RECTIFICATION_ORDERED and rng.random() < 0.7:
                self.add("rectify", day + timedelta(days=rng.randint(10, 90)), o.n, id=inspection)
        if rng.random() < 0.10:
            day = a + timedelta(days=rng.randint(0, (b - a).days))
            registered = o.registered_on is not None and o.registered_on <= day
            host = None
            if not registered:  # a filed group is funded through a registered host
                able = bisect_left(host_days, day)  # hosts registered before the day
                if not able:
                    return
                host = hosts[rng.randrange(able)].id
            amount = Decimal(rng.randint(5_000_00, 50_000_00)) / 100
            first_amount = (amount * 6 / 10).quantize(Decimal("0.01"))
            award = self.uuid()
            self.add(
                "award",
                day,
                o.n,
                id=award,
                programme=str(rng.choice(list(FundingProgramme))),
                round=str(day.year),
                amount=amount,
                host=host,
            )
            if rng.random() < 0.8:
                first = day + timedelta(days=rng.randint(10, 60))
                self.add("disburse", first, o.n, id=award, tranche="首期", amount=first_amount)
                if rng.random() < 0.5:
                    last = first + timedelta(days=rng.randint(60, 300))
                    rest = amount - first_amount
                    self.add("disburse", last, o.n, id=award, tranche="尾款", amount=rest)

    def platforms(self) -> None:
        rng = self.rng
        county = self.j.county.code
        centre = self.uuid()
        self.add(
            "county_platform",
            self.day(0, 60),
            id=centre,
            kind=PlatformKind.COUNTY_CENTRE,
            code=county,
        )
        openings = []
        for t in self.j.townships():
            openings.append(("township_platform", PlatformKind.TOWNSHIP_PLATFORM, t.code))
            if rng.random() < 0.3:
                openings.append(("township_platform", PlatformKind.INCUBATOR, t.code))
        for v in self.j.villages():
            if rng.random() < 0.6:
                openings.append(("village_platform", PlatformKind.VILLAGE_STATION, v.code))
        for kind, platform_kind, code in openings:
            opened = self.day(0, self.span // 2)
            closed = opened + timedelta(days=rng.randint(200, 900))
            pid = self.uuid()
            self.add(kind, opened, id=pid, kind=platform_kind, code=code)
            if rng.random() < 0.1:
                self.add(kind, closed, id=pid, close=True, code=code)


# ------------------------------------------------------------------ writing the plan


def usci(serial: int, form: str, division: str) -> str:
    first17 = f"5{form}{division}MJ{serial:07d}"
    return first17 + check_character(first17)


def report_fields(**known: Any) -> dict[str, Any]:
    """The fields ``IssuedReport.Issued`` declares, from ``known`` (the event gains fields
    as the audit features grow; a new one without a value here stops the benchmark by name)."""
    declared = set(IssuedReport.Issued.__annotations__)
    missing = declared - set(known)
    if missing:
        raise SystemExit(
            f"IssuedReport.Issued now declares {sorted(missing)}: teach bench/rebuild.py"
        )
    return {k: v for k, v in known.items() if k in declared}


FORMS = ("1",) * 58 + ("2",) * 37 + ("3",) * 1 + ("9",) * 4


class Writer:
    """Turns the plan into domain events, day by day and tier by tier, and saves them in
    batches through each tier's application (``app.save(*aggregates)``)."""

    def __init__(
        self, apps: dict[str, TierApplication], j: Jurisdiction, plan: Plan, batch: int, seed: int
    ) -> None:
        self.apps = apps
        self.j = j
        self.plan = plan
        self.batch = batch
        self.rng = random.Random(f"{seed}-writer")
        self.county = j.county.code
        self.ops = {
            **{v.code: Actor(f"v-{v.code}", Tier.VILLAGE, v.code) for v in j.villages()},
            **{t.code: Actor(f"t-{t.code}", Tier.TOWNSHIP, t.code) for t in j.townships()},
            self.county: Actor("county-admin", Tier.COUNTY, self.county),
        }
        self.filings: dict[int, Filing] = {}
        self.registrations: dict[int, Registration] = {}
        self.inspections: dict[UUID, Inspection] = {}
        self.awards: dict[UUID, FundingAward] = {}
        self.platforms: dict[UUID, ServicePlatform] = {}
        self.pending: dict[Tier, dict[UUID, Agg]] = {t: {} for t in Tier}
        self.written: Counter[str] = Counter()
        self.saves = 0
        self.serial = 0

    def meta(self, actor: Actor, day: date) -> Meta:
        at = datetime.combine(
            day, clock_time(self.rng.randint(8, 19), self.rng.randint(0, 59)), CHINA
        )
        return Meta(actor, at, str(UUID(int=self.rng.getrandbits(128), version=4)))

    def village_op(self, o: Org) -> Actor:
        return self.ops[o.village]

    def township_op(self, o: Org) -> Actor:
        return self.ops[o.township]

    def stage(self, tier: Tier, aggregate: Agg) -> None:
        pending = self.pending[tier]
        pending[aggregate.id] = aggregate
        if len(pending) >= self.batch:
            self.flush(tier)

    def flush(self, tier: Tier) -> None:
        pending = self.pending[tier]
        if pending:
            self.apps[str(tier)].save(*pending.values())
            self.saves += 1
            pending.clear()

    def run(self, progress: Callable[[int], None]) -> None:
        plan = self.plan
        done_before = 0
        day = plan.start
        while day <= plan.end:
            actions = plan.actions.get(day, [])
            for action in actions:
                if action.tier_order == 0:
                    self.write(action)
            for org in plan.activities.get(day, ()):
                self.report_activity(plan.orgs[org], day)
            for action in actions:
                if action.tier_order > 0:
                    self.write(action)
            for tier in Tier:
                self.flush(tier)
            if (day - plan.start).days % CHECKPOINT_EVERY == 0 and day > plan.start:
                for tier in (Tier.VILLAGE, Tier.TOWNSHIP, Tier.COUNTY):
                    if self.apps[str(tier)].record_checkpoint(day, {}) is not None:
                        self.written["checkpoint"] += 1
            done = sum(self.written.values())
            if done - done_before >= 1:
                progress(done - done_before)
                done_before = done
            day += timedelta(days=1)
        self.finish()
        progress(sum(self.written.values()) - done_before)

    def finish(self) -> None:
        """What happens today: a division change recorded by the county, one issued report per
        tier (real commands of the applications)."""
        county = cast(CountyApplication, self.apps["county"])
        quiet = self.j.villages()[-1]
        rename = Change(DivisionChangeKind.RENAME, quiet.code, date.today(), name=f"{quiet.name}新")
        county.change_division(rename, self.meta(self.ops[self.county], self.plan.end))
        self.written["division_change"] += 1
        township = self.j.townships()[0]
        village = self.j.villages(township.code)[0]
        for tier, code in (
            (Tier.VILLAGE, village.code),
            (Tier.TOWNSHIP, township.code),
            (Tier.COUNTY, self.county),
        ):
            fields = report_fields(
                title="基准报表",
                division_code=code,
                as_of=self.plan.end,
                period_from=self.plan.end.replace(month=1, day=1),
                period_to=self.plan.end,
                period_label=f"{self.plan.end.year}年初至{self.plan.end.isoformat()}",
                tree="as_of",
                known_at=None,
                watermarks={s: 0 for s in SOURCES},
                rule_versions={"density": "density/v1"},
                content_hash="sha256:" + "0" * 64,
            )
            meta = Meta(self.ops[code], datetime.now(UTC), f"bench-report-{tier}")
            self.apps[str(tier)].issue_report(meta, **fields)
            self.written["report"] += 1

    def report_activity(self, o: Org, day: date) -> None:
        rng = self.rng
        participants = rng.randint(5, 80)
        volunteers = rng.randint(0, participants // 3)
        activity = Activity.report(
            UUID(int=rng.getrandbits(128), version=4),
            self.meta(self.village_op(o), day),
            organisation_id=o.id,
            village_code=o.village,
            occurred_on=day,
            field=o.field,
            participants=participants,
            volunteers=volunteers,
            volunteer_services=rng.randint(0, volunteers),
            volunteer_hours=Decimal(rng.randint(0, 4000)) / 100,
            beneficiaries=rng.randint(0, 300),
            money_spent=Decimal(rng.randint(0, 100_000)) / 100,
            # version 2 and 3 fields (ADR 0019, 0021): no themes, mediation or named volunteers
            themes=[],
            cases_taken=None,
            cases_resolved=None,
            volunteer_ids=[],
        )
        self.stage(Tier.VILLAGE, activity)
        self.written["activity"] += 1

    def write(self, a: Action) -> None:
        o = self.plan.orgs[a.org] if a.org >= 0 else None
        d = a.data
        kind = a.kind
        if kind == "apply":
            assert o is not None
            group = GroupRecord.apply_for_filing(
                o.id,
                self.meta(self.village_op(o), a.day),
                village_code=o.village,
                name=o.name,
                field=o.field,
                founded_on=a.day - timedelta(days=self.rng.randint(30, 3000)),
                category=o.category,
            )
            self.stage(Tier.VILLAGE, group)
        elif kind in ("file", "reject"):
            assert o is not None
            m = self.meta(self.township_op(o), a.day)
            if kind == "file":
                number = f"BA{o.village}{o.id.hex[:6].upper()}"
                filing = Filing.file(o.id, o.village, number, o.name, o.field, m)
                self.filings[o.n] = filing
            else:
                filing = Filing.reject(o.id, o.village, "材料不全", m)
            self.stage(Tier.TOWNSHIP, filing)
        elif kind == "township_charter":
            assert o is not None
            filing = self.filings[o.n]
            filing.approve_charter(d["party"], True, self.meta(self.township_op(o), a.day))
            self.stage(Tier.TOWNSHIP, filing)
        elif kind == "cancel":
            assert o is not None
            filing = self.filings[o.n]
            filing.cancel("停止活动", self.meta(self.township_op(o), a.day))
            self.stage(Tier.TOWNSHIP, filing)
        elif kind == "inspect":
            assert o is not None
            inspection = Inspection.record(
                d["id"],
                self.meta(self.township_op(o), a.day),
                organisation_id=o.id,
                village_code=o.village,
                result=d["result"],
                findings="" if d["result"] == "compliant" else "台账不全",
                inspectors=["张", "李"],
            )
            if d["result"] == InspectionResult.RECTIFICATION_ORDERED:
                self.inspections[d["id"]] = inspection
            self.stage(Tier.TOWNSHIP, inspection)
        elif kind == "rectify":
            assert o is not None
            inspection = self.inspections.pop(d["id"])
            inspection.complete_rectification(self.meta(self.township_op(o), a.day))
            self.stage(Tier.TOWNSHIP, inspection)
        elif kind == "register":
            assert o is not None
            self.serial += 1
            code = usci(self.serial, self.rng.choice(FORMS), o.village[:6])
            reg = Registration.register(
                o.id,
                self.meta(self.ops[self.county], a.day),
                village_code=o.village,
                usci=code,
                name=o.name if d["upgraded"] else f"{o.name}服务中心",
                legal_form=str(civil_affairs_legal_form(code)),
                field=o.field,
                upgraded_from_filing=d["upgraded"],
                category=o.category,
            )
            self.registrations[o.n] = reg
            self.stage(Tier.COUNTY, reg)
        elif kind in ("county_charter", "party", "annual", "rate", "list", "delist", "exit"):
            assert o is not None
            reg = self.registrations[o.n]
            m = self.meta(self.ops[self.county], a.day)
            if kind == "county_charter":
                reg.approve_charter(d["party"], True, m)
            elif kind == "party":
                reg.set_up_party_organisation(str(d["kind"]), m)
            elif kind == "annual":
                reg.file_annual_report(d["year"], m)
            elif kind == "rate":
                try:  # grades are valid 5 years (as CountyApplication.rate)
                    valid = a.day.replace(year=a.day.year + 5)
                except ValueError:
                    valid = a.day.replace(year=a.day.year + 5, day=28)
                reg.rate(
                    m,
                    credit=d["credit"],
                    grade=d["grade"],
                    grade_valid_until=valid if d["grade"] else None,
                    stars=d["stars"],
                )
            elif kind == "list":
                reg.enter_credit_list(d["credit_list"], "未按时报送年报", m)
            elif kind == "delist":
                reg.leave_credit_list(d["credit_list"], "已整改", m)
            elif d["kind"] == "deregister":
                reg.deregister("自愿注销", m)
            else:
                reg.revoke("长期未开展活动", m)
            self.stage(Tier.COUNTY, reg)
        elif kind == "award":
            assert o is not None
            award = FundingAward.award(
                d["id"],
                self.meta(self.ops[self.county], a.day),
                organisation_id=o.id,
                village_code=o.village,
                programme=d["programme"],
                round=d["round"],
                project=f"{o.name}项目",
                amount=d["amount"],
                host_organisation_id=d["host"],
            )
            self.awards[d["id"]] = award
            self.stage(Tier.COUNTY, award)
        elif kind == "disburse":
            award = self.awards[d["id"]]
            award.disburse(d["tranche"], d["amount"], self.meta(self.ops[self.county], a.day))
            self.stage(Tier.COUNTY, award)
        elif kind.endswith("_platform"):
            tier = KIND_TIER[kind]
            m = self.meta(self.ops[d["code"]], a.day)  # the operator of the division it sits in
            if d.get("close"):
                platform = self.platforms[d["id"]]
                platform.close("合并", m)
            else:
                platform = ServicePlatform.open_in(
                    d["id"], m, division_code=d["code"], kind=str(d["kind"]), name="服务站点"
                )
                self.platforms[d["id"]] = platform
            self.stage(tier, platform)
        else:
            raise ValueError(f"unknown action {kind}")
        self.written[kind] += 1


# ------------------------------------------------------------------ measurements


@dataclass
class Phase:
    name: str
    events: int
    seconds: float
    cores: dict[str, float]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def cores_line(self) -> str:
        ours = {k: v for k, v in self.cores.items() if k not in (MACHINE, IRQ, STEAL)}
        parts = ", ".join(f"{k} {v:.2f}" for k, v in sorted(ours.items()))
        return (
            f"{parts}, interrupts {self.cores.get(IRQ, 0.0):.2f}, other work "
            f"{other_work(self.cores):.2f}, steal {self.cores.get(STEAL, 0.0):.2f}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "seconds": round(self.seconds, 2),
            "events_per_second": round(self.rate, 1),
            "cores": {k: round(v, 3) for k, v in self.cores.items()},
            "other_work_cores": round(other_work(self.cores), 3),
            **self.extra,
        }


class Meter:
    def __init__(self, meter: CpuSampler) -> None:
        self.meter = meter
        self.phases: dict[str, Phase] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[Phase]:
        phase = Phase(name, 0, 0.0, {})
        say(f"{name} ...")
        self.meter.start()
        started = time.perf_counter()
        try:
            yield phase
        finally:
            phase.seconds = time.perf_counter() - started
            phase.cores = self.meter.stop()
            self.phases[name] = phase
        say(
            f"{name}: {phase.events:,} events in {phase.seconds:,.1f} s = {phase.rate:,.0f}/s "
            f"(cores: {phase.cores_line()})"
        )


class Ticker:
    """Progress lines to stderr, at most every ``every`` seconds."""

    def __init__(self, label: str, total: int, every: float = 15.0) -> None:
        self.label, self.total, self.every = label, max(1, total), every
        self.done = 0
        self.started = self.last = time.monotonic()

    def __call__(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.every or self.done >= self.total:
            self.last = now
            rate = self.done / max(now - self.started, 1e-9)
            left = (self.total - self.done) / rate if rate else 0.0
            say(
                f"  {self.label}: {self.done:,}/{self.total:,} ({self.done / self.total:.0%}), "
                f"{rate:,.0f}/s, about {left / 60:.1f} min left"
            )


class TickingReader(AppSourceReader):
    """The live projector's source reader, with a progress tick per page read."""

    def __init__(self, apps: dict[str, TierApplication], tick: Callable[[int], None]) -> None:
        super().__init__(apps)
        self.tick = tick

    def read(self, source: str, after: int, limit: int) -> list[Envelope]:
        envelopes = super().read(source, after, limit)
        self.tick(len(envelopes))
        return envelopes


def heads(apps: dict[str, TierApplication]) -> dict[str, int]:
    return {s: apps[s].recorder.max_notification_id() or 0 for s in SOURCES}


def library_read(apps: dict[str, TierApplication]) -> tuple[int, float, float]:
    """Every notification of every store through the library: ``select_notifications`` pages,
    then ``mapper.to_domain_event`` for each. Returns (events, select seconds, decode seconds)."""
    events, selecting, decoding = 0, 0.0, 0.0
    for source in SOURCES:
        app = apps[source]
        after = 0
        while True:
            t0 = time.perf_counter()
            page = app.recorder.select_notifications(after, PAGE, inclusive_of_start=False)
            t1 = time.perf_counter()
            for n in page:
                app.mapper.to_domain_event(n)
            t2 = time.perf_counter()
            selecting += t1 - t0
            decoding += t2 - t1
            if not page:
                break
            events += len(page)
            after = page[-1].id
    return events, selecting, decoding


def psycopg_read(url: str) -> tuple[int, int]:
    """``SELECT *`` of every events table through a server-side cursor: (rows, bytes of state)."""
    rows = size = 0
    with psycopg.connect(url) as conn:
        for source in SOURCES:
            with conn.cursor(name=f"bench_{source}") as cur:
                cur.itersize = PAGE
                cur.execute(
                    f'SELECT * FROM "sanji_{source}".{source}_events ORDER BY notification_id'
                )
                state = -1
                while batch := cur.fetchmany(PAGE):
                    if state < 0:
                        state = [c.name for c in cur.description or ()].index("state")
                    rows += len(batch)
                    size += sum(len(r[state]) for r in batch)
    return rows, size


def envelope_read(reader: AppSourceReader) -> int:
    """What the rebuild reads, without applying it: every store as integration envelopes."""
    events = 0
    for source in SOURCES:
        after = 0
        while envelopes := reader.read(source, after, PAGE):
            events += len(envelopes)
            after = envelopes[-1].position
    return events


def table_summary(digests: dict[str, TableDigest]) -> list[tuple[str, int, str]]:
    return [(t, d.rows, d.digest) for t, d in digests.items()]


def drop(db: Database) -> None:
    if isinstance(db, PostgresDatabase):
        with db.transaction() as tx:
            tx.execute(f'DROP SCHEMA "{db.schema}" CASCADE')


# ------------------------------------------------------------------ run


QUICK = {"events": 8000, "townships": 4, "villages": 10, "years": 2, "known_at_runs": 3}


def reproduced_report(
    reader: AppSourceReader,
    j: Jurisdiction,
    county: str,
    as_of: date,
    period: Any,
    rules: Any,
    marks: dict[str, int],
    history: AuditHistory,
) -> Any:
    """What ``shared.audit.issued.reproduce`` computes for a report issued at ``marks``."""
    return reproduced_at(
        reader, j, county, as_of, period, rules, "as_of", until=marks, history=history
    )


def main(argv: list[str] | None = None) -> int:
    parser = cli()
    args = parse(parser, QUICK, argv)
    out = Output("rebuild", args.json)
    results: dict[str, Any] = {}
    with out.human():
        status = run(args, results)
    out.add(*measures(results))
    out.emit()
    return status


def measures(results: dict[str, Any]) -> list[Measure]:
    """Rates against the library's read rate in the same run; the known-at report against the
    same report from the live read model."""
    phases: dict[str, Phase] = results["phase_objects"]
    events = sum(results["events_per_store"].values())
    lib = phases["library read (select_notifications + to_domain_event)"].rate
    what = "library read + decode"
    out = [
        Measure(sized(name, events), phases[phase].rate, "events/s", what, lib, events)
        for name, phase in (
            ("rebuild_rate", "rebuild"),
            ("live_projector_rate", "live projector"),
            ("envelope_read_rate", "envelope read (AppSourceReader.read)"),
            ("verify_rate", "verify"),
        )
    ]
    out.append(
        Measure(
            sized("rebuild_compare_equal", events),
            1.0 if results["compare"]["equal"] else 0.0,
            "(1 = equal)",
        )
    )
    known = results.get("known_at")
    if known:
        live_ms = statistics.median(known["baseline_ms"])
        live_what = "same report from the live read model"
        history = phases.get("audit history build")
        if history is not None:
            out.append(
                Measure(
                    sized("audit_history_build_rate", events), history.rate, "events/s", what, lib
                )
            )
        out.append(
            Measure(
                sized("known_at_report", events),
                statistics.median(known["ms"]),
                "ms",
                live_what,
                live_ms,
                events,
            )
        )
        if known.get("replay_ms"):
            out.append(
                Measure(
                    sized("known_at_report_replay", events),
                    statistics.median(known["replay_ms"]),
                    "ms",
                    live_what,
                    live_ms,
                )
            )
        out.append(
            Measure(
                sized("known_at_equal_replay", events),
                1.0 if known["equal_to_replay"] else 0.0,
                "(1 = same hash)",
            )
        )
        out.append(
            Measure(
                sized("reproduce_at_watermarks", events),
                statistics.median(known["reproduce_ms"]),
                "ms",
                live_what,
                live_ms,
            )
        )
        out.append(
            Measure(
                sized("reproduce_equal_live", events),
                1.0 if known["reproduced_equal_live"] else 0.0,
                "(1 = same hash)",
            )
        )
    return out


def cli() -> argparse.ArgumentParser:
    parser = measures_parser(__doc__)
    parser.add_argument(
        "--known-at-runs", type=int, default=3, help="known-at reports timed (median reported)"
    )
    parser.add_argument(
        "--known-at-replays",
        type=int,
        default=1,
        help="known-at reports by the full replay, for comparison (about 80 s each at 1M events)",
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the 3 stores")
    parser.add_argument("--townships", type=int, default=10)
    parser.add_argument("--villages", type=int, default=30, help="villages per township")
    parser.add_argument("--years", type=int, default=3, help="years of history")
    parser.add_argument("--batch", type=int, default=200, help="aggregates per app.save()")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--url", help="use this PostgreSQL database instead of starting one")
    parser.add_argument("--keep", action="store_true", help="leave the cluster and data running")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="the install's data directory (its signing key) with --url: the one a --keep run"
        " printed, so verify checks the stored links with the key that signed them",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="JSON results (default var/bench/rebuild-*.json)"
    )
    return parser


def known_at_timings(
    apps: dict[str, TierApplication],
    live: Database,
    j: Jurisdiction,
    history: AuditHistory,
    marks: dict[str, int],
    runs: int,
    replays: int,
) -> dict[str, Any]:
    """The county report as known at the recorded-time middle of the stores (the recorded time
    of the village store's middle event: the generator records every event now, whatever its
    simulated day), from the audit history (ADR 0031); interleaved, before each, the same
    report from the live read model; then the same report by the full replay it replaced
    (``replays`` times), which must hash the same. And an issued report's reproduction: the
    report at the live read model's watermarks from the history, which must hash as the live
    report does. ms per run."""
    reader = AppSourceReader(apps)
    middle = max(1, reader.head("village") // 2)
    known_at = reader.read("village", middle - 1, 1)[0].recorded_at
    as_of, period = resolve(datetime.now(CHINA).date())
    rules = load_rules().in_force(as_of)
    county = j.county.code
    ms: list[float] = []
    baseline_ms: list[float] = []
    reproduce_ms: list[float] = []
    replay_ms: list[float] = []
    report = None
    for _ in range(runs):
        t0 = time.perf_counter()
        live_report = report_on(live, j, county, as_of, period, rules, "as_of")
        t1 = time.perf_counter()
        report = known_at_report(
            reader, j, county, as_of, period, rules, "as_of", known_at, history
        )
        t2 = time.perf_counter()
        at_marks = reproduced_report(reader, j, county, as_of, period, rules, marks, history)
        t3 = time.perf_counter()
        baseline_ms.append((t1 - t0) * 1000)
        ms.append((t2 - t1) * 1000)
        reproduce_ms.append((t3 - t2) * 1000)
    assert report is not None
    replayed = None
    for _ in range(replays):
        t0 = time.perf_counter()
        replayed = known_at_report(reader, j, county, as_of, period, rules, "as_of", known_at)
        replay_ms.append((time.perf_counter() - t0) * 1000)
    equal = replayed is None or content_hash(replayed) == content_hash(report)
    reproduced = content_hash(at_marks) == content_hash(live_report)
    say(
        f"known-at report (known at {known_at:%Y-%m-%d %H:%M:%S.%f} recorded time) from the audit "
        f"history: {', '.join(f'{x:,.0f}' for x in ms)} ms; from the live read model "
        f"{', '.join(f'{x:,.0f}' for x in baseline_ms)} ms; by the full replay "
        f"{', '.join(f'{x:,.0f}' for x in replay_ms)} ms ("
        + ("same hash" if equal else "HASH DIFFERS")
        + f"); at the live watermarks from the history {', '.join(f'{x:,.0f}' for x in reproduce_ms)}"
        f" ms (" + ("same hash as live" if reproduced else "HASH DIFFERS from live") + ")"
        f"; answered from the history {history.served}, by the replay {history.replayed}"
    )
    return {
        "known_at": known_at.isoformat(),
        "ms": ms,
        "baseline_ms": baseline_ms,
        "replay_ms": replay_ms,
        "reproduce_ms": reproduce_ms,
        "equal_to_replay": equal,
        "reproduced_equal_live": reproduced,
        "served_by_history": history.served,
        "served_by_replay": history.replayed,
    }


def run(args: argparse.Namespace, results: dict[str, Any]) -> int:
    """The exit status, after printing; ``results`` gets the figures (also written as JSON)."""
    command = "python -m bench.rebuild " + shlex.join(sys.argv[1:])
    began = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    out_path: Path = args.out or Path("var/bench") / f"rebuild-{stamp}.json"
    say(f"load average before the run: {os.getloadavg()[0]:.2f}")

    work = Path(tempfile.mkdtemp(prefix="sanji-bench-rebuild-"))
    work.chmod(0o755)  # as root the cluster runs as `postgres`, which must reach work/pg
    pg: LocalPostgres | None = None
    keep_cluster = args.keep
    # A rerun on a kept cluster signs and verifies with the key of the run that kept it.
    data: Path = args.data or work / "data"
    ok = False
    results.update({"command": command, "started": stamp})
    known: dict[str, Any] = {}
    try:
        if args.url:
            url = args.url
        else:
            pg = LocalPostgres(work / "pg").start()
            url = pg.url()
        shape = Shape(townships=args.townships, villages=args.villages, seed=args.seed)
        csv = work / "county.csv"
        write_jurisdiction(shape, csv)
        j = load(csv)
        settings = Settings(
            persistence="postgres",
            postgres_url=url,
            data_dir=data,
            jurisdiction_file=csv,
            demo=False,
        )
        initialise(settings, say=False)
        with psycopg.connect(url, autocommit=True) as conn:
            server = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
            data_dir = Path(str(conn.execute("SHOW data_directory").fetchone()[0]))  # type: ignore[index]
        try:
            postmaster: int | None = postmaster_pid(data_dir)
        except OSError:
            postmaster = None
        meter = Meter(CpuSampler(postmaster))
        county = j.county.code
        phases = meter.phases

        with stores(settings, j) as apps:
            # ---------------------------------------------------------- 1. generate
            existing = heads(apps)
            written: Counter[str] = Counter()
            plan: Plan | None = None
            if sum(existing.values()) == 0:
                say("planning the county's history")
                plan = Planner(j, args.events, args.years, args.seed).plan()
                say(
                    f"plan: {len(plan.orgs):,} organisations, {plan.events:,} events over "
                    f"{plan.start}..{plan.end} in {len(j.villages())} villages"
                )
                writer = Writer(apps, j, plan, args.batch, args.seed)
                with meter.phase("generate") as ph:
                    writer.run(Ticker("generate", plan.events))
                    ph.events = sum(writer.written.values())
                    ph.extra = {"saves": writer.saves, "batch": args.batch}
                written = writer.written
            else:
                say(f"stores already hold {existing}: reusing them, no generation")
            store_heads = heads(apps)
            total = sum(store_heads.values())
            say(f"stores: {store_heads} = {total:,} events")

            # ---------------------------------------------------------- 2. live read model
            live = open_database(settings.readmodel_url(Tier.COUNTY))
            try:
                tick = Ticker("live projector", total, every=30.0)
                projector = Projector(
                    live, county, TickingReader(apps, tick), name="county-projector"
                )
                before = projector.positions()
                tick.done = sum(before.values())
                per_source: dict[str, dict[str, float]] = {}
                with meter.phase("live projector") as ph:
                    for source in SOURCES:
                        t0 = time.perf_counter()
                        applied = projector.catch_up(source)
                        seconds = time.perf_counter() - t0
                        per_source[source] = {
                            "events": applied,
                            "seconds": round(seconds, 2),
                            "events_per_second": round(applied / seconds, 1) if seconds else 0,
                        }
                        ph.events += applied
                    ph.extra = {"per_source": per_source, "already_applied": before}

                # ------------------------------------------------------ 3. raw read baselines
                with meter.phase("raw SELECT (psycopg)") as ph:
                    ph.events, state_bytes = psycopg_read(url)
                    ph.extra = {"state_bytes": state_bytes}
                with meter.phase("library read (select_notifications + to_domain_event)") as ph:
                    ph.events, selecting, decoding = library_read(apps)
                    ph.extra = {
                        "select_seconds": round(selecting, 2),
                        "decode_seconds": round(decoding, 2),
                        "select_only_events_per_second": round(ph.events / selecting, 1),
                    }
                with meter.phase("envelope read (AppSourceReader.read)") as ph:
                    ph.events = envelope_read(AppSourceReader(apps))

                # ------------------------------------------------------ 4. rebuild and compare
                with meter.phase("digest live") as ph:
                    with live.snapshot() as tx:
                        marks = watermarks(tx)
                        live_tables = digest_tables(tx)
                    ph.events = sum(d.rows for d in live_tables.values())
                say(f"live watermarks {marks} (store heads {store_heads})")
                target_url = settings.rebuild_readmodel_url(Tier.COUNTY, stamp)
                target = open_database(target_url)
                try:
                    tick = Ticker("rebuild", sum(marks.values()), every=30.0)
                    with meter.phase("rebuild") as ph:
                        applied_marks = rebuild(
                            target, AppSourceReader(apps), county, until=marks, progress=tick
                        )
                        ph.events = tick.done
                    with meter.phase("digest rebuilt") as ph:
                        with target.snapshot() as tx:
                            rebuilt_tables = digest_tables(tx)
                        ph.events = sum(d.rows for d in rebuilt_tables.values())
                    comparison = compare(live_tables, rebuilt_tables)
                finally:
                    if not args.keep:
                        drop(target)
                    target.close()

                # ------------------------------------------------------ 5. verify
                tick_v: dict[str, Ticker] = {}

                def verify_progress(label: str, n: int) -> Callable[[int], None]:
                    tick_v[label] = Ticker(label, n, every=30.0)
                    return tick_v[label]

                with meter.phase("verify") as ph:
                    audit = verify_stores(apps, {"county": live}, verify_progress)
                    ph.events = sum(v.events for v in audit.verifications.values())
                    ph.extra = {"heads_checked": audit.heads_checked}

                # ------------------------------------------------------ 6. known-at report
                if args.known_at_runs > 0:
                    # The audit history (ADR 0031): built from the stores, as the tier
                    # builds it in the background, then read per request.
                    history = AuditHistory(
                        work / "county-audit-history.db", AppSourceReader(apps), county
                    )
                    tick = Ticker("audit history", total, every=30.0)
                    with meter.phase("audit history build") as ph:
                        ph.events = history.catch_up(progress=tick)
                        ph.extra = {"bytes": history.path.stat().st_size}
                    with meter.phase("known-at report") as ph:
                        known = known_at_timings(
                            apps, live, j, history, marks, args.known_at_runs, args.known_at_replays
                        )
            finally:
                live.close()
        at_heads = all(marks.get(s, 0) == store_heads[s] for s in SOURCES)
        ok = comparison.equal and audit.ok and applied_marks == marks and at_heads
    finally:
        if pg is not None and not keep_cluster:
            pg.stop()
            shutil.rmtree(work, ignore_errors=True)
        elif pg is not None:
            # also after a failure: rerun with --url to reuse the stores and the live read model
            say(f"cluster left running: --url {pg.url()} --data {data} (cluster in {pg.dir})")

    # ------------------------------------------------------------------ summary
    out = print
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    raw = phases["raw SELECT (psycopg)"]
    lib = phases["library read (select_notifications + to_domain_event)"]
    env = phases["envelope read (AppSourceReader.read)"]
    reb = phases["rebuild"]
    live_ph = phases["live projector"]
    out()
    out("=" * 100)
    out("rebuild and compare on PostgreSQL")
    out("=" * 100)
    out(f"command: {command}")
    out(
        f"machine: {os.cpu_count()} cores, {ram:.0f} GiB, Python {sys.version.split()[0]}, "
        f"PostgreSQL {server} " + ("(throwaway cluster, default settings)" if pg else "(--url)")
    )
    out(
        f"county: {len(j.townships())} townships, {len(j.villages())} villages/communities"
        + (f"; {len(plan.orgs):,} organisations, history {plan.start}..{plan.end}" if plan else "")
    )
    out(
        "events per store: "
        + ", ".join(f"{s} {store_heads[s]:,}" for s in SOURCES)
        + f"; total {total:,}"
    )
    if written:
        out("events by kind: " + ", ".join(f"{k} {v:,}" for k, v in written.most_common()))
    out()
    out(f"{'phase':<58}{'events':>11}{'seconds':>9}{'events/s':>10}  {'vs library read':>15}")
    for name, ph in phases.items():
        ratio = f"{ph.rate / lib.rate:.3f}" if lib.rate and not name.startswith("digest") else ""
        unit = "rows" if name.startswith("digest") else ""
        out(f"{name:<58}{ph.events:>11,}{ph.seconds:>9.1f}{ph.rate:>10,.0f}  {ratio:>15} {unit}")
    sel = lib.extra["select_only_events_per_second"]
    out(
        f"library read split: select_notifications alone {sel:,.0f}/s "
        f"({lib.extra['select_seconds']:.1f} s), to_domain_event {lib.extra['decode_seconds']:.1f} s"
    )
    out(
        f"rebuild rate / library read rate = {reb.rate / lib.rate:.3f}; rebuild / envelope read "
        f"= {reb.rate / env.rate:.3f}; rebuild / raw SELECT = {reb.rate / raw.rate:.3f}; "
        f"rebuild / live projector = {reb.rate / live_ph.rate if live_ph.rate else 0:.1f}x"
    )
    if live_ph.extra.get("per_source"):
        out(
            "live projector per source: "
            + ", ".join(
                f"{s} {v['events']:,} at {v['events_per_second']:,.0f}/s"
                for s, v in live_ph.extra["per_source"].items()
            )
        )
    out()
    out(f"cores during each phase (of {os.cpu_count()}):")
    for name, ph in phases.items():
        out(f"  {name:<56}{ph.cores_line()}")
    out()
    verdict = "EQUAL" if comparison.equal else f"{len(comparison.differences):,} rows DIFFER"
    out(
        f"compare (live watermarks {marks}"
        + ("" if at_heads else f", NOT at the store heads {store_heads}")
        + f"; rebuilt to {applied_marks}): {verdict}"
    )
    out(f"  {'table':<18}{'rows live':>11}{'rows rebuilt':>14}  sha256 (live / rebuilt)")
    for t in comparison.summary():
        mark = "=" if t["equal"] else "≠"
        same = t["sha256_live"] == t["sha256_rebuilt"]
        digest_text = t["sha256_live"][:16] + ("" if same else " / " + t["sha256_rebuilt"][:16])
        out(f"{mark} {t['table']:<18}{t['rows_live']:>11,}{t['rows_rebuilt']:>14,}  {digest_text}")
    for d in comparison.differences[:20]:
        out(f"DIFF {d.table} {d.key}\n    live:    {d.live}\n    rebuilt: {d.rebuilt}")
    out(
        f"verify: {'OK, no event altered' if audit.ok else f'{len(audit.findings)} FINDINGS'}; "
        + ", ".join(
            f"{s} {v.events:,} events / {v.links:,} links" for s, v in audit.verifications.items()
        )
        + f"; {audit.heads_checked} chain heads held elsewhere checked"
    )
    for finding in audit.findings[:20]:
        out(f"  FINDING {finding}")
    wall = time.monotonic() - began
    out(f"\ntotal wall time {wall:,.0f} s")

    results.update(
        {
            "ok": ok,
            "machine": {
                "cores": os.cpu_count(),
                "ram_gib": round(ram),
                "python": sys.version.split()[0],
                "postgres": server,
            },
            "county": {"townships": len(j.townships()), "villages": len(j.villages())},
            "organisations": len(plan.orgs) if plan else None,
            "events_per_store": store_heads,
            "events_by_kind": dict(written),
            "phases": {name: ph.to_dict() for name, ph in phases.items()},
            "ratios": {
                "rebuild_over_library_read": round(reb.rate / lib.rate, 4),
                "rebuild_over_envelope_read": round(reb.rate / env.rate, 4),
                "rebuild_over_raw_select": round(reb.rate / raw.rate, 4),
                "rebuild_over_live_projector": round(reb.rate / live_ph.rate, 2)
                if live_ph.rate
                else None,
            },
            "compare": {
                "equal": comparison.equal,
                "watermarks": marks,
                "rebuilt_to": applied_marks,
                "tables": comparison.summary(),
                "differences": [d.__dict__ for d in comparison.differences[:100]],
            },
            "verify": audit.to_dict(),
            "known_at": known,
            "wall_seconds": round(wall, 1),
        }
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n")
    results["phase_objects"] = phases  # for the measures, not the JSON file
    out(f"results: {out_path}")
    if keep_cluster and pg is not None:
        out(
            f"cluster left running: --url {url} --data {data}  (cluster in {pg.dir}; stop it with "
            f"runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D {pg.dir} stop)"
        )
    if not ok:
        out("FAILED: the rebuilt read model differs from the live one, or verify found events")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
