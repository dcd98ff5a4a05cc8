"""What signing every chain link costs on the write path (ADR 0006, issue 11).

Stores single events, one per transaction, through a tier's chained PostgreSQL recorder (the
library's insert under its table lock, plus the chain-head read and the link insert) with the
install's Ed25519 key on and off, alternating, on a throwaway PostgreSQL 15 cluster with
durable commits. Also times signing and checking one link by itself.

    .venv/bin/python -m bench.link_signing [--n 2000] [--rounds 3] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from bench.measures import Measure, Output, parse, parser
from services.init import initialise
from services.platform import BOOTSTRAPS
from services.topology import LocalPostgres
from shared.infrastructure.eventstore import ChainedRecorder
from shared.infrastructure.settings import Settings
from shared.kernel.jurisdiction import Tier, load
from shared.kernel.signing import load_signer

STATE = b'{"name": "' + "文昌舞蹈队".encode() + b'", "padding": "' + b"x" * 250 + b'"}'


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--n", type=int, default=2000, help="events per measurement")
    p.add_argument("--rounds", type=int, default=3)
    args = parse(p, {"n": 500, "rounds": 2}, argv)
    out = Output("link_signing", args.json)
    with out.human():
        results = run(args)
    off, on = max(results[False]), max(results[True])
    out.add(Measure("link_signing_signed", on, "events/s", "unsigned chain links", off))
    out.emit()
    return 0


def run(args: argparse.Namespace) -> dict[bool, list[float]]:
    """Events/s per round, unsigned (False) and signed (True)."""
    print(f"[bench] load average before the run: {os.getloadavg()[0]:.2f}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="sanji-bench-"))
    work.chmod(0o755)
    pg = LocalPostgres(work / "pg")
    try:
        pg.start()
        settings = Settings(
            persistence="postgres", postgres_url=pg.url(), data_dir=work / "data", demo=False
        )
        initialise(settings, say=False)
        app = BOOTSTRAPS[Tier.VILLAGE].APPLICATION(
            load(settings.jurisdiction_file), env=settings.event_store_env(Tier.VILLAGE)
        )
        recorder = app.recorder
        assert isinstance(recorder, ChainedRecorder)
        signer = load_signer(settings.signing_key_path(), create=False)

        def rate(signed: bool) -> float:
            recorder.signer = signer if signed else None
            began = time.perf_counter()
            for _ in range(args.n):
                recorder.insert_events([StoredEvent(uuid4(), 1, "bench:Event", STATE)])
            return args.n / (time.perf_counter() - began)

        rate(True)  # warm up (and sign the store's first links)
        results: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.rounds):
            for signed in (False, True):
                results[signed].append(rate(signed))
        link = "sha256:" + "ab" * 32
        began = time.perf_counter()
        signatures = [signer.sign_link(link) for _ in range(20000)]
        sign_us = (time.perf_counter() - began) / 20000 * 1e6
        began = time.perf_counter()
        assert all(signer.check_link(link, s) for s in signatures)
        check_us = (time.perf_counter() - began) / 20000 * 1e6
        app.close()
    finally:
        pg.stop()
    off, on = max(results[False]), max(results[True])
    print(f"[bench] unsigned: {off:,.0f} events/s  (rounds {[round(r) for r in results[False]]})")
    print(f"[bench] signed:   {on:,.0f} events/s  (rounds {[round(r) for r in results[True]]})")
    print(
        f"[bench] per event: {1e6 / off:,.0f} µs unsigned, {1e6 / on:,.0f} µs signed "
        f"({(off / on - 1) * 100:+.1f}%; median of rounds "
        f"{(statistics.median(results[False]) / statistics.median(results[True]) - 1) * 100:+.1f}%)"
    )
    print(f"[bench] Ed25519 alone: sign {sign_us:.1f} µs, check {check_us:.1f} µs per link")
    return results


if __name__ == "__main__":
    raise SystemExit(main())
