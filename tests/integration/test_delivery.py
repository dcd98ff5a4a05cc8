"""At-least-once transport in the running platform: re-published and lost records."""

from __future__ import annotations

from datetime import date

from services.platform import Platform
from shared.infrastructure.transport.base import Producer
from shared.kernel.jurisdiction import Tier
from tests.helpers import VILLAGE, apps, dump, heads, meta, seed_history, village_op


def test_relay_republishing_after_a_crash_changes_nothing(platform: Platform) -> None:
    seed_history(platform)
    before = {t: dump(rt.db) for t, rt in platform.tiers.items()}
    positions = platform.positions()
    for rt in platform.tiers.values():  # as if each relay died before recording its position
        with rt.db.transaction() as tx:
            tx.execute("UPDATE relay_position SET position = 0")
        assert rt.relay.position() == 0
    platform.drain()
    assert {t: rt.relay.position() for t, rt in platform.tiers.items()} == heads(platform)
    assert platform.positions() == positions
    assert {t: dump(rt.db) for t, rt in platform.tiers.items()} == before


class DropSecond:
    """A producer that loses the second record it is given (a broker losing a write)."""

    def __init__(self, inner: Producer) -> None:
        self.inner, self.seen = inner, 0

    def publish(self, topic: str, key: str, value: bytes) -> None:
        self.seen += 1
        if self.seen != 2:
            self.inner.publish(topic, key, value)

    def flush(self) -> None:
        self.inner.flush()


def test_a_lost_record_is_recovered_from_the_source_store(platform: Platform) -> None:
    village = platform.tiers[Tier.VILLAGE]
    village.relay.producer = DropSecond(village.relay.producer)
    v = apps(platform)[0]
    for name in ("甲队", "乙队", "丙队"):
        v.apply_for_filing(VILLAGE, name, "other", date(2025, 1, 1), meta(village_op()))
    platform.drain()
    assert village.relay.producer.seen == 3
    for rt in platform.tiers.values():
        assert rt.projector.position("village") == 3
        with rt.db.transaction() as tx:
            names = {r["name"] for r in tx.all("SELECT name FROM org")}
        assert names == {"甲队", "乙队", "丙队"}
