"""A phase of an import, a hundred rows at a time: their reads in a few queries, their saves in
one transaction (ADR 0020, "Speed").

Every row still runs the tier command an operator's request runs, with all its guards. What
changes is where the command's reads come from and when its events are stored:

- **Reads.** Before a chunk's commands run, :meth:`Chunk.prefetch` reads, in one query each,
  the aggregates they will load (the organisation, the record a row creates — absent unless
  imported before —, the steps of returns that could lock the day, the volunteers named), the
  organisations' facts and the returns' positions. Within the chunk the application's
  ``repository.get``, ``lookup.get`` and ``return_positions`` answer from these, and from the
  events the chunk's own commands recorded; anything not prefetched is read once, then kept.
  Each ``get`` projects a fresh aggregate from the events, as the repository does, so a command
  that fails half-way leaves nothing behind.
- **Saves.** A command's ``save`` adds its events to the chunk (so the next command sees them)
  and they are stored together when the chunk ends: one transaction for the chunk. A crash loses
  at most the unsaved chunk, whose rows' keys are not yet applied: the next run records them.

The kept state lives for one chunk only (memory stays flat), and it is correct because the
import is the only writer while it runs (ADR 0020): a concurrent writer's event to an aggregate
the chunk also changes makes the chunk's insert fail on the store's version check (nothing is
overwritten; the run stops, and the next run carries on).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent

from shared.capabilities.approvals.domain import periods_covering, return_id
from shared.infrastructure.store import Row
from shared.kernel.jurisdiction import Tier
from shared.tier.lookup import OrgFacts

CHUNK = 100
T = TypeVar("T")


def replay(events: list[Any]) -> Any:
    """The aggregate its events make (None for none): the library's ``project_aggregate``
    without its ``isinstance`` check against a runtime Protocol per event, which cost more
    than the mutations themselves in an import's profile."""
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class Chunk:
    """The reads and saves of one chunk of commands on one tier application."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.events: dict[UUID, list[Any]] = {}  # aggregate → its events (absent: [])
        self.facts: dict[str, OrgFacts | None] = {}
        self.positions: dict[str, Row | None] = {}
        self.pending: list[Any] = []

    # ------------------------------------------------------------ prefetch

    def prefetch(
        self,
        aggregates: Iterable[UUID] = (),
        organisations: Iterable[UUID] = (),
        returns: Iterable[UUID] = (),
    ) -> None:
        """Reads what the chunk's commands will read, one query per kind."""
        wanted = [i for i in dict.fromkeys(aggregates) if i not in self.events]
        for i in wanted:
            self.events[i] = []
        for stored in self.app.recorder.select_events_of(wanted) if wanted else ():
            self.events[stored.originator_id].append(self.app.mapper.to_domain_event(stored))
        orgs = [str(i) for i in dict.fromkeys(organisations) if str(i) not in self.facts]
        found = self.app.lookup.get_many(orgs)
        self.facts |= {i: found.get(i) for i in orgs}
        rids = [r for r in dict.fromkeys(returns) if str(r) not in self.positions]
        if rids:
            rows = self.real_positions(rids)
            self.positions |= {str(r): rows.get(str(r)) for r in rids}

    def org_facts(self, org: UUID) -> OrgFacts | None:
        if str(org) not in self.facts:
            self.prefetch(organisations=[org])
        return self.facts[str(org)]

    @staticmethod
    def returns_covering(village: str, day: date) -> set[UUID]:
        """The returns that could lock ``day`` of ``village`` (those ``check_unlocked`` reads;
        with no step of one in the read model, it reads the return's first step)."""
        return {return_id(k, village, label) for k, label in periods_covering(day)}

    # ------------------------------------------------------------ the application's reads

    def get(self, aggregate_id: UUID, *, version: int | None = None, **kwargs: Any) -> Any:
        if version is not None or kwargs:  # a historical read: not what commands do
            return self.real_get(aggregate_id, version=version, **kwargs)
        if aggregate_id not in self.events:
            self.prefetch([aggregate_id])
        aggregate = replay(self.events[aggregate_id])
        if aggregate is None:
            raise AggregateNotFoundError(aggregate_id)
        return aggregate

    def find_many(self, aggregate_ids: Any) -> dict[UUID, Any]:
        self.prefetch(aggregate_ids)
        found = {i: replay(self.events[i]) for i in aggregate_ids}
        return {i: aggregate for i, aggregate in found.items() if aggregate is not None}

    def lookup_get(self, org_id: UUID | str) -> OrgFacts | None:
        return self.org_facts(UUID(str(org_id)))

    def return_positions(self, return_ids: list[UUID]) -> dict[str, Row]:
        self.prefetch(returns=return_ids)
        return {str(r): row for r in return_ids if (row := self.positions[str(r)]) is not None}

    # ------------------------------------------------------------ saves

    def save(self, *objs: Any, **kwargs: Any) -> list[Any]:
        assert not kwargs, "a chunk's saves take aggregates only"
        collected: ProcessingEvent[UUID] = ProcessingEvent()
        collected.collect_events(*objs)
        for event in collected.events:
            known = self.events.get(event.originator_id)
            if known is not None:
                known.append(event)
            elif event.originator_version == 1:  # created here, never read
                self.events[event.originator_id] = [event]
        self.pending += collected.events
        return []

    def flush(self) -> None:
        """Stores the chunk's events in one transaction, and forgets what the chunk read."""
        if self.pending:
            self.real_save(*self.pending)
        self.pending, self.events, self.facts, self.positions = [], {}, {}, {}

    # ------------------------------------------------------------ installation

    @property
    def real_get(self) -> Callable[..., Any]:
        return type(self.app.repository).get.__get__(self.app.repository)  # type: ignore[no-any-return]

    @property
    def real_save(self) -> Callable[..., Any]:
        return type(self.app).save.__get__(self.app)  # type: ignore[no-any-return]

    def real_positions(self, rids: list[UUID]) -> dict[str, Row]:
        return type(self.app).return_positions(self.app, rids)  # type: ignore[no-any-return]


@contextmanager
def chunked(app: Any) -> Iterator[Chunk]:
    """Within the block, ``app`` reads and saves through one :class:`Chunk` at a time; call
    ``flush`` between chunks. What is pending is stored when the block ends without an error
    (on an error it is dropped: those rows are recorded by the next run)."""
    chunk = Chunk(app)
    # Instance attributes shadow the methods for this block only (deleted at the end).
    app.repository.get, app.lookup.get = chunk.get, chunk.lookup_get
    app.save, app.return_positions = chunk.save, chunk.return_positions
    app.find_many = chunk.find_many
    try:
        yield chunk
        chunk.flush()
    finally:
        del app.repository.get, app.lookup.get, app.save, app.return_positions, app.find_many


@contextmanager
def chunks_of(platform: Any) -> Iterator[dict[Tier, Chunk]]:
    """:func:`chunked` on every tier of ``platform`` (a ledger row may act at any tier)."""
    with ExitStack() as stack:
        yield {tier: stack.enter_context(chunked(t.app)) for tier, t in platform.tiers.items()}


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (itertools.batched arrives in Python 3.12)."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
