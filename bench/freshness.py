"""Village → county freshness in the production topology, at steady command rates.

Starts a throwaway PostgreSQL 15 cluster, the Tansu broker and all nine role processes (api,
relay, projector of each tier; ``services.topology``) on this machine, files a few groups through
the village and township APIs (warm-up), then drives activity reports through the village HTTP
API at each target rate from a pool of HTTP clients (open loop: each command is sent at its
scheduled time, whatever the previous ones are doing).

Freshness of a command = the moment the county read model has applied its event, minus the
moment the command's HTTP response arrived. The event's position is its notification id in the
village store (looked up by the activity id the API returns); "applied" is observed by a
separate process polling ``sanji_county_read.tracking`` (source ``village``) every 5 ms, so the
figures carry up to ~5 ms of observation delay.

Also printed: HTTP response times (from the scheduled send, so queueing counts), the time to the
village relay's publication, end-to-end times from the scheduled send, and the CPU cores each
process (and other work on the machine, and the hypervisor's steal) used during each phase:
other work on the machine skews every figure, so a run shows how quiet the machine was.

Exits 1 if a phase achieved less than 90 % of its target rate, had to drop commands (a command
not yet sent 5 s after the phase's end is dropped, which keeps the run bounded, under about two
and a half minutes in all), had failed commands, or did not reach the county within the drain
timeout, so a bad run is obvious. Stops everything it started.

    .venv/bin/python -m bench.freshness [--rates 50,200] [--seconds 30] [--clients 32] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import bisect
import http.client
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from bench.machine import IRQ, MACHINE, STEAL, SYSTEM, CpuMeter, other_work, postmaster_pid
from bench.measures import Measure, Output, parse, parser
from services.platform import BOOTSTRAPS
from services.topology import LocalBroker, LocalPostgres, Topology, free_port, topology_env
from shared.capabilities.identity.passwords import hash_password
from shared.capabilities.identity.provision import ensure_account, token_for
from shared.capabilities.identity.tokens import Keyring
from shared.infrastructure.settings import Settings
from shared.infrastructure.transport.kafka import KafkaTransport, ensure_topics
from shared.kernel.domain import CHINA, Actor
from shared.kernel.jurisdiction import Tier, load

POLL = 0.005  # seconds between polls of the county tracking table
DRAIN_TIMEOUT = 20.0  # seconds to wait for the county to apply a phase's last event
GRACE = 5.0  # seconds past a phase's end after which queued commands are dropped, not sent
SHORTFALL = 0.9  # a phase that achieves less than this share of its target rate fails


# ------------------------------------------------------------------ observation process


def _poll_tracking(url: str, stop: Any, ready: Any, out: Any) -> None:
    """Separate process (no GIL shared with the clients): record (time, position) whenever the
    county's tracked village position changes, and likewise the village relay's position.
    ``ready`` is set once the first reading is recorded."""
    county: list[tuple[float, int]] = []
    relay: list[tuple[float, int]] = []
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            row = conn.execute(
                "SELECT (SELECT position FROM sanji_county_read.tracking WHERE source = 'village'),"
                " (SELECT position FROM sanji_village_read.relay_position"
                " WHERE source = 'village')"
            ).fetchone()
            now = time.monotonic()
            for series, value in zip((county, relay), row or (0, 0), strict=True):
                position = int(value or 0)
                if not series or series[-1][1] != position:
                    series.append((now, position))
            ready.set()
            time.sleep(POLL)
    out.send((county, relay))
    out.close()


class TrackingPoller:
    READY_TIMEOUT = 120.0  # seconds: a spawned interpreter imports all of Sanji first

    def __init__(self, url: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._stop, ready = ctx.Event(), ctx.Event()
        self._recv, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(
            target=_poll_tracking, args=(url, self._stop, ready, send), daemon=True
        )
        self._proc.start()
        assert self._proc.pid is not None
        self.pid: int = self._proc.pid
        # Until the poller has read once, nothing is observed: a command answered before that
        # would count as fresh only at the first reading. The spawned process re-imports this
        # module, and so all of Sanji: seconds on a busy machine, which a fixed 0.5 s sleep
        # here did not cover (the "unexplained" freshness p95 tail of 0.4-4 s, benchmarks §1).
        if not ready.wait(self.READY_TIMEOUT):
            self._stop.set()
            raise RuntimeError("the tracking poller did not take a reading")

    def stop(self) -> tuple[list[tuple[float, int]], list[tuple[float, int]]]:
        """(county tracking, village relay) transitions: (monotonic time, position)."""
        self._stop.set()
        transitions = self._recv.recv()
        self._proc.join(timeout=10)
        return transitions


# ------------------------------------------------------------------ HTTP


class Client:
    """One keep-alive connection per thread (http.client: cheap on a 2-core machine)."""

    IDLE = 2.0  # reconnect after this long unused: uvicorn closes idle connections after 5 s

    def __init__(self, port: int) -> None:
        self.port = port
        self._local = threading.local()

    def post(self, path: str, body: dict[str, Any], token: str) -> tuple[int, dict[str, Any]]:
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is not None and time.monotonic() - local.used > self.IDLE:
            conn.close()  # never send a command on a connection the server may be closing
            conn = None
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        try:
            conn.request("POST", path, json.dumps(body), headers)
            response = conn.getresponse()
            data = response.read()
        except Exception:
            conn.close()
            local.conn = None
            raise
        local.used = time.monotonic()
        return response.status, json.loads(data) if data else {}


PASSWORD = "Bench-password-1"

# ------------------------------------------------------------------ the platform


@dataclass
class Bench:
    topology: Topology
    settings: Settings
    url: str  # PostgreSQL
    postmaster: int  # pid of the cluster's postmaster
    broker_pid: int
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, actor: Actor) -> str:
        """A token of ``actor``'s account, opened in its tier's store on first use (ADR 0012)."""
        if actor.id not in self.tokens:
            j = load(self.settings.jurisdiction_file)
            app = BOOTSTRAPS[actor.tier].APPLICATION(
                j, env=self.settings.event_store_env(actor.tier)
            )
            try:
                account = ensure_account(
                    app, actor.id, actor.id, actor.division, (actor.role,), hash_password(PASSWORD)
                )
                keyring = Keyring(self.settings.secret)
                self.tokens[actor.id] = token_for(keyring, account, app.clock())
            finally:
                app.close()
        return self.tokens[actor.id]

    def client(self, tier: Tier) -> Client:
        return Client(self.topology.port(tier))

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def head(self, tier: Tier) -> int:
        rows = self.query(f"SELECT max(notification_id) FROM sanji_{tier}.{tier}_events")
        return int(rows[0][0] or 0)

    def tracked(self, reader: Tier, source: Tier) -> int:
        rows = self.query(
            f"SELECT position FROM sanji_{reader}_read.tracking WHERE source = %s", (str(source),)
        )
        return int(rows[0][0]) if rows else 0

    def wait_projected(self, timeout: float = DRAIN_TIMEOUT) -> bool:
        """Until every tier's projector has applied every store's head."""
        deadline = time.monotonic() + timeout
        heads = {t: self.head(t) for t in Tier}
        while time.monotonic() < deadline:
            if all(self.tracked(r, s) >= heads[s] for r in Tier for s in Tier):
                return True
            time.sleep(0.05)
        return False

    def warm_up(self, groups: int) -> list[tuple[str, Actor]]:
        """File ``groups`` groups (village applies, township files); returns (org id, operator)."""
        j = load(self.settings.jurisdiction_file)
        villages = j.villages()
        today = datetime.now(CHINA).date()
        village, township = self.client(Tier.VILLAGE), self.client(Tier.TOWNSHIP)
        orgs: list[tuple[str, Actor]] = []
        for i in range(groups):
            code = villages[i % len(villages)].code
            actor = Actor(f"village-{code}", Tier.VILLAGE, code)
            body = {
                "village_code": code,
                "name": f"bench group {i}",
                "field": "culture_sports",
                "founded_on": today.isoformat(),
            }
            status, out = village.post("/api/v1/filing-applications", body, self.token(actor))
            if status != 201:
                raise RuntimeError(f"filing application failed: {status} {out}")
            orgs.append((out["id"], actor))
        if not self.wait_projected():
            raise RuntimeError("warm-up: applications did not reach the township")
        for org_id, actor in orgs:
            code = j.township_of(actor.division)
            op = Actor(f"township-{code}", Tier.TOWNSHIP, code)
            path = f"/api/v1/organisations/{org_id}/filing-decision"
            status, out = township.post(path, {"decision": "filed"}, self.token(op))
            if status != 201:
                raise RuntimeError(f"filing decision failed: {status} {out}")
        if not self.wait_projected():
            raise RuntimeError("warm-up: filings did not reach the villages")
        return orgs


# ------------------------------------------------------------------ baseline


def transport_latency(
    bootstrap: str, fetch_wait_ms: int, count: int = 100, rate: float = 50.0
) -> list[float]:
    """Baseline, measured in the same run before each phase: publish → consume (seconds)
    through the project's Kafka transport alone (the relay's producer, the projectors'
    consumer and fetch wait) on a topic of its own, ``count`` records at random intervals
    averaging ``rate``/s. Issue 15 quotes 5 / 9 ms (p50 / p95) for it."""
    import random

    topic = f"bench.transport.{os.getpid()}.{time.monotonic_ns()}"
    ensure_topics(bootstrap, [topic])
    transport = KafkaTransport(bootstrap, "bench", fetch_wait_ms)
    producer, consumer = transport.producer(), transport.consumer([topic])
    consumer.assign({})
    sent: dict[int, float] = {}
    latencies: list[float] = []
    deadline = time.monotonic() + count / rate + 20

    def consume() -> None:
        while len(latencies) < count and time.monotonic() < deadline:
            for record in consumer.poll(0.05):
                latencies.append(time.monotonic() - sent[int(record.value)])

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    try:
        for i in range(count):
            time.sleep(random.expovariate(rate))
            sent[i] = time.monotonic()
            producer.publish(topic, "bench", str(i).encode())
            producer.flush()
        reader.join(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        producer.close()
        consumer.close()
    return latencies


# ------------------------------------------------------------------ one phase


class Series:
    """Positions observed over time; ``reached(p)`` is when the position first was >= p."""

    def __init__(self, transitions: list[tuple[float, int]]) -> None:
        self.times = [t for t, _ in transitions]
        self.positions = [p for _, p in transitions]

    def reached(self, position: int) -> float | None:
        k = bisect.bisect_left(self.positions, position)
        return self.times[k] if k < len(self.positions) else None


@dataclass
class Phase:
    target: float
    scheduled: int
    ok: int
    errors: int
    dropped: int  # scheduled, but not yet sent GRACE seconds after the phase's end
    elapsed: float  # first scheduled send → last response
    latency: list[float]  # HTTP response time per command (scheduled send → response)
    freshness: list[float]  # per command: response → applied by the county, seconds
    relayed: list[float]  # per command: response → published by the village relay, seconds
    end_to_end: list[float]  # per command: scheduled send → applied by the county, seconds
    unseen: int  # commands the county had not applied at the end of the drain timeout
    cores: dict[str, float]  # CPU cores used per process group during the phase
    transport: list[float] = field(default_factory=list)  # baseline before the phase, seconds

    @property
    def achieved(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def failed(self) -> bool:
        short = self.achieved < SHORTFALL * self.target or self.dropped > 0
        return short or self.errors > 0 or self.unseen > 0


def run_phase(
    bench: Bench, orgs: list[tuple[str, Actor]], rate: float, seconds: float, clients: int
) -> Phase:
    n = int(rate * seconds)
    village = bench.client(Tier.VILLAGE)
    today = datetime.now(CHINA).date().isoformat()
    body = {
        "occurred_on": today,
        "field": "culture_sports",
        "participants": 25,
        "volunteers": 4,
        "volunteer_services": 6,
        "volunteer_hours": "12.25",
        "beneficiaries": 80,
        "money_spent": "310.40",
    }
    results: list[tuple[float, float, str] | None] = [None] * n  # (scheduled, response, id)
    errors: list[str] = []
    dropped: list[int] = []

    def command(i: int, scheduled: float) -> None:
        if time.monotonic() > deadline:  # the API fell behind: bound the phase, count it
            dropped.append(i)
            return
        org_id, actor = orgs[i % len(orgs)]
        try:
            status, out = village.post(
                f"/api/v1/organisations/{org_id}/activities", body, bench.token(actor)
            )
        except Exception as e:
            errors.append(repr(e))
            return
        done = time.monotonic()
        if status != 201:
            errors.append(f"{status} {out}")
            return
        results[i] = (scheduled, done, out["id"])

    poller = TrackingPoller(bench.url)  # returns once it has read the positions
    labels = {proc.pid: f"{tier} {role}" for (tier, role), proc in bench.topology.procs.items()}
    labels[os.getpid()] = "load generator"
    labels[poller.pid] = "freshness poller"
    labels[bench.broker_pid] = "broker"
    meter = CpuMeter(labels, bench.postmaster).start()
    with ThreadPoolExecutor(clients, thread_name_prefix="client") as pool:
        start = time.monotonic() + 0.1
        deadline = start + seconds + GRACE
        for i in range(n):
            scheduled = start + i / rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(command, i, scheduled)
    done = [r for r in results if r is not None]
    bench.wait_projected()
    cores = meter.stop()
    county, relay = (Series(t) for t in poller.stop())

    rows = bench.query(
        "SELECT originator_id::text, notification_id FROM sanji_village.village_events "
        "WHERE originator_id = ANY(%s::uuid[])",
        ([r[2] for r in done],),
    )
    position = {oid: int(nid) for oid, nid in rows}
    freshness: list[float] = []
    relayed: list[float] = []
    end_to_end: list[float] = []
    unseen = 0
    for scheduled, responded, oid in done:
        applied, published = county.reached(position[oid]), relay.reached(position[oid])
        if applied is None:
            unseen += 1  # not applied at the county within the drain timeout
            continue
        freshness.append(max(0.0, applied - responded))
        end_to_end.append(applied - scheduled)
        if published is not None:
            relayed.append(max(0.0, published - responded))
    if errors:
        print(f"  {len(errors)} failed commands, first: {errors[0]}", flush=True)
    return Phase(
        target=rate,
        scheduled=n,
        ok=len(done),
        errors=len(errors),
        dropped=len(dropped),
        elapsed=(max(r[1] for r in done) - start) if done else 0.0,
        latency=[r[1] - r[0] for r in done],
        freshness=freshness,
        relayed=relayed,
        end_to_end=end_to_end,
        unseen=unseen,
        cores=cores,
    )


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(phases: list[Phase], clients: int, seconds: float) -> None:
    print()
    print(
        f"village -> county freshness (HTTP response -> county read model applied), "
        f"{seconds:g} s per rate, {clients} HTTP clients, {os.cpu_count()} cores"
    )
    header = (
        f"{'target/s':>8} {'achieved/s':>10} {'done':>6} {'dropped':>7} {'errors':>6} "
        f"{'http p50':>8} {'http p95':>8} "
        f"{'fresh p50':>9} {'p95':>7} {'p99':>7} {'max':>7}  verdict"
    )
    print(header)
    print("-" * len(header))
    for ph in phases:
        ms = [1000 * x for x in ph.freshness]
        lat = [1000 * x for x in ph.latency]
        verdict = "SHORT" if ph.failed else "ok"
        print(
            f"{ph.target:8.0f} {ph.achieved:10.1f} {ph.ok:6d} {ph.dropped:7d} {ph.errors:6d} "
            f"{pct(lat, 50):6.0f}ms {pct(lat, 95):6.0f}ms "
            f"{pct(ms, 50):7.0f}ms {pct(ms, 95):5.0f}ms {pct(ms, 99):5.0f}ms "
            f"{max(ms, default=float('nan')):5.0f}ms  {verdict}"
        )
    print(
        "\nbreakdown (ms): response -> published by the village relay; and end to end, from the"
        " command's scheduled send to the county (includes queueing when the API falls behind)"
    )
    for ph in phases:
        ms = [1000 * x for x in ph.freshness]
        rel = [1000 * x for x in ph.relayed]
        e2e = [1000 * x for x in ph.end_to_end]
        print(
            f"{ph.target:8.0f}/s  mean freshness {statistics.fmean(ms) if ms else float('nan'):.0f}"
            f"; relayed p50 {pct(rel, 50):.0f} p95 {pct(rel, 95):.0f}"
            f"; end to end p50 {pct(e2e, 50):.0f} p95 {pct(e2e, 95):.0f}"
            + (f"; {ph.unseen} not seen at the county" if ph.unseen else "")
        )
    print("\nCPU cores used during each phase (all threads of each process or group)")
    for ph in phases:
        ours = {k: v for k, v in ph.cores.items() if k not in SYSTEM}
        busy = sorted(ours.items(), key=lambda kv: -kv[1])
        shown = ", ".join(f"{k} {v:.2f}" for k, v in busy if v >= 0.01)
        print(
            f"{ph.target:8.0f}/s  machine busy {ph.cores.get(MACHINE, 0.0):.2f} of "
            f"{os.cpu_count()} cores: these processes {sum(ours.values()):.2f}, interrupts "
            f"{ph.cores.get(IRQ, 0.0):.2f}, other work {other_work(ph.cores):.2f}; "
            f"steal {ph.cores.get(STEAL, 0.0):.2f}\n{'':11}{shown}"
        )


def measures(phases: list[Phase]) -> list[Measure]:
    """Freshness percentiles per rate, and the highest rate the topology sustained: a phase
    that kept to its target (no shortfall, drop, error or lost event) with freshness p95 under
    1 s. The freshness baseline is the transport alone, measured before each phase."""
    out: list[Measure] = []
    sustained = 0.0
    for ph in phases:
        ms = [1000 * x for x in ph.freshness]
        rate = f"{ph.target:g}/s"
        base = [1000 * x for x in ph.transport]
        what = "transport publish -> consume"
        out += [
            Measure(
                f"freshness_p50@{rate}",
                pct(ms, 50) if ms else None,
                "ms",
                f"{what} p50",
                pct(base, 50) if base else None,
            ),
            Measure(
                f"freshness_p95@{rate}",
                pct(ms, 95) if ms else None,
                "ms",
                f"{what} p95",
                pct(base, 95) if base else None,
            ),
            Measure(f"achieved_commands@{rate}", ph.achieved, "commands/s"),
        ]
        if ms and not ph.failed and pct(ms, 95) < 1000:
            sustained = max(sustained, ph.achieved)
    out.append(Measure("sustained_commands_topology", sustained, "commands/s"))
    return out


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--rates", default="50,200", help="target commands/s, comma-separated")
    p.add_argument("--seconds", type=float, default=30.0, help="duration of each rate")
    p.add_argument("--clients", type=int, default=32, help="HTTP client threads")
    p.add_argument("--groups", type=int, default=40, help="groups filed in the warm-up")
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parse(p, {"rates": "50,100,200,400", "seconds": 8.0, "groups": 20}, argv)
    out = Output("freshness", args.json)
    with out.human():
        status, phases = run(args)
    out.add(*measures(phases))
    out.emit()
    return status


def run(args: argparse.Namespace) -> tuple[int, list[Phase]]:
    """The exit status and the phases measured, after printing the report."""
    rates = [float(r) for r in args.rates.split(",")]

    began = time.monotonic()
    print(f"[bench] load average before the run: {os.getloadavg()[0]:.2f}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="sanji-bench-"))
    work.chmod(0o755)  # as root the cluster runs as `postgres`, which must reach work/pg
    pg = LocalPostgres(work / "pg")
    broker = LocalBroker(log=work / "broker.log")
    topology: Topology | None = None
    phases: list[Phase] = []
    try:
        pg.start()
        broker.start()
        ports = {t: free_port() for t in Tier}
        env = topology_env(pg, broker, work / "data", ports)
        # The load is many commands a second from a few accounts: measure the pipeline, not
        # the per-account rate limit (SANJI_RATE_LIMIT_PER_SECOND, tested on its own).
        env["SANJI_RATE_LIMIT_PER_SECOND"] = "0"
        topology = Topology(env, work)
        topology.init()
        topology.start_all()
        assert broker._proc is not None
        bench = Bench(
            topology, Settings.from_env(env), pg.url(), postmaster_pid(pg.dir), broker._proc.pid
        )
        print(f"[bench] 9 role processes up in {time.monotonic() - began:.0f} s", flush=True)
        orgs = bench.warm_up(args.groups)
        print(f"[bench] warm-up: {len(orgs)} groups filed and projected", flush=True)
        fetch_wait = bench.settings.kafka_fetch_wait_ms
        for rate in rates:
            baseline = transport_latency(broker.bootstrap, fetch_wait)
            print(
                f"[bench] baseline, transport publish -> consume ({fetch_wait} ms fetch wait): "
                f"p50 {pct(baseline, 50) * 1000:.1f} ms, p95 {pct(baseline, 95) * 1000:.1f} ms",
                flush=True,
            )
            print(f"[bench] {rate:g} commands/s for {args.seconds:g} s ...", flush=True)
            phases.append(run_phase(bench, orgs, rate, args.seconds, args.clients))
            phases[-1].transport = baseline
    finally:
        if topology is not None:
            topology.stop_all()
        broker.stop()
        pg.stop()
        if args.keep:
            print(f"[bench] logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report(phases, args.clients, args.seconds)
    print(f"\ntotal wall time {time.monotonic() - began:.0f} s")
    if any(ph.failed for ph in phases):
        print("FAILED: a phase fell short of its target rate, had errors or lost events")
        return 1, phases
    return 0, phases


if __name__ == "__main__":
    sys.exit(main())
