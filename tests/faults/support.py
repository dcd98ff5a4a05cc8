"""What the fault tests share: waiting on conditions, a ledger of accepted commands, an HTTP
operator client with safe retries, the production topology, and the final reconciliation.

Every fault test ends in :func:`reconcile`: nothing lost, nothing doubled, every tier's read
model equal to the others and to a rebuild from the source stores, and the county's additive
totals equal to what was commanded.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4

import httpx

from services.init import initialise
from services.platform import BOOTSTRAPS, Platform
from services.topology import LocalBroker, Topology, free_port
from shared.capabilities.identity.tokens import Keyring
from shared.infrastructure.projector import SourceReader
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import Database, open_database
from shared.infrastructure.transport.kafka import KafkaTransport
from shared.kernel.domain import Actor
from shared.kernel.integration.envelope import Envelope, topic_for
from shared.kernel.jurisdiction import Tier, load
from shared.kernel.periods import Period
from shared.kernel.rules import load_rules
from shared.reporting.reconcile import reconcile_division
from shared.reporting.report import additive_totals
from shared.tier.application import TierApplication
from shared.tier.projector import Projector
from shared.tier.runtime import AppSourceReader
from tests.helpers import (
    COUNTY,
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    VILLAGE_2,
    bearer,
    county_op,
    dump,
    today_cst,
    township_op,
    usci,
    usual_operators,
    village_op,
)

T = TypeVar("T")

# Every process of the topology signs and checks tokens with it (production refuses a short one).
SECRET = "sanji-fault-tests-secret-0123456789abcdefghijklmnop"
SOURCES = [str(t) for t in Tier]
APPLIED = "sanji.village.group.applied.v1"
REPORTED = "sanji.village.activity.reported.v1"
FILED = "sanji.township.filing.filed.v1"
REGISTERED = "sanji.county.organisation.registered.v1"
CLAIMED = "sanji.county.usci.claimed.v1"  # stored with each registration (ADR 0034)


def wait_for(check: Callable[[], T], timeout: float, what: str | Callable[[], str]) -> T:
    """Poll ``check`` until it returns something truthy; errors count as "not yet"."""
    deadline = time.monotonic() + timeout
    error: Exception | None = None
    while True:
        try:
            value = check()
            if value:
                return value
        except Exception as e:  # a database restarting, a broker away: retry
            error = e
        if time.monotonic() > deadline:
            described = what() if callable(what) else what
            raise AssertionError(
                f"not reached in {timeout:.0f}s: {described} (last error {error!r})"
            )
        time.sleep(0.1)


# ------------------------------------------------------------------ what was commanded


@dataclass
class Ledger:
    """Every command the test client saw accepted, to compare with the stores and reports."""

    applied: set[str] = field(default_factory=set)
    filed: set[str] = field(default_factory=set)
    registered: set[str] = field(default_factory=set)
    activities: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def book(self, kind: str, id: str, figures: dict[str, Any] | None = None) -> None:
        with self._lock:
            if kind == "activity":
                assert id not in self.activities, f"activity {id} accepted twice"
                self.activities[id] = figures or {}
            else:
                ids: set[str] = getattr(self, kind)
                assert id not in ids, f"{kind} {id} accepted twice"
                ids.add(id)

    def event_types(self) -> Counter[str]:
        """Integration events the stores must hold: one per accepted command."""
        return Counter(
            {
                APPLIED: len(self.applied),
                REPORTED: len(self.activities),
                FILED: len(self.filed),
                REGISTERED: len(self.registered),
                CLAIMED: len(self.registered),
            }
        )

    def totals(self) -> dict[str, int]:
        """The county's additive counters these commands must add up to."""
        acts = self.activities.values()

        def total(name: str) -> int:
            return sum(int(a[name]) for a in acts)

        return {
            "organisations.active": len(self.filed) + len(self.registered),
            "organisations.filed": len(self.filed),
            "organisations.registered": len(self.registered),
            "activity.activities": len(self.activities),
            "activity.participants": total("participants"),
            "activity.volunteers": total("volunteers"),
            "activity.volunteer_services": total("volunteer_services"),
            "activity.beneficiaries": total("beneficiaries"),
            "activity.volunteer_hours_centi": sum(
                int(Decimal(a["volunteer_hours"]) * 100) for a in acts
            ),
            "activity.money_fen": sum(int(Decimal(a["money_spent"]) * 100) for a in acts),
        }


