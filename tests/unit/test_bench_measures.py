"""The benchmarks' measure records, their JSON output and the summary in docs/benchmarks.md
(issue 15 item 7). No benchmark is run here."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from bench import summary
from bench.__main__ import error_record, parse_records
from bench.measures import FIELDS, Measure, Output, goal_for, parse, parser, sized


def test_a_record_has_the_issue_fields_and_its_ratio_goal() -> None:
    m = Measure("durable_commands_village@16clients", 500.0, "commands/s", "raw psycopg", 2000.0)
    r = m.record("durable_commands")
    assert tuple(r)[: len(FIELDS)] == FIELDS
    assert r["ratio"] == 0.25
    assert r["goal"] == "≥ 0.5× baseline"
    assert r["met"] is False
    assert r["benchmark"] == "durable_commands"
    faster = Measure("durable_commands_village@16clients", 1200.0, "commands/s", "raw", 2000.0)
    assert faster.record()["met"] is True


def test_no_goal_where_the_issue_sets_none() -> None:
    r = Measure("durable_commands_village@1clients", 100.0, "commands/s", "raw", 1000.0).record()
    assert r["goal"] is None and r["met"] is None
    assert Measure("token_check_jwt", 40.0, "µs").record()["ratio"] is None


def test_a_goal_at_a_size_is_never_shown_met_at_a_smaller_one() -> None:
    name = sized("county_report_cold_p95", 50_000)
    assert name == "county_report_cold_p95@50k_events"
    assert goal_for(name) is goal_for("county_report_cold_p95")
    fast = Measure(name, 40.0, "ms", events=50_000).record()
    slow = Measure(name, 400.0, "ms", events=50_000).record()
    assert fast["goal"] == "≤ 100 ms @1M events"
    assert fast["met"] is None  # under the target at 50k says nothing about 1M
    assert slow["met"] is False  # already over it at 50k: over it at 1M too
    full = Measure(sized("county_report_cold_p95", 1_000_000), 40.0, "ms", events=1_000_000)
    assert full.record()["met"] is True


def test_an_extrapolation_from_too_few_events_is_no_verdict_either_way() -> None:
    name = "projector_rss_at_10M_extrapolated@from_20k_events"
    assert goal_for(name) is goal_for("projector_rss_at_10M_extrapolated")
    for mb in (130.0, 580.0):  # a warm-up's slope says nothing of the growth at 10M
        assert Measure(name, mb, "MB", events=20_000).record()["met"] is None
    big = "projector_rss_at_10M_extrapolated@from_300k_events"
    assert Measure(big, 130.0, "MB", events=300_000).record()["met"] is True
    assert Measure(big, 580.0, "MB", events=300_000).record()["met"] is False


def test_a_goal_at_a_rate_is_only_that_rate() -> None:
    assert goal_for("freshness_p95@50/s") is not None
    assert goal_for("freshness_p95@200/s") is None


def test_json_output_is_one_object_per_line_and_the_human_output_goes_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = Output("x", as_json=True)
    with out.human():
        print("human line")
    out.add(Measure("a", 1.0, "ms"), Measure("b", None, "ms", error="boom"))
    out.emit()
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert [json.loads(line)["measure"] for line in lines] == ["a", "b"]
    assert json.loads(lines[1])["error"] == "boom"
    assert "human line" in captured.err and "human line" not in captured.out


def test_human_output_lists_the_measures_after_the_benchmark() -> None:
    stream = io.StringIO()
    out = Output("x", as_json=False, stream=stream)
    out.add(Measure("rebuild_rate@8k_events", 1000.0, "events/s", "library read", 4000.0))
    out.emit()
    text = stream.getvalue()
    assert "rebuild_rate@8k_events" in text and "NOT met" in text


def parser_with_n() -> argparse.ArgumentParser:
    p = parser("doc")
    p.add_argument("--n", type=int, default=1000)
    return p


def test_quick_sets_defaults_and_an_explicit_option_still_wins() -> None:
    assert parse(parser_with_n(), {"n": 10}, []).n == 1000
    assert parse(parser_with_n(), {"n": 10}, ["--quick"]).n == 10
    assert parse(parser_with_n(), {"n": 10}, ["--quick", "--n", "50"]).n == 50


def test_the_runner_keeps_measure_lines_and_names_a_crash() -> None:
    lines = ["not json\n", '{"measure": "m", "value": 1}\n', '{"run": {}}\n']
    assert parse_records(lines, "b") == [{"measure": "m", "value": 1, "benchmark": "b"}]
    crash = error_record("freshness", "exit status 1: Traceback")
    assert crash["measure"] == "freshness" and crash["value"] is None
    assert crash["error"] == "exit status 1: Traceback"


DOC = "# Benchmarks\n\nIntro.\n\n## 1. Details\n\nkept as they are\n"


def test_the_summary_is_inserted_then_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    jsonl = tmp_path / "run.jsonl"
    records = [
        Measure("rebuild_rate@8k_events", 900.0, "events/s", "library read", 3000.0).record(
            "rebuild"
        ),
        error_record("freshness", "exit status 1: boom"),
    ]
    run = {"command": "python -m bench all --quick --json", "cores": 2, "started": "d"}
    run |= {"load_before": [4.5, 5.0, 5.5], "load_after": [3.0, 3.5, 4.0]}
    jsonl.write_text(
        "[bench] noise\n"
        + "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        + json.dumps({"run": run})
        + "\n"
    )
    loaded, loaded_run = summary.load(jsonl)
    assert loaded == records and loaded_run == run
    doc = tmp_path / "benchmarks.md"
    doc.write_text(DOC)
    summary.write(doc, loaded, loaded_run)
    first = doc.read_text()
    assert first.startswith("# Benchmarks\n")
    assert first.count(summary.START) == 1 and first.count(summary.END) == 1
    assert "python -m bench all --quick --json" in first and "4.50 / 5.00 / 5.50" in first
    assert (
        "| rebuild | `rebuild_rate@8k_events` | 900 events/s | library read: 3,000 events/s | 0.3× |"
        in (first)
    )
    assert "**no**" in first and "error: exit status 1: boom" in first
    assert first.endswith("## 1. Details\n\nkept as they are\n")
    summary.write(doc, loaded[:1], loaded_run)
    second = doc.read_text()
    assert second.count(summary.START) == 1 and "boom" not in second
    assert second.endswith("## 1. Details\n\nkept as they are\n")
