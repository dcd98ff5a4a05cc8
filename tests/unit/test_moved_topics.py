"""Events stored before shared/ was laid out (ADR 0016) still load: their topics name the old
module paths (``shared.platforms:ServicePlatform.Opened`` …), which shared/tier/topics.py
registers for the modules' new homes (ADR 0002: stored event topics are a storage contract)."""

from __future__ import annotations

import inspect
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from services.platform import Platform
from shared.capabilities.ledger.domain import ChainCheckpoint
from shared.capabilities.sampling.application import draw
from shared.infrastructure import eventstore
from shared.infrastructure.settings import Settings
from shared.kernel.integration.events import PlatformKind
from shared.kernel.jurisdiction import Tier
from shared.tier.topics import MOVED_MODULES
from tests.helpers import COUNTY, VILLAGE, apps, county_op, meta, seed_approvals, usci
from tests.helpers import test_account as open_account

#: Where events were stored from before the layout, and where they live now.
EVENT_MODULES = {
    old: new
    for old, new in MOVED_MODULES.items()
    if old
    in (
        "shared.platforms",
        "shared.ledger",
        "shared.identity.accounts",
        "shared.approvals",
        "shared.sampling",
        "shared.zombie_exit",
    )
}


def old_topic(topic: str) -> str | None:
    module, _, name = topic.partition(":")
    olds = [old for old, new in EVENT_MODULES.items() if new == module]
    return f"{olds[0]}:{name}" if olds else None


def event_classes(module: Any) -> list[type[DomainEvent]]:
    """Every event class an aggregate of ``module`` defines (nested classes included)."""
    found: list[type[DomainEvent]] = []

    def walk(owner: type) -> None:
        for value in vars(owner).values():
            if inspect.isclass(value) and value.__module__ == module.__name__:
                if issubclass(value, DomainEvent):
                    found.append(value)
                walk(value)

    for value in vars(module).values():
        if inspect.isclass(value) and value.__module__ == module.__name__:
            walk(value)
    return found


def test_every_old_event_topic_resolves_to_the_moved_class() -> None:
    import importlib

    assert len(EVENT_MODULES) == 6
    for old, new in EVENT_MODULES.items():
        classes = event_classes(importlib.import_module(new))
        assert classes, new
        for cls in classes:
            topic = get_topic(cls)
            assert topic.startswith(new + ":")
            assert resolve_topic(old + topic[len(new) :]) is cls


def test_no_old_module_path_is_a_module_again() -> None:
    """The resolver tries registered module paths as prefixes of a topic's module: an old path
    that named a module or package again would shadow it (and rewrite its topics)."""
    import importlib.util

    def spec(name: str) -> object:
        try:
            return importlib.util.find_spec(name)
        except ModuleNotFoundError:  # its parent package is gone too
            return None

    for old, new in MOVED_MODULES.items():
        assert spec(old) is None, old
        assert not new.startswith(old + "."), (old, new)


def test_old_recorder_topics_resolve() -> None:
    """``APPLICATION_RECORDER_TOPIC`` and ``PERSISTENCE_MODULE`` values written with the old
    module path (a deployment's environment) still name the recorders."""
    for name in ("ChainedPostgresApplicationRecorder", "ChainedSQLiteApplicationRecorder"):
        assert resolve_topic(f"shared.eventstore:{name}") is getattr(eventstore, name)
    assert resolve_topic("shared.eventstore:ChainedPOPOFactory") is eventstore.ChainedPOPOFactory
    assert Settings.__module__ == "shared.infrastructure.settings"


def _produce_events(platform: Platform) -> None:
    """Events of every moved aggregate module but the zombie exit's (its class topics are
    checked above): platforms, checkpoints, returns, draws, accounts."""
    v, _, c = apps(platform)
    for serial in range(1, 4):
        c.register(usci(serial), f"社工站{serial}", "services", VILLAGE, None, meta(county_op()))
    c.open_platform(PlatformKind.COUNTY_CENTRE, COUNTY, "第二中心", meta(county_op()))
    platform.drain()
    draw(c, None, date.today().year, "seed", None, meta(county_op()))
    seed_approvals(platform, date.today().year - 1)
    open_account(c, county_op())
    for tier in Tier:
        assert platform.tiers[tier].app.record_checkpoint(date.today(), {}) is not None