# ------------------------------------------------------------------ operators over HTTP


class Rejected(AssertionError):
    pass


class Operators:
    """The three tier APIs as operators use them. Every command carries an Idempotency-Key and
    is retried with it on 5xx and connection errors (a database or process away), and on
    404/409 (another tier's fact not projected here yet: ADR 0001 eventual consistency)."""

    def __init__(
        self, ports: dict[Tier, int], tokens: dict[str, str], ledger: Ledger | None = None
    ) -> None:
        self.ports = ports
        self.tokens = tokens  # actor id → bearer token of its account (open_accounts)
        self.ledger = ledger or Ledger()
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()
        self._serial = 0
        self.retries = Counter[str]()
        self.random = random.Random(20261122)

    def _client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(timeout=15)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()

    def url(self, tier: Tier, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[tier]}{path}"

    def post(
        self, tier: Tier, path: str, body: dict[str, Any], actor: Actor, timeout: float = 90
    ) -> dict[str, Any]:
        headers = {
            "Authorization": "Bearer " + self.tokens[actor.id],
            "Idempotency-Key": uuid4().hex,
        }
        deadline = time.monotonic() + timeout
        while True:
            try:
                r = self._client().post(self.url(tier, path), json=body, headers=headers)
                if r.status_code in (200, 201):
                    result: dict[str, Any] = r.json()
                    return result
                # 404/409: another tier's fact not projected here yet; so is a 403 for a record
                # this tier does not know yet, below the county (ADR 0014).
                not_yet = r.status_code == 403 and "not known here yet" in r.text
                if r.status_code < 500 and r.status_code not in (404, 409) and not not_yet:
                    raise Rejected(f"{tier} {path}: {r.status_code} {r.text}")
                reason = str(r.status_code)
                last = f"{r.status_code} {r.text[:300]}"
            except httpx.TransportError as e:
                reason, last = type(e).__name__, repr(e)
            with self._lock:
                self.retries[reason] += 1
            if time.monotonic() > deadline:
                raise Rejected(f"{tier} {path}: still failing after {timeout:.0f}s: {last}")
            time.sleep(0.1)

    def get(self, tier: Tier, path: str, actor: Actor) -> httpx.Response:
        return self._client().get(
            self.url(tier, path), headers={"Authorization": "Bearer " + self.tokens[actor.id]}
        )

    # -------------------------------------------------------------- commands

    def apply(self, village: str = VILLAGE) -> str:
        body = {
            "village_code": village,
            "name": f"志愿队{uuid4().hex[:6]}",
            "field": "services",
            "founded_on": "2025-03-01",
        }
        org = str(
            self.post(Tier.VILLAGE, "/api/v1/filing-applications", body, village_op(village))[
                "organisation_id"
            ]
        )
        self.ledger.book("applied", org)
        return org

    def file(self, org: str, township: str = TOWNSHIP) -> None:
        path = f"/api/v1/organisations/{org}/filing-decision"
        self.post(Tier.TOWNSHIP, path, {"decision": "filed"}, township_op(township))
        self.ledger.book("filed", org)

    def activity(self, org: str, village: str = VILLAGE) -> str:
        with self._lock:
            r = self.random
            figures = {
                "occurred_on": today_cst().isoformat(),
                "field": "culture_sports",
                "participants": r.randint(1, 60),
                "volunteers": r.randint(0, 6),
                "volunteer_services": r.randint(0, 9),
                "volunteer_hours": f"{r.randint(0, 2000) / 100:.2f}",
                "beneficiaries": r.randint(0, 200),
                "money_spent": f"{r.randint(0, 99999) / 100:.2f}",
            }
        path = f"/api/v1/organisations/{org}/activities"
        activity = str(self.post(Tier.VILLAGE, path, figures, village_op(village))["id"])
        self.ledger.book("activity", activity, figures)
        return activity

    def register(self, village: str = VILLAGE_2) -> str:
        with self._lock:
            self._serial += 1
            serial = self._serial
        body = {
            "usci": usci(serial, "2"),
            "name": f"社工服务中心{serial}",
            "field": "charity",
            "village_code": village,
        }
        org = str(self.post(Tier.COUNTY, "/api/v1/registrations", body, county_op())["id"])
        self.ledger.book("registered", org)
        return org

    def filed_group(self, village: str = VILLAGE) -> str:
        """A group applied at its village and filed by its township (waits for projections)."""
        org = self.apply(village)
        self.file(org, village[:9] + "000")
        return org

    def burst(self, org: str, n: int, workers: int = 4) -> None:
        """``n`` commands on all three tiers, from ``workers`` threads: activities of ``org``,
        new filing applications, new registrations; every one retried until accepted."""
        plan: list[Callable[[], object]] = []
        for i in range(n):
            if i % 3 == 0:
                plan.append(lambda: self.activity(org))
            elif i % 3 == 1:
                plan.append(partial(self.apply, VILLAGE_2 if i % 2 else RURAL_VILLAGE))
            else:
                plan.append(self.register)
        run_all(plan, workers)

    def report(self, code: str = COUNTY) -> dict[str, Any]:
        r = self.get(Tier.COUNTY, f"/api/v1/reports/{code}", county_op())
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


