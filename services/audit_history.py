"""``python -m services audit-history``: build or catch up a tier's audit history (ADR 0031)
from the event stores, and with ``--check N`` prove it equals the event log: its rows at N
recorded instants spread over the log, compared table by table with a full replay to each
(shared/audit/history.py ``check``). Exit status 1 if any table differs."""

from __future__ import annotations

import argparse
import sys
import time

from services.integrity import stores
from shared.audit.history import AuditHistory, check
from shared.infrastructure.settings import Settings
from shared.kernel.jurisdiction import Tier, load
from shared.tier.runtime import AppSourceReader


def add_arguments(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    h = sub.add_parser(
        "audit-history",
        help="catch a tier's audit history up with the stores; --check N compares it with replays",
    )
    h.add_argument("--tier", choices=[str(t) for t in Tier], default="county")
    h.add_argument(
        "--check",
        type=int,
        default=0,
        metavar="N",
        help="compare the history with a full replay at N instants (a rebuild each)",
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    j = load(settings.jurisdiction_file)
    path = settings.data_dir / f"{args.tier}-audit-history.db"
    with stores(settings, j) as apps:
        reader = AppSourceReader(apps)
        history = AuditHistory(path, reader, j.county.code)
        t0 = time.perf_counter()
        applied = history.catch_up()
        print(
            f"[sanji] {args.tier} audit history {path}: {applied:,} events applied in "
            f"{time.perf_counter() - t0:,.1f} s",
            file=sys.stderr,
        )
        if args.check <= 0:
            return 0
        # Instants: the recorded times of events spread evenly over the village store.
        head = reader.head("village")
        step = max(1, head // args.check)
        instants = [
            reader.read("village", p - 1, 1)[0].recorded_at for p in range(step, head + 1, step)
        ][: args.check]
        findings = check(history, instants)
    for finding in findings:
        print(f"  DIFFERS {finding}")
    print(
        f"[sanji] {'EQUAL' if not findings else 'DIFFERS'}: the audit history at "
        f"{len(instants)} instants against full replays"
    )
    return 1 if findings else 0
