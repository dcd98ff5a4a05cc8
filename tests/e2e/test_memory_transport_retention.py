"""The embedded transport keeps a bounded log per topic (shared/infrastructure/transport/
memory.py): offsets keep counting, a reader behind the log reads from its oldest record, and a
platform whose projectors fall behind the log still ends with every event projected (they catch
up from the source stores, as after a restart)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.infrastructure.transport import memory
from shared.infrastructure.transport.memory import MemoryTransport
from shared.kernel.jurisdiction import Tier
from tests.helpers import build_platform, dump, heads, seed_history


def test_a_topic_keeps_its_last_records_and_offsets_keep_counting() -> None:
    t = MemoryTransport(retention=10)
    for i in range(25):
        t.append("village", "k", str(i).encode())
    assert t.end_offset("village") == 25
    kept = t.read("village", 0, 100)  # behind the log: from its oldest record
    assert [r.offset for r in kept] == list(range(kept[0].offset, 25))
    assert len(kept) <= 10 and kept[0].offset >= 15
    assert [r.value for r in t.read("village", 20, 3)] == [b"20", b"21", b"22"]
    consumer = t.consumer(["village"])
    consumer.assign({("village", 0): 3})
    assert [r.offset for r in consumer.poll(0)][0] == kept[0].offset


def test_projectors_behind_the_log_catch_up_from_the_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory, "RETENTION", 3)  # every drain finds the log moved on
    small = build_platform(tmp_path / "small")
    full = build_platform(tmp_path / "full")
    monkeypatch.undo()
    try:
        for p in (small, full):
            seed_history(p)
            p.drain()
        sources = {str(t): n for t, n in heads(small).items()}
        for tier in Tier:
            with small.tiers[tier].db.transaction() as tx:
                tracked = {r["source"]: r["position"] for r in tx.all("SELECT * FROM tracking")}
            assert tracked == sources, tier  # every event of every source applied
            # The same history recorded on a platform whose log kept everything: the same
            # rows in every table (ids and times differ between the two platforms).
            rows = {k: len(v) for k, v in dump(small.tiers[tier].db).items()}
            assert rows == {k: len(v) for k, v in dump(full.tiers[tier].db).items()}, tier
    finally:
        small.stop()
        full.stop()
