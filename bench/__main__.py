"""Every benchmark in one line, and the summary in docs/benchmarks.md from its output.

    .venv/bin/python -m bench all [--quick] [--json] [--only a,b] [--summary docs/benchmarks.md]
    .venv/bin/python -m bench report FILE.jsonl [--doc docs/benchmarks.md] [--note TEXT]

``all`` runs each benchmark in its own subprocess (``python -m bench.<name> --json``), one after
the other so that they do not measure each other, and passes their measure records on: as JSON
lines with ``--json`` (then a last ``{"run": {...}}`` record: command, dates, commit, cores,
load before and after), as a table otherwise. A benchmark that crashes, exits without a
measure or runs past ``--timeout`` yields one record with ``"error"``; the others still run.
``report`` regenerates the summary table at the top of docs/benchmarks.md from such a file.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import summary
from bench.measures import Measure, human_line

# Cheap and in-process first, the topology last; each runs alone.
BENCHMARKS = (
    "token_check",
    "link_signing",
    "embedded_commands",
    "durable_commands",
    "ledger_import",
    "http_commands",
    "console",
    "county_report",
    "rebuild",
    "projector_memory",
    "freshness",
)
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def run_one(name: str, quick: bool, timeout: float | None) -> tuple[list[dict[str, Any]], float]:
    """One benchmark's measure records (or one error record) and its wall time. Its stderr
    (the human output and progress) is passed through as it comes."""
    argv = [sys.executable, "-m", f"bench.{name}", "--json"] + (["--quick"] if quick else [])
    began = time.monotonic()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a timeout stops what it started too
    )
    assert proc.stdout is not None and proc.stderr is not None
    tail: deque[str] = deque(maxlen=20)

    def relay(stream: Any) -> None:
        for line in stream:
            sys.stderr.write(line)
            tail.append(line.rstrip())

    relayer = threading.Thread(target=relay, args=(proc.stderr,), daemon=True)
    relayer.start()
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(proc.stdout or ()), daemon=True)
    reader.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGTERM)  # the group this Popen created, nothing else
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join(timeout=10)
    relayer.join(timeout=10)
    seconds = time.monotonic() - began
    records = parse_records(out, name)
    if timed_out:
        records.append(error_record(name, f"stopped after the {timeout:.0f} s timeout"))
    elif not records:
        last = next((line for line in reversed(tail) if line.strip()), "")
        records.append(error_record(name, f"exit status {proc.returncode}: {last}"))
    return records, seconds


def parse_records(lines: list[str], benchmark: str) -> list[dict[str, Any]]:
    records = []
    for line in lines:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "measure" in obj:
            obj.setdefault("benchmark", benchmark)
            records.append(obj)
    return records


def error_record(benchmark: str, error: str) -> dict[str, Any]:
    return Measure(benchmark, None, "", error=error).record(benchmark)


def run_all(args: argparse.Namespace) -> int:
    names = [n for n in (args.only.split(",") if args.only else BENCHMARKS) if n]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmarks: {', '.join(unknown)}", file=sys.stderr)
        return 2
    timeout = args.timeout if args.timeout > 0 else (600.0 if args.quick else None)
    command = "python -m bench " + shlex.join(sys.argv[1:])
    run: dict[str, Any] = {
        "command": command,
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "cores": os.cpu_count(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "seconds": {},
    }
    everything: list[dict[str, Any]] = []
    for name in names:
        print(f"[bench] === {name} ===", file=sys.stderr, flush=True)
        records, seconds = run_one(name, args.quick, timeout)
        run["seconds"][name] = round(seconds, 1)
        everything += records
        for r in records:
            if args.json:
                print(json.dumps(r, ensure_ascii=False), flush=True)
    run["finished"] = datetime.now(UTC).strftime("%H:%M UTC")
    run["load_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps({"run": run}, ensure_ascii=False), flush=True)
    else:
        print("\nmeasures")
        for r in everything:
            print(f"[{r.get('benchmark')}] " + human_line(r).strip())
    if args.summary:
        summary.write(args.summary, everything, run)
        print(f"[bench] summary written to {args.summary}", file=sys.stderr)
    return 1 if any(r.get("error") for r in everything) else 0


def report(args: argparse.Namespace) -> int:
    records, run = summary.load(args.file)
    if args.note:
        run["note"] = args.note
    if not records:
        print(f"no measure records in {args.file}", file=sys.stderr)
        return 1
    summary.write(args.doc, records, run)
    print(f"[bench] summary of {len(records)} measures written to {args.doc}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    a = sub.add_parser("all", help="run every benchmark, each in its own subprocess")
    a.add_argument("--quick", action="store_true", help="each benchmark's --quick sizes")
    a.add_argument("--json", action="store_true", help="JSON lines on stdout")
    a.add_argument("--only", default="", help="comma-separated subset: " + ",".join(BENCHMARKS))
    a.add_argument(
        "--timeout",
        type=float,
        default=0.0,
        help="seconds per benchmark (default 600 with --quick, none otherwise)",
    )
    a.add_argument("--summary", type=Path, help="also regenerate the summary in this document")
    r = sub.add_parser("report", help="regenerate the summary table from a JSON-lines file")
    r.add_argument("file", type=Path)
    r.add_argument("--doc", type=Path, default=DOC)
    r.add_argument("--note", default="", help="how busy the machine was, said in the summary")
    args = parser.parse_args(argv)
    return run_all(args) if args.what == "all" else report(args)


if __name__ == "__main__":
    sys.exit(main())
