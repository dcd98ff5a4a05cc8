"""The Kafka transport against a real Kafka-protocol broker (Tansu, started by the test setup):
ordered publish/flush/consume, explicit assignment from stored offsets, three topics at once,
and the relay + projector round trip with PostgreSQL read models."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from services.topology import LocalBroker
from shared.infrastructure.store import Tx
from shared.infrastructure.transport.base import Consumer, Record
from shared.infrastructure.transport.kafka import KafkaTransport, ensure_topics
from shared.kernel.integration.envelope import Envelope, topic_for
from shared.kernel.jurisdiction import Tier
from shared.tier import readmodel
from tests.faults.support import close_platform, in_process_platform, reconcile, settle
from tests.helpers import VILLAGE, apps, meta, seed_history, today_cst, village_op

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """One broker for the transport tests; each uses topics of its own."""
    broker = LocalBroker(log=tmp_path_factory.mktemp("kafka") / "broker.log").start()
    yield broker
    broker.stop()


@pytest.fixture
def topics(kafka: LocalBroker) -> list[str]:
    names = [f"test.{uuid4().hex[:8]}.{n}" for n in range(3)]
    ensure_topics(kafka.bootstrap, names)  # as the init step does: one partition each
    return names


def read(consumer: Consumer, n: int, timeout: float = 15) -> list[Record]:
    """Poll until at least ``n`` records arrived (a test that wants exactly ``n`` checks)."""
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    while len(records) < n:
        assert time.monotonic() < deadline, f"{len(records)} of {n} records after {timeout}s"
        records.extend(consumer.poll(0.2))
    return records


def test_publish_flush_consume_in_order(kafka: LocalBroker, topics: list[str]) -> None:
    transport = KafkaTransport(kafka.bootstrap)
    producer = transport.producer()
    for n in range(300):
        producer.publish(topics[0], "village", f"{n}".encode())
    producer.flush()  # every record acknowledged
    producer.close()
    consumer = transport.consumer([topics[0]])
    try:
        records = read(consumer, 300)
        assert [r.value for r in records] == [f"{n}".encode() for n in range(300)]
        assert [r.offset for r in records] == list(range(300))
        assert {(r.topic, r.partition, r.key) for r in records} == {(topics[0], 0, b"village")}
        assert consumer.poll(0.3) == []  # nothing more, nothing twice
    finally:
        consumer.close()


def test_consumer_starts_from_the_offsets_it_is_given(
    kafka: LocalBroker, topics: list[str]
) -> None:
    transport = KafkaTransport(kafka.bootstrap)
    producer = transport.producer()
    for topic in topics[:2]:
        for n in range(50):
            producer.publish(topic, "township", f"{topic}:{n}".encode())
    producer.flush()
    producer.close()
    consumer = transport.consumer(topics[:2])
    try:
        # As the projector resumes: offsets stored with the read model; a partition not named
        # starts from the beginning.
        consumer.assign({(topics[0], 0): 42})
        records = read(consumer, 8 + 50)
        by_topic = {t: [r.offset for r in records if r.topic == t] for t in topics[:2]}
        assert by_topic == {topics[0]: list(range(42, 50)), topics[1]: list(range(50))}
        consumer.assign({(topics[0], 0): 10, (topics[1], 0): 49})  # and again, backwards
        again = read(consumer, 40 + 1)
        assert Counter(r.topic for r in again) == {topics[0]: 40, topics[1]: 1}
        first = [r for r in again if r.topic == topics[0]][0]
        assert (first.offset, first.value) == (10, f"{topics[0]}:10".encode())
    finally:
        consumer.close()


def test_records_from_three_topics(kafka: LocalBroker, topics: list[str]) -> None:
    transport = KafkaTransport(kafka.bootstrap)
    producer = transport.producer()
    for n in range(90):
        producer.publish(topics[n % 3], ["county", "township", "village"][n % 3], f"{n}".encode())
    producer.flush()
    producer.close()
    consumer = transport.consumer(topics)
    try:
        records = read(consumer, 90)
        assert len(records) == 90
        for i, topic in enumerate(topics):  # each topic in its own order
            values = [int(r.value) for r in records if r.topic == topic]
            assert values == list(range(i, 90, 3))
    finally:
        consumer.close()


def test_a_topic_the_broker_created_itself_still_reaches_the_consumer(kafka: LocalBroker) -> None:
    # A broker that lost its topics (Tansu restarted empty) re-creates them on first use with
    # its own partition count (Tansu: 4); the producer must still write where consumers read.
    topic = f"test.{uuid4().hex[:8]}.auto"
    transport = KafkaTransport(kafka.bootstrap)
    producer = transport.producer()
    for source in ("county", "township", "village"):
        producer.publish(topic, source, source.encode())
    producer.flush()
    producer.close()
    consumer = transport.consumer([topic])
    try:
        assert sorted(r.value for r in read(consumer, 3)) == [b"county", b"township", b"village"]
    finally:
        consumer.close()


# ------------------------------------------------------------------ relay + projector round trip


@pytest.fixture
def fresh_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A broker of its own: the tier topics have fixed names."""
    broker = LocalBroker(log=tmp_path / "broker.log").start()
    yield broker
    broker.stop()


def test_relay_and_projector_round_trip_over_kafka(
    fresh_database: str,
    fresh_broker: LocalBroker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = in_process_platform(fresh_database, fresh_broker, tmp_path / "data")
    try:
        for rt in p.tiers.values():
            rt.projector.sources = None  # no catch-up from the stores: the broker delivers all
        monkeypatch.setattr(p, "drain", lambda: settle(p))
        history = seed_history(p)  # every step waits for all three tiers to project it
        heads = {rt.app.name: rt.app.recorder.max_notification_id() for rt in p.tiers.values()}
        # The county's four registrations each store their USCI claim too (ADR 0034).
        assert heads == {"village": 17, "township": 18, "county": 40}
        for tier, rt in p.tiers.items():
            with rt.db.transaction() as tx:
                offsets = {
                    r["topic"]: r["next_offset"] for r in tx.all("SELECT * FROM consumer_offset")
                }
            # every record of every topic read once, and its offset stored with the read model
            assert offsets == {topic_for(t): heads[str(t)] for t in Tier}, tier
            assert rt.relay.position() == heads[str(tier)]
    finally:
        close_platform(p)

    # Restarted: consumers resume from the stored offsets, nothing is applied again.
    applied: list[UUID] = []
    apply = readmodel.apply

    def counting(tx: Tx, env: Envelope) -> None:
        applied.append(env.event_id)
        apply(tx, env)

    monkeypatch.setattr(readmodel, "apply", counting)
    again = in_process_platform(fresh_database, fresh_broker, tmp_path / "data")
    try:
        for rt in again.tiers.values():
            rt.projector.sources = None
        settle(again)
        assert applied == []
        apps(again)[0].report_activity(
            history.filed,
            today_cst(),
            "services",
            7,
            1,
            1,
            Decimal("2"),
            9,
            Decimal("0"),
            meta(village_op(VILLAGE)),
        )
        settle(again)
        assert len(applied) == 3  # the new event, once per tier
    finally:
        close_platform(again)
    reconcile(
        again.settings,
        # The seeded history's four activities (25 participants each) and the new one.
        totals={"organisations.active": 3, "activity.activities": 5, "activity.participants": 107},
    )