def run_all(plan: Iterable[Callable[[], object]], workers: int) -> None:
    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(step) for step in plan]:
            future.result()


# ------------------------------------------------------------------ the stores, read directly


def open_accounts(settings: Settings) -> dict[str, str]:
    """Open the usual operators' accounts in the deployment's stores (as an admin would) and
    mint their tokens with the deployment's key: actor id → token."""
    stores = Stores(settings)
    keyring = Keyring(SECRET)
    try:
        return {
            actor.id: bearer(stores.apps[str(actor.tier)], keyring, actor)["Authorization"][7:]
            for actor in usual_operators(stores.jurisdiction)
        }
    finally:
        stores.close()


class Stores:
    """The tier event stores and read models of one deployment, opened by the test itself."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.jurisdiction = load(settings.jurisdiction_file)
        self.apps: dict[str, TierApplication] = {
            str(t): BOOTSTRAPS[t].APPLICATION(
                self.jurisdiction, env={**settings.event_store_env(t), "POSTGRES_POOL_SIZE": "1"}
            )
            for t in Tier
        }
        self.reader = AppSourceReader(self.apps)
        self.dbs: dict[Tier, Database] = {t: open_database(settings.readmodel_url(t)) for t in Tier}

    def close(self) -> None:
        for app in self.apps.values():
            app.close()
        for db in self.dbs.values():
            db.close()

    def heads(self) -> dict[str, int]:
        return {s: self.reader.head(s) for s in SOURCES}

    def positions(self, tier: Tier) -> dict[str, int]:
        with self.dbs[tier].transaction() as tx:
            rows = {r["source"]: r["position"] for r in tx.all("SELECT * FROM tracking")}
        return {s: int(rows.get(s, 0)) for s in SOURCES}

    def relay_position(self, tier: Tier) -> int:
        with self.dbs[tier].transaction() as tx:
            row = tx.one("SELECT position FROM relay_position WHERE source = %s", (str(tier),))
        return int(row["position"]) if row else 0

    def dead_letters(self, tier: Tier, include_resolved: bool = False) -> list[dict[str, Any]]:
        where = "" if include_resolved else " WHERE resolved_at IS NULL"
        with self.dbs[tier].transaction() as tx:
            return tx.all(f"SELECT * FROM dead_letter{where} ORDER BY source, position")

    def envelopes(self, source: str) -> list[Envelope]:
        return self.reader.read(source, 0, 1_000_000)

    def projected(self) -> bool:
        heads = self.heads()
        return all(self.positions(t) == heads for t in Tier)

    def lag(self) -> str:
        return f"heads {self.heads()}, " + ", ".join(
            f"{t}: {self.positions(t)} relay {self.relay_position(t)}" for t in Tier
        )


def reconcile(
    settings: Settings,
    ledger: Ledger | None = None,
    *,
    types: Counter[str] | None = None,
    totals: dict[str, int] | None = None,
    timeout: float = 60,
) -> dict[str, list[tuple[Any, ...]]]:
    """Wait until every tier has applied everything every store holds, then check: zero lost,
    zero doubled, all read models equal to each other and to a rebuild from the stores, and the
    county's additive totals equal to what was commanded. Returns the (common) dump."""
    stores = Stores(settings)
    try:
        wait_for(stores.projected, timeout, stores.lag)
        # Stores: exactly one event per accepted command (a retried command is not stored twice).
        # The daily chain checkpoints are recorded by the platform itself, not commanded.
        stored = Counter(
            e.type
            for s in SOURCES
            for e in stores.envelopes(s)
            # Accounts are opened by the test setup, not commanded (ADR 0012).
            if not e.type.endswith(".chain.checkpointed.v1") and ".account." not in e.type
        )
        expected_types = types if types is not None else (ledger.event_types() if ledger else None)
        if expected_types is not None:
            assert +stored == +expected_types, f"stored {stored}, commanded {expected_types}"
        expected_totals = totals if totals is not None else (ledger.totals() if ledger else None)
        live = check_read_models(
            {str(t): db for t, db in stores.dbs.items()},
            stores.reader,
            settings.postgres_url,
            expected_totals,
        )
        if ledger is not None:  # nothing lost, nothing doubled: the very rows commanded
            assert {row[0] for row in live["org"]} == ledger.applied | ledger.registered
            assert {row[0] for row in live["activity"]} == set(ledger.activities)
        return live
    finally:
        stores.close()


