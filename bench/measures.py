"""What every benchmark shares: the ``--quick`` and ``--json`` flags, the measure record, the
goals of issue 15 and how the records are printed.

A benchmark declares its measures (``Measure``: a value, its unit, the baseline measured in the
same run and that baseline's value) and hands them to ``Output``; with ``--json`` each becomes
one JSON object on one line of stdout, and the benchmark's human-readable output goes to stderr
so that stdout stays machine-readable. Without ``--json`` the human output stays on stdout and
the measures are printed as a short table after it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

FIELDS = ("measure", "value", "unit", "baseline", "baseline_value", "ratio", "goal", "met")


@dataclass(frozen=True)
class Goal:
    """A target from issue 15's table: on the value itself (``on="value"``, e.g. p95 ≤ 100 ms)
    or on the ratio to the baseline (``on="ratio"``, e.g. ≥ 0.25× raw psycopg).

    ``at_events`` is the data size the goal is stated for (1M events for the cold and the
    known-at report). A run at a smaller size cannot show the goal met, since these costs grow
    with the data; it can show it missed (a latency already over the target at 50k events
    will not come under it at 1M), so ``met`` is False or null there, never True.

    ``from_events`` is the size an extrapolation needs to be a verdict at all: a run of fewer
    events measures its warm-up (buffers filling), not its growth, so ``met`` is null there
    either way."""

    op: str  # ">=" or "<="
    target: float
    on: str = "value"  # "value" or "ratio"
    at_events: int | None = None
    from_events: int | None = None

    def text(self, unit: str) -> str:
        sign = "≥" if self.op == ">=" else "≤"
        what = (
            f"{sign} {self.target:g}× baseline"
            if self.on == "ratio"
            else f"{sign} {self.target:g} {unit}"
        )
        return what + (f" @{size_label(self.at_events)} events" if self.at_events else "")

    def met(self, value: float | None, ratio: float | None, events: int | None) -> bool | None:
        x = ratio if self.on == "ratio" else value
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return None
        ok = x >= self.target if self.op == ">=" else x <= self.target
        if self.from_events and (events is None or events < self.from_events):
            return None
        if self.at_events and (events is None or events < self.at_events):
            return False if not ok else None
        return ok


def size_label(n: int | None) -> str:
    """1000000 -> "1M", 50000 -> "50k", 1500 -> "1.5k"."""
    if n is None:
        return "?"
    for div, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= div:
            return f"{n / div:.3g}{suffix}"
    return str(n)


# Issue 15's table, keyed by the measure names the benchmarks use (a measure measured at a
# smaller size carries the size after "@"; its goal is looked up without it).
GOALS: dict[str, Goal] = {
    "durable_commands_village@16clients": Goal(">=", 0.5, "ratio"),
    "durable_commands_township@16clients": Goal(">=", 0.5, "ratio"),
    "durable_commands_county@16clients": Goal(">=", 0.5, "ratio"),
    "http_commands_village@16clients": Goal(">=", 0.25, "ratio"),
    "embedded_http_commands_village@16clients": Goal(">=", 0.25, "ratio"),
    "rebuild_rate": Goal(">=", 0.5, "ratio"),
    "freshness_p50@50/s": Goal("<=", 30.0),
    "freshness_p95@50/s": Goal("<=", 100.0),
    "sustained_commands_topology": Goal(">=", 400.0),
    "county_report_cold_p95": Goal("<=", 100.0, at_events=1_000_000),
    "known_at_report": Goal("<=", 1000.0, at_events=1_000_000),
    "ledger_import_rows": Goal(">=", 0.6, "ratio"),
    # Item 6: measured at a smaller size and extrapolated (bench/projector_memory.py); the
    # 20k events of --quick measure the read-ahead buffers filling (+46 MB per 1M), the
    # 300k of a full run the growth (+1.2 MB per 1M: docs/benchmarks.md §11).
    "projector_rss_at_10M_extrapolated": Goal("<=", 300.0, from_events=200_000),
}


def goal_for(measure: str) -> Goal | None:
    """The goal of ``measure``; a size suffix ("@50k_events") is not part of the key unless the
    key has it (``freshness_p50@50/s`` is the goal at that rate only)."""
    if measure in GOALS:
        return GOALS[measure]
    base = measure.rpartition("@")[0]
    return GOALS.get(base) if base else None


@dataclass
class Measure:
    measure: str
    value: float | None
    unit: str
    baseline: str | None = None  # what the baseline is, measured in the same run
    baseline_value: float | None = None
    events: int | None = None  # data size the measure ran at, for goals stated at a size
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline_value:
            return None
        return self.value / self.baseline_value

    def record(self, benchmark: str | None = None) -> dict[str, Any]:
        goal = goal_for(self.measure)
        ratio = self.ratio
        out: dict[str, Any] = {
            "measure": self.measure,
            "value": _round(self.value),
            "unit": self.unit,
            "baseline": self.baseline,
            "baseline_value": _round(self.baseline_value),
            "ratio": None if ratio is None else round(ratio, 4),
            "goal": goal.text(self.unit) if goal else None,
            "met": goal.met(self.value, ratio, self.events) if goal else None,
        }
        if benchmark:
            out["benchmark"] = benchmark
        if self.error:
            out["error"] = self.error
        return out


def _round(x: float | None) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), 3)


def sized(name: str, events: int) -> str:
    """A measure name carrying the data size it ran at: ``county_report_cold_p95@50k_events``."""
    return f"{name}@{size_label(events)}_events"


# ------------------------------------------------------------------ flags


def parser(doc: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help="smaller sizes and rounds, done in under 3 minutes on 2 cores (explicit options win)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per measure on stdout (the human output goes to stderr)",
    )
    return p


def parse(
    p: argparse.ArgumentParser, quick: dict[str, Any], argv: Sequence[str] | None = None
) -> argparse.Namespace:
    """Parse; with ``--quick`` the ``quick`` values replace the defaults, so an option given
    on the command line still wins."""
    args = p.parse_args(argv)
    if args.quick:
        p.set_defaults(**quick)
        args = p.parse_args(argv)
    return args


# ------------------------------------------------------------------ output


class Output:
    """Collects a benchmark's measures and prints them at the end."""

    def __init__(self, benchmark: str, as_json: bool, stream: TextIO | None = None) -> None:
        self.benchmark = benchmark
        self.as_json = as_json
        self.measures: list[Measure] = []
        self._stream = stream

    @contextlib.contextmanager
    def human(self) -> Iterator[None]:
        """The benchmark's own printing: to stderr under ``--json``, at the file-descriptor
        level too, since subprocesses it starts (``services init``) inherit stdout."""
        if not self.as_json:
            yield
            return
        sys.stdout.flush()
        saved = _swap_stdout_fd()
        try:
            with contextlib.redirect_stdout(sys.stderr):
                yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            if saved is not None:
                os.dup2(saved, 1)
                os.close(saved)

    def add(self, *measures: Measure) -> None:
        self.measures.extend(measures)

    def emit(self) -> None:
        stream = self._stream or sys.stdout
        records = [m.record(self.benchmark) for m in self.measures]
        if self.as_json:
            for r in records:
                stream.write(json.dumps(r, ensure_ascii=False) + "\n")
        else:
            stream.write("\nmeasures\n" + "\n".join(human_line(r) for r in records) + "\n")
        stream.flush()


def _swap_stdout_fd() -> int | None:
    """Point fd 1 at stderr; returns a copy of the old fd 1 (None where fds cannot be moved,
    e.g. under a test's captured streams)."""
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:
        return None
    return saved


def human_line(r: dict[str, Any]) -> str:
    value = "–" if r["value"] is None else f"{r['value']:,.6g} {r['unit']}"
    line = f"  {r['measure']:<44} {value:>18}"
    if r.get("baseline_value") is not None:
        line += f"  ({r['ratio']:.3g}× {r['baseline']} {r['baseline_value']:,.6g})"
    if r.get("goal"):
        verdict = {True: "met", False: "NOT met", None: "not shown at this size"}[r["met"]]
        line += f"  goal {r['goal']}: {verdict}"
    if r.get("error"):
        line += f"  ERROR {r['error']}"
    return line