def test_events_stored_under_old_topics_load_through_the_application(platform: Platform) -> None:
    """Each aggregate's stored events, copied under a new id with their old topics, load
    through the tier application's repository as the same aggregate."""
    _produce_events(platform)
    covered: set[str] = set()
    for tier in Tier:
        app = platform.tiers[tier].app
        by_aggregate: dict[UUID, list[StoredEvent]] = {}
        for n in app.recorder.select_notifications(0, 100_000):
            if old_topic(n.topic) is not None:
                by_aggregate.setdefault(n.originator_id, []).append(n)
        for originator_id, stored in by_aggregate.items():
            copy_id = uuid4()
            copies = []
            for s in stored:
                old = old_topic(s.topic)
                assert old is not None
                covered.add(old.partition(":")[0])
                copies.append(StoredEvent(copy_id, s.originator_version, old, s.state))
            app.recorder.insert_events(copies)
            original = app.repository.get(originator_id)
            loaded = app.repository.get(copy_id)
            assert type(loaded) is type(original)
            assert _state(loaded) == _state(original)
    assert covered == set(EVENT_MODULES) - {"shared.zombie_exit"}


def test_a_checkpoint_stored_under_its_old_topic_is_still_an_anchor(platform: Platform) -> None:
    """``anchors()`` selects checkpoints by topic: it asks for the old topic too."""
    county = platform.tiers[Tier.COUNTY].app
    apps(platform)[2].register(usci(1), "社工站", "services", VILLAGE, None, meta(county_op()))
    assert county.record_checkpoint(date.today(), {}) is not None
    (stored,) = county.recorder.select_notifications(
        0, 1, topics=[get_topic(ChainCheckpoint.Recorded)]
    )
    old = StoredEvent(uuid4(), 1, "shared.ledger:ChainCheckpoint.Recorded", stored.state)
    county.recorder.insert_events([old])
    anchors = county.anchors()
    assert len(anchors) == 2
    assert anchors[1]["statement"]["checkpoint_id"] == str(old.originator_id)
    assert anchors[1]["statement"]["heads"] == anchors[0]["statement"]["heads"]


def _state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k not in ("_id", "_pending_events")}


def test_county_funding_events_stored_before_the_tier_package_load(platform: Platform) -> None:
    """``services/county/funding.py`` became ``services/county/funding/domain.py``: the old
    module path is now the package, which names the aggregates, so old topics resolve; and the
    new topics resolve in a process that has not written one yet (nothing shadows them)."""
    import subprocess
    import sys

    from services.county.funding import domain

    for cls in event_classes(domain):
        assert resolve_topic("services.county.funding:" + cls.__qualname__) is cls
    fresh = subprocess.run(
        [
            sys.executable,
            "-c",
            "from eventsourcing.utils import resolve_topic as r;"
            "import shared.tier.application;"
            "print(r('services.county.funding.domain:FundingCall.Opened').__module__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert fresh.stdout.strip() == "services.county.funding.domain"
    _, _, c = apps(platform)
    deadline = date.today() + timedelta(days=30)
    call = c.open_call(
        "micro_venture", "2026", "征集", Decimal("10000"), deadline, meta(county_op())
    )
    c.close_call(call.id, "预算用完", meta(county_op()))
    app = platform.tiers[Tier.COUNTY].app
    stored = [n for n in app.recorder.select_notifications(0, 1000) if n.originator_id == call.id]
    assert {s.topic.partition(":")[0] for s in stored} == {"services.county.funding.domain"}
    copy_id = uuid4()
    app.recorder.insert_events(
        [
            StoredEvent(
                copy_id,
                s.originator_version,
                s.topic.replace("services.county.funding.domain:", "services.county.funding:"),
                s.state,
            )
            for s in stored
        ]
    )
    assert _state(app.repository.get(copy_id)) == _state(app.repository.get(call.id))