def check_read_models(
    dbs: dict[str, Database],
    reader: SourceReader,
    postgres_url: str,
    totals: dict[str, int] | None,
) -> dict[str, list[tuple[Any, ...]]]:
    """Read models that claim to be complete: every one at every source's head with no dead
    letter pending, all equal row for row, equal to a rebuild from the source stores, and with
    county totals equal to ``totals`` (and to the sum of the townships'). Returns the dump."""
    heads = {s: reader.head(s) for s in reader.names()}
    dumps = {}
    for name, db in dbs.items():
        with db.transaction() as tx:
            tracked = {r["source"]: r["position"] for r in tx.all("SELECT * FROM tracking")}
            pending = tx.all("SELECT * FROM dead_letter WHERE resolved_at IS NULL")
        assert {s: tracked.get(s, 0) for s in heads} == heads, f"{name} is not at the heads"
        assert pending == [], f"{name} has unresolved dead letters"
        dumps[name] = dump(db)
    first, live = next(iter(dumps.items()))
    for name, d in dumps.items():
        assert d == live, f"read model {name} differs from {first}"

    rebuilt = open_database(f"{postgres_url}?schema=rebuild_{uuid4().hex[:10]}")
    try:
        projector = Projector(rebuilt, COUNTY, reader, name="rebuild")
        for source in heads:
            projector.catch_up(source)
        assert dump(rebuilt) == live, "read models differ from a rebuild from the source stores"
    finally:
        rebuilt.close()

    if totals is not None:  # the county's additive totals are what was commanded
        j = load()
        day = today_cst()
        rules = load_rules().in_force(day)
        period = Period(day.replace(month=1, day=1), day)
        for name, db in dbs.items():
            got = additive_totals(db, j, COUNTY, day, period, rules)
            wrong = {k: (got[k], v) for k, v in totals.items() if got[k] != v}
            assert not wrong, f"{name}: county totals (got, commanded) {wrong}"
            # county = Σ townships (+ what sits at county level), every additive counter
            check = reconcile_division(db, j, COUNTY, day, period, rules)
            assert check["ok"], f"{name}: parent ≠ Σ children: {check['mismatches']}"
            assert check["divisions_checked"] == len(j.divisions)
    return live


# ------------------------------------------------------------------ deployments


@dataclass
class Deployment:
    """The production topology of processes (services.topology) on one database and broker."""

    topology: Topology
    settings: Settings
    broker: LocalBroker
    ops: Operators
    log_dir: Path

    @classmethod
    def start(cls, postgres_url: str, broker: LocalBroker, work: Path) -> Deployment:
        ports = {t: free_port() for t in Tier}
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            **{f"SANJI_{t.upper()}_PORT": str(p) for t, p in ports.items()},
            "SANJI_PERSISTENCE": "postgres",
            # Delivery is what these tests count; the daily checkpoint is tested on its own.
            "SANJI_DAILY_CHECKPOINT": "n",
            "SANJI_SUPERVISION_SECONDS": "0",  # no rule timers either (ADR 0007)
            # These tests drive load from a few operators; the per-account limit is tested in
            # tests/e2e/test_limits.py.
            "SANJI_RATE_LIMIT_PER_SECOND": "0",
            "SANJI_POSTGRES_URL": postgres_url,
            "SANJI_TRANSPORT": "kafka",
            "SANJI_KAFKA_BOOTSTRAP": broker.bootstrap,
            "SANJI_DATA_DIR": str(work / "data"),
            "SANJI_SECRET": SECRET,
            # eventsourcing opens POSTGRES_POOL_SIZE (default 5) connections per application
            # up front, and every process opens all three tiers' stores: 9 processes held ~180
            # connections. One each (overflow stays 10) keeps a topology within a shared server.
            "POSTGRES_POOL_SIZE": "1",
        }
        settings = Settings.from_env(env)
        initialise(settings, say=False)  # the init step, in this process (saves a start-up)
        tokens = open_accounts(settings)
        topology = Topology(env, work)
        deployment = cls(topology, settings, broker, Operators(ports, tokens), work)
        try:
            for role in ("relay", "projector", "api"):  # APIs last: each waits for /health
                for tier in Tier:
                    topology.start(tier, role)
        except BaseException:
            deployment.stop()
            print(deployment.logs())
            raise
        return deployment

    def stop(self) -> None:
        self.ops.close()
        self.topology.stop_all()

    def logs(self, lines: int = 25) -> str:
        out = []
        for log in sorted(self.log_dir.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"----- {log.name}\n" + "\n".join(tail))
        return "\n".join(out)

    def restart(self, tier: Tier, role: str) -> None:
        self.topology.start(tier, role)


