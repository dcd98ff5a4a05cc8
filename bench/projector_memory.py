"""Resident memory of the county projector and of the rebuild against the events they apply.

Issue 15 item 6: "Projector RSS < 300 MB at 10M events; import and rebuild stream." A county's
history is written through the tier applications into a throwaway PostgreSQL (bench/rebuild's
planner and writer: real stored, chained domain events, 93 % village activity). Then each of
the two consumers runs in a fresh child process of its own, so that nothing the generation
allocated is counted:

1. **live projector**: ``Projector(db, county, AppSourceReader(apps)).catch_up(source)`` for the
   three sources, the live projector's code path;
2. **rebuild**: ``shared.audit.rebuild.rebuild`` of the county read model into a fresh schema.

While a child applies events, a thread samples its resident set size (``/proc/self/statm``)
with the events applied so far. Reported per consumer: the RSS before the first event (the
process with Sanji imported and the stores open: the baseline), the peak, and the growth per
million events fitted by least squares over the second half of the samples (after the caches
have filled). The RSS at 10M events is then an extrapolation, peak + slope × (10M − N), and is
named as one. A consumer that streams grows by nothing per event.

    .venv/bin/python -m bench.projector_memory [--events 200000] [--quick] [--json]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.generate_county import Shape, write_jurisdiction
from bench.measures import Measure, Output, parse, parser, sized
from services.init import initialise
from services.integrity import stores
from services.topology import LocalPostgres
from shared.infrastructure.settings import Settings
from shared.kernel.jurisdiction import Tier, load

SOURCES = ("village", "township", "county")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
TARGET = 10_000_000  # the events issue 15's goal is stated at


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE_SIZE / 2**20


class Sampler:
    """(events applied, RSS in MB) every ``every`` seconds, in a thread of the child."""

    def __init__(self, every: float = 0.5) -> None:
        self.applied = 0
        self.samples: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)

    def __enter__(self) -> Sampler:
        self.samples.append((0, rss_mb()))
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((self.applied, rss_mb()))

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.samples.append((self.applied, rss_mb()))


def slope_per_million(samples: list[tuple[int, float]]) -> float:
    """MB per million events, least squares over the second half of the samples."""
    tail = samples[len(samples) // 2 :]
    xs = [x for x, _ in tail]
    ys = [y for _, y in tail]
    n = len(tail)
    if n < 2 or max(xs) == min(xs):
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / sxx * 1_000_000


# ------------------------------------------------------------------ child


def child(kind: str, settings_json: str) -> None:
    """Run one consumer and print its samples as JSON on stdout."""
    from shared.audit.rebuild import rebuild
    from shared.infrastructure.store import open_database
    from shared.tier.projector import Projector
    from shared.tier.runtime import AppSourceReader

    s = json.loads(settings_json)
    settings = Settings(
        persistence="postgres",
        postgres_url=s["url"],
        data_dir=Path(s["data_dir"]),
        jurisdiction_file=Path(s["csv"]),
        demo=False,
    )
    j = load(settings.jurisdiction_file)
    with stores(settings, j) as apps:
        sampler = Sampler()

        class Counting(AppSourceReader):
            def read(self, source: str, after: int, limit: int) -> Any:
                envelopes = super().read(source, after, limit)
                sampler.applied += len(envelopes)
                return envelopes

        reader = Counting(apps)
        started = time.perf_counter()
        if kind == "projector":
            db = open_database(settings.readmodel_url(Tier.COUNTY))
            with sampler:
                projector = Projector(db, j.county.code, reader, name="county-projector")
                for source in SOURCES:
                    projector.catch_up(source)
        else:
            db = open_database(settings.rebuild_readmodel_url(Tier.COUNTY, "memory"))
            with sampler:
                rebuild(db, reader, j.county.code)
        db.close()
    seconds = time.perf_counter() - started
    print(json.dumps({"samples": sampler.samples, "seconds": seconds}))


def run_child(kind: str, settings_json: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.projector_memory", "--child", kind, settings_json],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# ------------------------------------------------------------------ parent


def generate(settings: Settings, events: int, seed: int) -> int:
    from bench.rebuild import Planner, Ticker, Writer

    j = load(settings.jurisdiction_file)
    plan = Planner(j, events, 3, seed).plan()
    with stores(settings, j) as apps:
        writer = Writer(apps, j, plan, 200, seed)
        writer.run(Ticker("generate", plan.events))
        return sum(apps[s].recorder.max_notification_id() or 0 for s in SOURCES)


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return 0
    p = parser(__doc__)
    p.add_argument("--events", type=int, default=200_000, help="events in the 3 stores")
    p.add_argument("--seed", type=int, default=20261205)
    args = parse(p, {"events": 20_000}, argv)
    out = Output("projector_memory", args.json)
    work = Path(tempfile.mkdtemp(prefix="sanji-bench-memory-"))
    work.chmod(0o755)  # as root the cluster runs as `postgres`, which must reach work/pg
    pg = LocalPostgres(work / "pg").start()
    try:
        with out.human():
            csv = work / "county.csv"
            write_jurisdiction(Shape(townships=10, villages=30, seed=args.seed), csv)
            settings = Settings(
                persistence="postgres",
                postgres_url=pg.url(),
                data_dir=work / "data",
                jurisdiction_file=csv,
                demo=False,
            )
            initialise(settings, say=False)
            total = generate(settings, args.events, args.seed)
            print(f"{total:,} events in the three stores", file=sys.stderr)
            given = json.dumps({"url": pg.url(), "data_dir": str(work / "data"), "csv": str(csv)})
            for kind, name in (("projector", "projector"), ("rebuild", "rebuild")):
                result = run_child(kind, given)
                samples = [(int(a), float(b)) for a, b in result["samples"]]
                start = samples[0][1]
                peak = max(mb for _, mb in samples)
                slope = slope_per_million(samples)
                at_target = peak + max(slope, 0.0) * (TARGET - total) / 1_000_000
                print(
                    f"{name}: {total:,} events in {result['seconds']:.0f} s; RSS {start:.0f} MB "
                    f"before the first event, peak {peak:.0f} MB, {slope:+.1f} MB per million "
                    f"events; extrapolated to 10M events: {at_target:.0f} MB",
                    file=sys.stderr,
                )
                before = f"{name} process before the first event"
                out.add(
                    Measure(sized(f"{name}_rss_peak", total), peak, "MB", before, start, total),
                    Measure(f"{name}_rss_growth@{_label(total)}", slope, "MB per 1M events"),
                    Measure(
                        f"{name}_rss_at_10M_extrapolated@from_{_label(total)}",
                        at_target,
                        "MB",
                        before,
                        start,
                        total,
                    ),
                )
    finally:
        pg.stop()
    out.emit()
    return 0


def _label(total: int) -> str:
    return sized("", total).lstrip("@")


if __name__ == "__main__":
    raise SystemExit(main())
