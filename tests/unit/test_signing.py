"""Signed links and checkpoints, the anchor files, and what ``verify_log`` makes of links
written without the key (ADR 0006)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteDatastore

from shared.infrastructure.eventstore import (
    ChainedPOPOApplicationRecorder,
    ChainedSQLiteApplicationRecorder,
)
from shared.kernel.chain import StoredRow, chain_rows, verify_log
from shared.kernel.signing import (
    AnchorSink,
    SigningKeyMissing,
    Verifier,
    load_signer,
    read_anchors,
)
from shared.tier.runtime import period_start

TOPIC = "services.county.domain:Registration.Registered"


def rows(n: int) -> list[StoredRow]:
    return [StoredRow(i, uuid4(), 1, TOPIC, f'{{"n": {i}}}'.encode()) for i in range(1, n + 1)]


def test_the_key_is_made_once_readable_by_its_owner_only_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing-key.pem"
    with pytest.raises(SigningKeyMissing, match="SANJI_SIGNING_KEY_FILE"):
        load_signer(path, create=False)
    signer = load_signer(path, create=True)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = load_signer(path, create=True)  # exists: read, not replaced
    assert again.key_id == signer.key_id and len(signer.key_id) == 16
    other = load_signer(tmp_path / "other.pem", create=True)
    assert other.key_id != signer.key_id


def test_link_and_anchor_signatures_check_only_with_the_right_key_and_content(
    tmp_path: Path,
) -> None:
    signer = load_signer(tmp_path / "k.pem", create=True)
    other = load_signer(tmp_path / "o.pem", create=True)
    link = "sha256:" + "ab" * 32
    sig = signer.sign_link(link)
    assert sig.startswith(f"ed25519:{signer.key_id}:")
    assert signer.check_link(link, sig)
    assert not signer.check_link("sha256:" + "cd" * 32, sig)  # another link
    assert not signer.check_link(link, other.sign_link(link))  # another key
    assert not signer.check_link(link, None) and not signer.check_link(link, "ed25519:x:!!")
    # A link signature is no anchor signature (domain separation), and the public key alone
    # (as a province holds it) checks both.
    statement = {"tier": "county", "heads": [{"source": "county", "position": 3, "link": link}]}
    anchor_sig = signer.sign_anchor(statement)
    province = Verifier.from_pem(signer.public_pem)
    assert province.check_anchor(statement, anchor_sig)
    assert not province.check_anchor(statement, sig)
    statement["heads"][0]["position"] = 4
    assert not province.check_anchor(statement, anchor_sig)


def test_the_anchor_sink_appends_whole_lines_and_unreadable_ones_are_reported(
    tmp_path: Path,
) -> None:
    a, b = AnchorSink(tmp_path / "anchors", "county"), AnchorSink(tmp_path / "anchors", "county")
    for i in range(50):  # two writers, each opening O_APPEND: nothing overwritten
        (a if i % 2 else b).append({"position": i, "statement": {"tier": "county"}})
    path = tmp_path / "anchors" / "county.jsonl"
    assert [json.loads(line)["position"] for line in path.read_text().splitlines()] == list(
        range(50)
    )
    with path.open("a") as f:
        f.write("{not json\n")
    found = list(read_anchors([path, tmp_path / "missing.jsonl"]))
    assert len(found) == 51 and found[-1] == {"unreadable": f"{path}:51"}


def test_verify_log_names_the_first_link_written_without_the_key(tmp_path: Path) -> None:
    signer = load_signer(tmp_path / "k.pem", create=True)
    log = rows(8)
    links = list(chain_rows("sha256", "", log, signer.sign_link))
    assert verify_log("c", log, links, signer.check_link).findings == []
    # Rewritten together with the chain from position 4 on (old signatures kept: no key).
    edited = [replace(r, state=b"{}") if r.position == 4 else r for r in log]
    rechained = list(chain_rows("sha256", links[2].link, edited[3:]))
    forged = links[:3] + [
        replace(k, signature=o.signature) for k, o in zip(rechained, links[3:], strict=True)
    ]
    found = verify_log("c", edited, forged, signer.check_link).findings
    assert [(f.kind, f.position) for f in found] == [("forged", 4)]  # one finding for the run
    assert "the 4 links after it" in found[0].detail
    # An event appended with a correctly computed, unsigned link.
    extra = StoredRow(9, uuid4(), 1, TOPIC, b"{}")
    (appended,) = chain_rows("sha256", links[-1].link, [extra])
    found = verify_log("c", [*log, extra], [*links, appended], signer.check_link).findings
    assert [(f.kind, f.position) for f in found] == [("forged", 9)]
    assert str(extra.originator_id) in found[0].event
    # Without a key nothing asks for signatures (stores written before they existed).
    assert verify_log("c", [*log, extra], [*links, appended]).findings == []


def test_the_memory_recorder_signs_what_it_chains(tmp_path: Path) -> None:
    recorder = ChainedPOPOApplicationRecorder()
    recorder.signer = load_signer(tmp_path / "k.pem", create=True)
    recorder.insert_events([StoredEvent(uuid4(), 1, TOPIC, b"{}") for _ in range(3)])
    links = recorder.select_links(1, 3)
    assert all(recorder.signer.check_link(lk.link, lk.signature) for lk in links)


def test_a_sqlite_store_chained_before_signing_is_migrated_and_signed_by_the_upgrade_step_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "county-events.db"
    with sqlite3.connect(path) as conn:  # the chain table as it was before issue 11
        conn.execute(
            "CREATE TABLE county_chain (position INTEGER PRIMARY KEY, originator_id TEXT NOT NULL,"
            " originator_version INTEGER NOT NULL, topic TEXT NOT NULL, digest TEXT NOT NULL,"
            " link TEXT NOT NULL)"
        )
    recorder = ChainedSQLiteApplicationRecorder(SQLiteDatastore(str(path)), "county_events")
    recorder.create_table()  # adds the signature column
    recorder.insert_events([StoredEvent(uuid4(), 1, TOPIC, b"{}") for _ in range(3)])
    signer = recorder.signer = load_signer(tmp_path / "k.pem", create=True)
    recorder.insert_events([StoredEvent(uuid4(), 1, TOPIC, b"{}")])

    def findings() -> list[tuple[str, int]]:
        rows = [
            StoredRow(n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in recorder.select_notifications(0, 100)
        ]
        links = recorder.select_links(1, 100)
        return [
            (f.kind, f.position) for f in verify_log("c", rows, links, signer.check_link).findings
        ]

    # The write path signs new links only: the three legacy ones stay unsigned until the
    # operator's upgrade step signs those before the first signed link.
    assert findings() == [("forged", 1)]
    assert recorder.sign_legacy_links(before=4) == 3
    assert findings() == []
    # A forger's unsigned append is not signed by the next legitimate write either.
    head = recorder.chain_head()
    assert head is not None
    forged = uuid4()
    with sqlite3.connect(path) as conn:
        cur = conn.execute(
            "INSERT INTO county_events (originator_id, originator_version, topic, state)"
            " VALUES (?, 1, ?, ?)",
            (forged.hex, TOPIC, b"{}"),
        )
        row = StoredRow(int(cur.lastrowid or 0), forged, 1, TOPIC, b"{}")
        (lk,) = chain_rows("sha256", head.link, [row])
        conn.execute(
            "INSERT INTO county_chain VALUES (?, ?, 1, ?, ?, ?, NULL)",
            (lk.position, lk.originator_id.hex, lk.topic, lk.digest, lk.link),
        )
    recorder.insert_events([StoredEvent(uuid4(), 1, TOPIC, b"{}")])
    assert findings() == [("forged", row.position)]


def test_checkpoint_periods_start_at_china_midnight() -> None:
    now = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)  # 01:30 on 6 December in China
    assert period_start(now, 3600) == datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
    assert period_start(now, 86400) == datetime(2026, 12, 5, 16, 0, tzinfo=UTC)  # CST midnight