def in_process_platform(postgres_url: str, broker: LocalBroker, data_dir: Path) -> Platform:
    """The three tiers in this process, on PostgreSQL and the Kafka transport."""
    settings = Settings(
        persistence="postgres",
        postgres_url=postgres_url,
        transport="kafka",
        kafka_bootstrap=broker.bootstrap,
        data_dir=data_dir,
        secret=SECRET,
        daily_checkpoint=False,  # delivery is what these tests count
        supervision_seconds=0,
    )
    initialise(settings, say=False)
    return Platform.build(settings)


def close_platform(p: Platform) -> None:
    p.stop()
    for rt in p.tiers.values():
        producer = getattr(rt.relay, "_producer", None)
        if producer is not None and hasattr(producer, "close"):
            producer.close()


def settle(p: Platform, timeout: float = 30) -> None:
    """Relay and project over the real broker until every tier has applied every store's head
    (``Platform.drain`` polls with timeout 0, which a network consumer may answer empty)."""
    deadline = time.monotonic() + timeout
    while True:
        for rt in p.tiers.values():
            while rt.relay.run_once():
                pass
        for rt in p.tiers.values():
            rt.projector.consume(rt.consumer.poll(0.05))
        heads = {rt.app.name: rt.app.recorder.max_notification_id() or 0 for rt in p.tiers.values()}
        if all(
            {s: rt.projector.positions().get(s, 0) for s in heads} == heads
            for rt in p.tiers.values()
        ):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not settled: heads {heads}, positions {p.positions()}")


def topic_records(
    bootstrap: str, tier: Tier, at_least: int = 0, quiet: float = 1.0, timeout: float = 20
) -> list[Envelope]:
    """The records partition 0 of a tier topic holds, from offset 0, as envelopes: at least
    ``at_least`` of them, then until the broker has had nothing more for ``quiet`` seconds
    (Tansu's end offsets cannot tell where the log ends)."""
    consumer = KafkaTransport(bootstrap, client_id="sanji-test").consumer([topic_for(tier)])
    try:
        out: list[Envelope] = []
        last = time.monotonic()
        deadline = last + timeout
        while len(out) < at_least or time.monotonic() - last < quiet:
            assert time.monotonic() < deadline, f"{tier} topic: {len(out)} of {at_least} records"
            records = consumer.poll(0.1)
            if records:
                out.extend(Envelope.from_bytes(r.value) for r in records)
                last = time.monotonic()
        return out
    finally:
        consumer.close()


class Watch:
    """Calls ``action`` once, from a thread, as soon as ``condition`` holds (e.g. mid-burst)."""

    def __init__(self, condition: Callable[[], bool], action: Callable[[], None]) -> None:
        self.condition, self.action = condition, action
        self.fired = threading.Event()
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ready = self.condition()
            except Exception:  # a store momentarily unreadable: keep watching
                ready = False
            if ready:
                try:
                    self.action()
                except BaseException as e:  # reported by join()
                    self.errors.append(e)
                self.fired.set()
                return
            time.sleep(0.02)

    def join(self, timeout: float = 60) -> None:
        """Wait for the action; fail if it never ran or raised."""
        self.fired.wait(timeout)
        self._stop.set()
        self._thread.join(5)
        assert self.fired.is_set(), "the fault was never injected (condition never held)"
        if self.errors:
            raise self.errors[0]
