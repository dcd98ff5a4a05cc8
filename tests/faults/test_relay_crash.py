"""A relay that dies after the broker acknowledged its batch and before it recorded its
position: the restarted relay publishes the same events again, over the real broker, and every
projector drops the copies by (source, position) (ADR 0001)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from services.platform import Platform
from services.topology import LocalBroker
from shared.infrastructure.relay import Relay
from shared.infrastructure.store import Database, Tx
from shared.kernel.integration.envelope import Envelope, topic_for
from shared.kernel.jurisdiction import Tier
from shared.tier import readmodel
from tests.faults.support import APPLIED, FILED, reconcile, settle, topic_records
from tests.helpers import VILLAGE, apps, meta, township_op, village_op

pytestmark = pytest.mark.postgres


class Died(Exception):
    """The relay process ended here (as a SIGKILL would end it)."""


class _DiesOnRecord:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        if "INSERT INTO relay_position" in sql:
            raise Died("after the broker acknowledged the batch, before the position was recorded")
        return self._tx.execute(sql, params)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self._tx.all(sql, params)

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        return self._tx.one(sql, params)


class DiesBeforeRecording:
    """The relay's database as a relay that dies before recording its position sees it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @contextmanager
    def transaction(self) -> Iterator[_DiesOnRecord]:
        with self._db.transaction() as tx:
            yield _DiesOnRecord(tx)

    def close(self) -> None:
        pass


def test_relay_dies_between_publish_and_position_record(
    kafka_platform: Platform, broker: LocalBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = kafka_platform
    for rt in p.tiers.values():
        rt.projector.sources = None  # no catch-up from the stores: only the broker delivers
    village = p.tiers[Tier.VILLAGE]
    v, t, _ = apps(p)
    for i in range(12):
        v.apply_for_filing(VILLAGE, f"志愿队{i}", "services", date(2025, 1, 1), meta(village_op()))

    dying = Relay(village.app, DiesBeforeRecording(village.db), village.transport.producer)
    with pytest.raises(Died):
        dying.run_once()  # the real Kafka producer: published and flushed (acknowledged)
    dying.producer.close()  # type: ignore[attr-defined]  # the Kafka producer has close()
    assert village.relay.position() == 0
    assert [e.position for e in topic_records(broker.bootstrap, Tier.VILLAGE, 12)] == list(
        range(1, 13)
    )

    applied: Counter[UUID] = Counter()
    apply = readmodel.apply

    def counting(tx: Tx, env: Envelope) -> None:
        applied[env.event_id] += 1
        apply(tx, env)

    monkeypatch.setattr(readmodel, "apply", counting)
    settle(p)  # the restarted relay publishes the same 12 again; three projectors consume 24

    assert village.relay.position() == 12
    twice = Counter(e.position for e in topic_records(broker.bootstrap, Tier.VILLAGE, 24))
    assert twice == Counter({n: 2 for n in range(1, 13)})
    assert sorted(applied.values()) == [3] * 12  # once per tier, copies ignored
    topic = topic_for(Tier.VILLAGE)
    for rt in p.tiers.values():
        with rt.db.transaction() as tx:
            offset = tx.one("SELECT next_offset FROM consumer_offset WHERE topic = %s", (topic,))
        assert offset == {"next_offset": 24}  # every copy was read, and skipped

    # The platform goes on normally after the crash.
    org = next(UUID(row[0]) for row in readmodel_rows(p))
    t.decide_filing(org, True, "", meta(township_op()))
    settle(p)
    reconcile(
        p.settings,
        types=Counter({APPLIED: 12, FILED: 1}),
        totals={"organisations.active": 1, "organisations.filed": 1, "activity.activities": 0},
    )


def readmodel_rows(p: Platform) -> list[tuple[Any, ...]]:
    with p.tiers[Tier.TOWNSHIP].db.transaction() as tx:
        return [tuple(r.values()) for r in tx.all("SELECT org_id FROM org ORDER BY org_id")]
