"""Projector: integration events → this tier's read model, exactly once per (source, position).

Each event is applied in one database transaction together with the tracking row for its
source and the consumer offset it came from, so a crash at any point leaves either all of it or
none. A repeated or older position is a no-op; a position whose ``previous_position`` is not the
tracked one is a gap, filled by reading the source store directly (ADR 0001).

Delivered events are applied up to :data:`BATCH` to a transaction (``process_batch``) when
each is simply the next of its source: the same writes and the same tracking, committed
together, so a crash still leaves each event all applied or not at all (its batch is). Anything
out of the ordinary in a batch — a gap, a duplicate, a blocked source, a poison event, another
writer overtaking — rolls the batch back and the same events go one by one through ``handle``,
exactly as before batching (ADR 0020, docs/benchmarks.md §9).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

from shared.infrastructure.store import Database, Tx
from shared.infrastructure.transport.base import Consumer, Record
from shared.kernel.integration.envelope import Envelope

log = logging.getLogger(__name__)


class SourceReader(Protocol):
    """Reads integration events straight from a source tier's event store."""

    def read(self, source: str, after: int, limit: int) -> list[Envelope]: ...

    def read_at(self, source: str, positions: Iterable[int]) -> list[Envelope]:
        """The events at these notification positions, in position order (an organisation's
        timeline reads them back from the store by its index, shared/audit/timeline.py)."""
        ...

    def head(self, source: str) -> int:
        """The source store's last notification id (0 if empty)."""
        ...

    def names(self) -> list[str]: ...


MAX_ATTEMPTS = 3  # ADR 0003: tries of one event before it is dead-lettered
# Delivered events applied in one transaction (per-transaction cost dominates a bulk load,
# e.g. the ledger import: one commit per event per tier).
BATCH = 200


class _Overtaken(Exception):
    """Another writer advanced this source's position during our transaction."""


class _NotBatchable(Exception):
    """A batch holds an event that is not simply the next of its source: go one by one."""


class Gap(Exception):
    def __init__(self, source: str, tracked: int, previous: int) -> None:
        super().__init__(f"gap in {source}: tracked {tracked}, event follows {previous}")
        self.source = source


@dataclass
class Deferred:
    """What a batch of events writes once, at its end, rather than once per event: each
    touched division's version moves once, and each source's chain head is noted once (the
    last link of the batch). A batch is one transaction, so no reader sees the difference."""

    divisions: set[str] = field(default_factory=set)
    heads: dict[str, Envelope] = field(default_factory=dict)
    # Bulk (a rebuild's or the live projector's batch, not the audit history, which must see
    # every event's rows whole): the read model may also hold back rows that nothing else in
    # the batch reads or writes, and write each kind at the end with one ``Tx.write_many``
    # (statement → parameter rows, in event order).
    bulk: bool = False
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)


class ReadModel(Protocol):
    """What a projector applies events to: the tier's read model (``shared.tier.readmodel``).
    The machinery here knows no capability; the tier binds its read model
    (``shared.tier.projector.Projector``)."""

    def create_schema(self, tx: Tx) -> None: ...

    def project(
        self, tx: Tx, scope: str, env: Envelope, deferred: Deferred | None = None
    ) -> None: ...

    def finish(self, tx: Tx, deferred: Deferred) -> None: ...


