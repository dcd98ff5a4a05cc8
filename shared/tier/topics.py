"""Old topics of moved modules still resolve (ADR 0002, ADR 0016).

Stored events record their class as a ``module:Class`` topic, and the recorder settings
(``APPLICATION_RECORDER_TOPIC``, ``PERSISTENCE_MODULE``) are topics too. When a module holding
aggregates, events or recorders moves, its old module path is registered here for the module's
new home, so ``shared.platforms:ServicePlatform.Opened`` written before the move resolves to
the class now in ``shared.capabilities.platforms.domain``. Entries are never removed: the stored
events stay. An old path must never be a module or package again (the resolver tries registered
paths as prefixes of a topic's module, so it would shadow the new topics).

Imported by ``shared.tier.application`` (the base of the three tier applications), so every
application registers the old topics before it reads a stored event. It names modules of the
layers below it by their path only (``importlib``), at import time.
"""

from __future__ import annotations

import importlib

from eventsourcing.utils import register_topic

#: old module path → new module path. Event topics resolve through the module: registering
#: ``shared.ledger`` makes every ``shared.ledger:…`` topic resolve in the new module.
MOVED_MODULES: dict[str, str] = {
    "shared.eventstore": "shared.infrastructure.eventstore",
    "shared.domain": "shared.kernel.domain",
    "shared.platforms": "shared.capabilities.platforms.domain",
    "shared.ledger": "shared.capabilities.ledger.domain",
    "shared.identity": "shared.capabilities.identity",
    "shared.identity.accounts": "shared.capabilities.identity.accounts",
    "shared.approvals": "shared.capabilities.approvals.domain",
    "shared.sampling": "shared.capabilities.sampling.domain",
    "shared.zombie_exit": "shared.capabilities.exits.domain",
}


def old_topics(topic: str) -> list[str]:
    """The topics ``topic`` was stored under before its module moved (none if it never moved).
    A query that filters stored events by topic must ask for these too."""
    module, _, name = topic.partition(":")
    return [f"{old}:{name}" for old, new in MOVED_MODULES.items() if new == module]


def register_moved_topics() -> None:
    """Register every old module path for its new module (idempotent)."""
    for old, new in MOVED_MODULES.items():
        register_topic(old, importlib.import_module(new))


register_moved_topics()
