"""Out-of-order and duplicated delivery: whatever order and however often the broker delivers a
source's events, gap detection plus catch-up from the source store give the same read model as
in-order delivery (ADR 0001)."""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path
from uuid import uuid4

import pytest

from services.topology import LocalBroker
from shared.infrastructure.store import Database, open_database
from shared.infrastructure.transport.base import Consumer
from shared.infrastructure.transport.kafka import KafkaTransport
from shared.kernel.integration.envelope import Envelope, topic_for
from shared.tier.projector import Projector
from shared.tier.runtime import ALL_TOPICS
from tests.faults.support import check_read_models
from tests.helpers import COUNTY, build_platform, dump, envelopes_by_source, seed_history
from tests.helpers import source_reader as reader_of

pytestmark = pytest.mark.postgres

# What seed_history commands: four activities of 25 participants and 310.40 yuan (the
# registered organisation's mediation before its grade among them, ADR 0024 addendum).
TOTALS = {
    "organisations.active": 3,
    "activity.activities": 4,
    "activity.participants": 100,
    "activity.money_fen": 4 * 31040,
}


def disorder(by_source: dict[str, list[Envelope]], rng: random.Random) -> list[Envelope]:
    """Each source's events shuffled, a third of them twice, sources randomly interleaved."""
    streams = []
    for envelopes in by_source.values():
        stream = envelopes + rng.sample(envelopes, len(envelopes) // 3)
        rng.shuffle(stream)
        streams.append(stream)
    out = []
    while any(streams):
        stream = rng.choice([s for s in streams if s])
        out.append(stream.pop(0))
    return out


def consume_all(projector: Projector, consumer: Consumer, n: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    read = 0
    while read < n:
        assert time.monotonic() < deadline, f"{projector.name} read {read} of {n} records"
        read += projector.consume(consumer.poll(0.2))
    assert read == n


@pytest.mark.parametrize("seed", [7, 11, 2026])
def test_shuffled_and_duplicated_delivery_gives_the_in_order_read_model(
    seed: int,
    postgres_url: str,
    broker: LocalBroker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catch_ups: Counter[str] = Counter()
    catch_up = Projector.catch_up

    def counted(self: Projector, source: str, batch: int = 1000) -> int:
        catch_ups[self.name] += 1  # a gap was detected
        return catch_up(self, source, batch)

    monkeypatch.setattr(Projector, "catch_up", counted)
    history = build_platform(tmp_path)
    opened: list[Database] = []

    def read_model() -> Database:
        db = open_database(f"{postgres_url}?schema=order_{uuid4().hex[:10]}")
        opened.append(db)
        return db

    try:
        seed_history(history)
        by_source = envelopes_by_source(history)
        reader = reader_of(history)
        rng = random.Random(seed)

        in_order = Projector(read_model(), COUNTY, reader, name="in-order")
        for envelopes in by_source.values():
            for env in envelopes:
                assert in_order.process(env)
        reference = dump(in_order.db)

        # Over the real broker: one disordered stream, read by three tier projectors.
        delivered = disorder(by_source, rng)
        producer = KafkaTransport(broker.bootstrap).producer()
        for env in delivered:
            producer.publish(topic_for(env.source_tier), env.source, env.to_bytes())
        producer.flush()
        producer.close()
        transport = KafkaTransport(broker.bootstrap)
        tiers = [Projector(read_model(), COUNTY, reader, name=f"tier-{n}") for n in range(3)]
        for projector in tiers:
            consumer = transport.consumer(ALL_TOPICS)
            projector.resume(consumer)
            consume_all(projector, consumer, len(delivered))
            consumer.close()

        # And directly, another disorder, without a broker.
        direct = Projector(read_model(), COUNTY, reader, name="direct")
        for env in disorder(by_source, rng):
            direct.handle(env)

        assert catch_ups["in-order"] == 0
        assert all(catch_ups[p.name] > 0 for p in [*tiers, direct]), "no gap was ever detected"
        dbs = {p.name: p.db for p in [*tiers, direct]}
        assert check_read_models(dbs, reader, postgres_url, TOTALS) == reference
    finally:
        for db in opened:
            db.close()
        history.stop()