def stamp(moment: datetime) -> str:
    """Fixed-width UTC ISO text, so that string order is time order on both engines."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class EventProjector:
    """The projector machinery: tracking, gaps, retries and dead letters. Subclasses name the
    read model the events are applied to (``model``)."""

    model: ClassVar[ReadModel]

    def __init__(
        self,
        db: Database,
        scope: str,
        sources: SourceReader | None = None,
        name: str = "projector",
    ) -> None:
        self.db = db
        self.scope = scope
        self.sources = sources
        self.name = name
        self._advanced = threading.Condition()
        self._failures: dict[tuple[str, int], int] = {}
        self._last_heal_positions: dict[str, int] = {}
        with db.transaction() as tx:
            self.model.create_schema(tx)
        self.blocked = self.blocked_sources()

    # ------------------------------------------------------------ one event

    def process(self, env: Envelope, record: Record | None = None) -> bool:
        """Apply one event; False if it was already applied (duplicate or replay)."""
        try:
            with self.db.transaction() as tx:
                if record is not None:
                    _save_offset(tx, record)
                tracked = _tracked(tx, env.source)
                if env.position <= tracked:
                    return False
                if env.previous_position != tracked:
                    raise Gap(env.source, tracked, env.previous_position)
                self.model.project(tx, self.scope, env)
                # Compare-and-set: if another writer (a catch-up in another process) moved the
                # position meanwhile, roll our changes back; that writer applied this event.
                if not tx.execute(
                    "INSERT INTO tracking (source, position) VALUES (%s, %s) "
                    "ON CONFLICT (source) DO UPDATE SET position = excluded.position "
                    "WHERE tracking.position = %s",
                    (env.source, env.position, tracked),
                ):
                    raise _Overtaken
        except _Overtaken:
            return False
        with self._advanced:
            self._advanced.notify_all()
        return True

    def process_batch(self, items: list[tuple[Envelope, Record | None]]) -> None:
        """Apply consecutive events in one transaction: every event must be the next of its
        source (else :class:`_NotBatchable`, and nothing is applied). Each division's version
        moves once for the batch rather than once per event: its cached counters are stale
        either way, and no reader sees the batch half applied."""
        if any(env.source in self.blocked for env, _ in items):
            raise _NotBatchable
        # Pipelined: the batch's many small writes go out without a round trip each.
        with self.db.transaction(pipelined=True) as tx:
            tracked: dict[str, int] = {}
            for env, _ in items:
                if env.source not in tracked:
                    tracked[env.source] = _tracked(tx, env.source)
            start = dict(tracked)
            deferred = Deferred(bulk=True)
            offsets: dict[tuple[str, int], Record] = {}
            for env, record in items:
                if env.position <= tracked[env.source]:
                    raise _NotBatchable  # a duplicate: handled one by one
                if env.previous_position != tracked[env.source]:
                    raise _NotBatchable  # a gap: healed one by one
                self.model.project(tx, self.scope, env, deferred)
                tracked[env.source] = env.position
                if record is not None:
                    offsets[(record.topic, record.partition)] = record
            self.model.finish(tx, deferred)
            for record in offsets.values():
                _save_offset(tx, record)
            for source, position in tracked.items():
                # Compare-and-set, as for one event: another writer moved it → go one by one.
                if not tx.execute(
                    "INSERT INTO tracking (source, position) VALUES (%s, %s) "
                    "ON CONFLICT (source) DO UPDATE SET position = excluded.position "
                    "WHERE tracking.position = %s",
                    (source, position, start[source]),
                ):
                    raise _NotBatchable
        with self._advanced:
            self._advanced.notify_all()

    def handle_batch(self, items: list[tuple[Envelope, Record | None]]) -> None:
        """Apply delivered events, a batch at a time when they are ordinary, else one by one
        through :meth:`handle` (gaps, retries and dead letters as for any event)."""
        if len(items) > 1:
            try:
                self.process_batch(items)
                return
            except Exception:  # _NotBatchable or a failing event: rolled back, retried singly
                log.debug("%s: batch of %d applied one by one", self.name, len(items))
        for env, record in items:
            self.handle(env, record)

    def handle(self, env: Envelope, record: Record | None = None) -> None:
        """Apply one delivered event: fill gaps from the source; dead-letter a poison event
        after MAX_ATTEMPTS and stop that source (ADR 0003); other sources go on."""
        if env.source in self.blocked:
            return  # its events come back by catch-up once the dead letter is replayed
        try:
            try:
                self.process(env, record)
            except Gap as gap:
                if self.sources is None:
                    raise RuntimeError(
                        f"{self.name}: {gap} and no source reader configured"
                    ) from gap
                log.warning("%s: %s; catching up from the source store", self.name, gap)
                self.heal([gap.source])  # counts a failure against the event that failed
                if self.position(env.source) < env.previous_position:
                    return  # still behind: this event comes back through catch-up
                self.process(env, record)
        except Exception as error:
            if not self.count_failure(env, error):
                raise  # the loop backs off and retries from the stored position

    def dead_letter(self, env: Envelope, error: Exception, attempts: int) -> None:
        log.error(
            "%s: dead-lettering %s@%d (%s) after %d attempts: %r; source stopped",
            self.name,
            env.source,
            env.position,
            env.type,
            attempts,
            error,
        )
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO dead_letter (source, position, type, envelope, error, attempts,"
                " failed_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (
                    env.source,
                    env.position,
                    env.type,
                    env.model_dump_json(),
                    repr(error),
                    attempts,
                    stamp(datetime.now(UTC)),
                ),
            )
        self.blocked = self.blocked_sources()

    def dead_letters(self, include_resolved: bool = False) -> list[dict[str, object]]:
        where = "" if include_resolved else " WHERE resolved_at IS NULL"
        with self.db.transaction() as tx:
            return tx.all(f"SELECT * FROM dead_letter{where} ORDER BY failed_at, source")

    def replay_dead_letters(self, source: str) -> int:
        """After a fix: mark the source's dead letters resolved (kept, never deleted) and
        catch the source up from its store; a still-failing event is dead-lettered anew."""
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE dead_letter SET resolved_at = %s WHERE source = %s AND resolved_at IS NULL",
                (stamp(datetime.now(UTC)), source),
            )
        self.blocked = self.blocked_sources()
        return self.heal([source])

    def blocked_sources(self) -> set[str]:
        """Sources stopped on an unresolved dead letter, read live (another process may have
        recorded or replayed one)."""
        with self.db.transaction() as tx:
            rows = tx.all("SELECT DISTINCT source FROM dead_letter WHERE resolved_at IS NULL")
        return {r["source"] for r in rows}

    def heal(self, sources: list[str] | None = None, stalled_only: bool = False) -> int:
        """Catch up every (or the given) unblocked source whose store is ahead of our position:
        covers a broker that lost its log and a last record lost before a quiet period. With
        ``stalled_only``, only sources that made no progress since the previous call (events
        merely in flight are left to the transport)."""
        if self.sources is None:
            return 0
        self.blocked = self.blocked_sources()
        applied = 0
        for source in sources or self.sources.names():
            position = self.position(source)
            previous, self._last_heal_positions[source] = (
                self._last_heal_positions.get(source),
                position,
            )
            if source in self.blocked or self.sources.head(source) <= position:
                continue
            if stalled_only and previous != position:
                continue
            try:
                applied += self.catch_up(source)
            except Exception as error:
                log.exception("%s: catch-up of %s failed", self.name, source)
                self.count_failure(self.sources.read(source, self.position(source), 1)[0], error)
        return applied

    def count_failure(self, env: Envelope, error: Exception) -> bool:
        """Count a failed attempt at ``env``; True once it has been dead-lettered."""
        key = (env.source, env.position)
        self._failures[key] = self._failures.get(key, 0) + 1
        if self._failures[key] < MAX_ATTEMPTS:
            return False
        self.dead_letter(env, error, self._failures.pop(key))
        return True

    def lag(self) -> dict[str, int]:
        """Per source: notifications in the source store not yet applied here."""
        if self.sources is None:
            return {}
        return {s: max(0, self.sources.head(s) - self.position(s)) for s in self.sources.names()}

    def catch_up(self, source: str, batch: int = 1000) -> int:
        """Apply everything the source store has beyond our tracked position."""
        if self.sources is None:
            raise RuntimeError(f"{self.name}: gap in {source} and no source reader configured")
        if source in self.blocked:
            return 0
        applied = 0
        while True:
            envelopes = self.sources.read(source, self.position(source), batch)
            if not envelopes:
                return applied
            applied += sum(self.process(e) for e in envelopes)

    # ------------------------------------------------------------ from the transport

    def resume(self, consumer: Consumer) -> None:
        """Point the consumer at the offsets stored with the read model."""
        with self.db.transaction() as tx:
            rows = tx.all("SELECT topic, part, next_offset FROM consumer_offset")
        consumer.assign({(r["topic"], r["part"]): r["next_offset"] for r in rows})

    def consume(self, records: Iterable[Record]) -> int:
        n = 0
        batch: list[tuple[Envelope, Record | None]] = []
        for record in records:
            batch.append((Envelope.from_bytes(record.value), record))
            n += 1
            if len(batch) >= BATCH:
                self.handle_batch(batch)
                batch = []
        if batch:
            self.handle_batch(batch)
        return n

    # ------------------------------------------------------------ positions

    def position(self, source: str) -> int:
        with self.db.transaction() as tx:
            return _tracked(tx, source)

    def positions(self) -> dict[str, int]:
        with self.db.transaction() as tx:
            return {
                r["source"]: r["position"] for r in tx.all("SELECT source, position FROM tracking")
            }

    def wait_for(self, source: str, position: int, timeout: float = 5.0) -> None:
        """Block until ``source`` is applied up to ``position`` (tests wait on this, not sleep)."""
        with self._advanced:
            if not self._advanced.wait_for(lambda: self.position(source) >= position, timeout):
                raise TimeoutError(
                    f"{self.name}: {source} at {self.position(source)}, wanted {position}"
                )


def _tracked(tx: Tx, source: str) -> int:
    row = tx.one("SELECT position FROM tracking WHERE source = %s", (source,))
    return int(row["position"]) if row else 0


def _save_offset(tx: Tx, record: Record) -> None:
    tx.write(
        "INSERT INTO consumer_offset (topic, part, next_offset) VALUES (%s, %s, %s) "
        "ON CONFLICT (topic, part) DO UPDATE SET next_offset = excluded.next_offset",
        (record.topic, record.partition, record.offset + 1),
    )
