"""The one envelope every integration event travels in.

``source``/``position`` identify the notification in the source tier's event store;
``previous_position`` is the position the same relay published just before, so a consumer can
tell a real gap (something in between never arrived) from the harmless gaps in notification ids
that rolled-back inserts leave (platform notes).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.kernel.integration.events import TYPES, Payload
from shared.kernel.jurisdiction import Tier


class UnknownEventType(ValueError):
    pass


class ActorV1(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    tier: Tier
    division: str
    role: str
    # Added after v1 shipped (optional, ADR 0002): the person's name on the acting account.
    name: str | None = None


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: UUID
    type: str
    source_tier: Tier
    source: str
    position: int
    previous_position: int
    division_code: str
    organisation_id: UUID | None
    recorded_at: datetime
    effective_at: datetime
    actor: ActorV1
    correlation_id: str
    causation_id: str | None
    data: dict[str, Any]
    # Added after v1 shipped, optional so older envelopes still parse (ADR 0002): the rule
    # version an automated decision applied, and the hash-chain link of this event in its
    # source store (shared/kernel/chain.py), which carries each tier's chain head upward.
    rule_version: str | None = None
    chain: str | None = None

    def payload(self) -> Payload:
        """The typed payload; raises UnknownEventType for a type this consumer does not know."""
        try:
            return TYPES[self.type].model_validate(self.data)
        except KeyError:
            raise UnknownEventType(self.type) from None

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate(json.loads(raw))


# An envelope's place in its source's log: known only once the event is stored and read back
# in order, so an envelope written when its event is stored (ADR 0032) is written without it.
PLACE_FIELDS = frozenset({"position", "previous_position", "chain"})


def body_of(envelope: Envelope) -> bytes:
    """The envelope without its place in the log, as stored beside its event (ADR 0032)."""
    return envelope.model_dump_json(exclude=set(PLACE_FIELDS)).encode()


def placed(body: bytes, position: int, previous_position: int, chain: str | None) -> bytes:
    """A stored body (``body_of``) with its place in the log: the envelope's wire form, read
    as ``Envelope.from_bytes`` reads a whole one. Spliced rather than parsed and dumped
    again, so the relay publishes a stored event without decoding it at all."""
    head = b'{"position":%d,"previous_position":%d,"chain":%s' % (
        position,
        previous_position,
        json.dumps(chain).encode(),
    )
    return head + (b"," + body[1:] if body != b"{}" else b"}")


def topic_for(tier: Tier) -> str:
    """Kafka topic a tier's integration events are published to."""
    return f"sanji.{tier}.events.v1"
