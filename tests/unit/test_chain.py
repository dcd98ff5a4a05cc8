"""The hash chain by itself: links, digests, and what ``verify_log`` names for each alteration."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from shared.audit.progress import Progress
from shared.infrastructure.eventstore import ChainedPOPOApplicationRecorder
from shared.kernel.chain import (
    ChainError,
    StoredRow,
    chain_rows,
    check_heads,
    digest,
    link,
    verify_log,
)

TOPIC = "services.county.domain:Registration.Registered"


def rows(n: int) -> list[StoredRow]:
    return [StoredRow(i, uuid4(), 1, TOPIC, f'{{"n": {i}}}'.encode()) for i in range(1, n + 1)]


def kinds(findings: list) -> list[tuple[str, int]]:
    return [(f.kind, f.position) for f in findings]


def test_links_are_prefixed_with_their_algorithm_and_sm3_matches_the_standard_vector() -> None:
    d = digest("sha256", uuid4(), 1, TOPIC, b"{}")
    assert d.startswith("sha256:") and len(d) == len("sha256:") + 64
    assert link("sm3", "", 1, d).startswith("sm3:")
    # GB/T 32905-2016 example 1: SM3("abc").
    h = hashlib.new("sm3")
    h.update(b"abc")
    assert h.hexdigest() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    with pytest.raises(ChainError):
        digest("md5", uuid4(), 1, TOPIC, b"{}")


def test_an_intact_log_has_no_findings_and_its_recomputed_head_is_the_last_link() -> None:
    log = rows(5)
    links = list(chain_rows("sha256", "", log))
    result = verify_log("county", log, links)
    assert result.findings == []
    assert result.head == (5, links[-1].link)


def test_each_alteration_is_named_at_its_position() -> None:
    log = rows(6)
    links = list(chain_rows("sha256", "", log))
    edited = [replace(r, state=r.state + b" ") if r.position == 2 else r for r in log]
    assert kinds(verify_log("c", edited, links).findings) == [("edited", 2)]
    deleted = [r for r in log if r.position != 3]
    assert kinds(verify_log("c", deleted, links).findings) == [("deleted", 3)]
    inserted = [*log, StoredRow(7, uuid4(), 1, TOPIC, b"{}")]
    assert kinds(verify_log("c", inserted, links).findings) == [("inserted", 7)]
    swapped = [
        replace(log[4], position=4)
        if r.position == 4
        else replace(log[3], position=5)
        if r.position == 5
        else r
        for r in log
    ]
    assert kinds(verify_log("c", swapped, links).findings) == [("reordered", 4), ("reordered", 5)]
    forged = [replace(lk, link="sha256:" + "0" * 64) if lk.position == 2 else lk for lk in links]
    found = kinds(verify_log("c", log, forged).findings)
    assert ("chain_altered", 2) in found and ("chain_altered", 3) in found  # 3 no longer follows


def test_a_rewritten_chain_is_caught_by_a_head_held_elsewhere() -> None:
    log = rows(4)
    held = list(chain_rows("sha256", "", log))[2]  # someone saw position 3
    edited = [replace(r, state=b"{}") if r.position == 1 else r for r in log]
    rewritten = list(chain_rows("sha256", "", edited))  # the forger rechains everything
    result = verify_log("c", edited, rewritten)
    assert result.findings == []
    mismatch = check_heads(result, [("township read model", held.position, held.link)])
    assert kinds(mismatch) == [("head_mismatch", 3)]
    assert (
        check_heads(
            verify_log("c", log, list(chain_rows("sha256", "", log))), [("x", 3, held.link)]
        )
        == []
    )


def test_the_memory_recorder_chains_what_it_stores() -> None:
    recorder = ChainedPOPOApplicationRecorder()
    events = [StoredEvent(uuid4(), 1, TOPIC, b"{}") for _ in range(3)]
    recorder.insert_events(events[:2])
    recorder.insert_events(events[2:])
    links = recorder.select_links(1, 3)
    assert [lk.position for lk in links] == [1, 2, 3]
    expected = list(
        chain_rows(
            "sha256",
            "",
            [StoredRow(i + 1, e.originator_id, 1, TOPIC, e.state) for i, e in enumerate(events)],
        )
    )
    assert links == expected and recorder.chain_head() == expected[-1]


def test_progress_prints_lines_when_not_on_a_terminal() -> None:
    out = io.StringIO()
    p = Progress("rebuild county", 100, out)
    for _ in range(100):
        p.advance()
    assert p.finish() > 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 11  # 0% … 100% in steps of 10
    assert lines[-1].startswith("[sanji] rebuild county 100/100 (100%)")
