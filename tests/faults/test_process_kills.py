"""Roles of the topology killed with SIGKILL in the middle of a burst of commands, and a broker
that comes back empty: the read models still converge with nothing lost and nothing doubled."""

from __future__ import annotations

import signal
from collections import Counter

import psycopg
import pytest

from shared.kernel.jurisdiction import Tier
from tests.faults.support import Deployment, Stores, Watch, reconcile, topic_records, wait_for

pytestmark = pytest.mark.postgres


def test_projector_killed_mid_batch_and_restarted(deployment: Deployment) -> None:
    ops = deployment.ops
    org = ops.filed_group()
    stores = Stores(deployment.settings)
    try:
        start = stores.positions(Tier.COUNTY)["village"]

        def busy() -> bool:  # applying the burst
            return stores.positions(Tier.COUNTY)["village"] >= start + 15

        killed = Watch(busy, lambda: deployment.topology.kill(Tier.COUNTY, "projector"))
        ops.burst(org, 150)
        killed.join()
        # The burst went on while the county projector was dead: its read model is behind.
        behind = stores.positions(Tier.COUNTY)
        assert behind != stores.heads()
        deployment.restart(Tier.COUNTY, "projector")
    finally:
        stores.close()
    reconcile(deployment.settings, ops.ledger)


def test_relay_killed_between_publish_and_position_record(deployment: Deployment) -> None:
    ops = deployment.ops
    org = ops.filed_group()
    stores = Stores(deployment.settings)
    bootstrap = deployment.broker.bootstrap
    # Holding this lock, the village relay can publish and flush, but blocks on recording its
    # position: it is killed exactly in the window ADR 0001 says it may die in.
    lock = psycopg.connect(deployment.settings.postgres_url)
    lock.execute("LOCK TABLE sanji_village_read.relay_position IN EXCLUSIVE MODE")
    try:
        recorded = stores.relay_position(Tier.VILLAGE)

        def acknowledged_not_recorded() -> bool:
            on_broker = [e.position for e in topic_records(bootstrap, Tier.VILLAGE, quiet=0.3)]
            return max(on_broker, default=0) > recorded

        killed = Watch(
            acknowledged_not_recorded, lambda: deployment.topology.kill(Tier.VILLAGE, "relay")
        )
        ops.burst(org, 90)  # goes on after the kill: the relay is dead, commands are not
        killed.join()
    finally:
        lock.rollback()  # the dead relay's blocked INSERT never committed
        lock.close()
    try:
        assert stores.relay_position(Tier.VILLAGE) == recorded
        deployment.restart(Tier.VILLAGE, "relay")
    finally:
        stores.close()
    reconcile(deployment.settings, ops.ledger)
    # The restarted relay published the acknowledged batch again; projectors dropped the copies.
    events = len(ops.ledger.applied) + len(ops.ledger.activities)
    published = Counter(e.position for e in topic_records(bootstrap, Tier.VILLAGE, events + 1))
    assert any(n == 2 for n in published.values())
    assert set(published.values()) <= {1, 2}


def test_broker_restarted_empty_while_the_topology_runs(deployment: Deployment) -> None:
    ops, topology = deployment.ops, deployment.topology
    org = ops.filed_group()
    stores = Stores(deployment.settings)
    try:

        def all_published() -> bool:
            heads = stores.heads()
            return all(stores.relay_position(t) == heads[str(t)] for t in Tier)

        # The county projector is frozen while a burst is published: those events are on the
        # broker and nowhere in its read model when the broker loses everything.
        frozen = topology.procs[(Tier.COUNTY, "projector")]
        frozen.send_signal(signal.SIGSTOP)
        try:
            ops.burst(org, 60)
            wait_for(all_published, 30, stores.lag)
            before = stores.heads()
            assert stores.positions(Tier.COUNTY) != before
            deployment.broker.restart()  # Tansu keeps its log in memory: it comes back empty
        finally:
            frozen.send_signal(signal.SIGCONT)

        # New commands still flow: the relays publish to the new broker, where consumers read.
        ops.burst(org, 60)
        wait_for(all_published, 30, stores.lag)
        for tier in Tier:
            source = str(tier)
            published = {
                e.position for e in stores.envelopes(source) if e.position > before[source]
            }
            bootstrap = deployment.broker.bootstrap
            on_broker = {e.position for e in topic_records(bootstrap, tier, len(published))}
            assert published <= on_broker, (
                f"{tier}: published after the restart, not on partition 0"
            )
    finally:
        stores.close()
    # What the county projector had not applied before the restart came back from the stores.
    reconcile(deployment.settings, ops.ledger)
