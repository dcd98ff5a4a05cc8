"""Base class of the three tier applications, and the domain → integration event mapping.

A tier application is a plain eventsourcing ``Application``: commands load aggregates, check
guards (own state, plus the tier's read model for other tiers' facts, see ADR 0001), trigger
events and ``save()``. Persistence comes from the environment (``PERSISTENCE_MODULE`` …), so
the same class runs on POPO, SQLite or PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast
from uuid import NAMESPACE_OID, UUID, uuid5

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    project_aggregate,
)
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Notification,
    Recording,
    Transcoder,
)
from eventsourcing.utils import get_topic

from shared.capabilities.approvals import projection as approvals_rm
from shared.capabilities.identity.commands import AccountCommands
from shared.capabilities.ledger.domain import (
    ChainCheckpoint,
    IssuedReport,
    anchor_statement,
    checkpoint_id,
)
from shared.capabilities.platforms.domain import PLACEMENT, ServicePlatform
from shared.infrastructure.eventstore import ChainedRecorder, EnvelopingMapper, LogRow, select_log
from shared.infrastructure.group_commit import GroupCommit
from shared.infrastructure.store import Row, Tx
from shared.kernel.calendar import WorkingCalendar, load_calendar
from shared.kernel.domain import (
    VERSION_CHECKED,
    Actor,
    CommandResult,
    Conflict,
    InvalidInput,
    Meta,
    NotFound,
    OutOfJurisdiction,
    PreconditionNotApplicable,
    legal_date,
    new_id,
    register_transcodings,
    system_actor,
)
from shared.kernel.domain import SanjiAggregate as Agg
from shared.kernel.integration.envelope import ActorV1, Envelope, body_of, placed
from shared.kernel.integration.events import TYPES, PlatformKind
from shared.kernel.jurisdiction import Division, Jurisdiction, Tier, contains
from shared.kernel.rules import Rules, RuleSet, load_rules
from shared.kernel.signing import AnchorSink, Signer, load_signer
from shared.reporting.ranking import rank
from shared.reporting.zombies import zombie_list
from shared.tier.lookup import OrganisationLookup, OrgFacts
from shared.tier.topics import old_topics, register_moved_topics

A = TypeVar("A", bound=Agg)
Clock = Callable[[], datetime]
register_moved_topics()  # old module paths of stored topics resolve (shared/tier/topics.py)

log = logging.getLogger(__name__)

# Fields of every domain event that the envelope carries itself (or that are internal).
_ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "meta"}


def _conditional(event: Any) -> bool:
    meta = getattr(event, "meta", None)
    return isinstance(meta, Meta) and meta.expected_version is not None


def utcnow() -> datetime:
    return datetime.now(UTC)


class TierApplication(AccountCommands, Application[UUID]):
    """Shared behaviour of the county, township and village applications."""

    tier: ClassVar[Tier]
    # Domain event class → integration event type published for it (the outbound contract).
    published: ClassVar[dict[type, str]] = {}
    # The tier's own read model: other tiers' facts, as far as this tier has seen them.
    lookup: OrganisationLookup
    # Kinds of service platform this tier records (shared.capabilities.platforms.domain).
    platform_kinds: ClassVar[frozenset[PlatformKind]] = frozenset()

    def __init__(
        self,
        jurisdiction: Jurisdiction,
        env: dict[str, str] | None = None,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(env=env)
        if isinstance(self.recorder, ChainedRecorder):
            self.recorder.algorithm = self.env.get("CHAIN_HASH") or self.recorder.algorithm
        # The install's Ed25519 key signs every link and checkpoint (ADR 0006); anchors are
        # also appended to a file outside the database.
        self.signer: Signer | None = None
        self.anchor_sink: AnchorSink | None = None
        key_file = self.env.get("CHAIN_KEY_FILE")
        if key_file:
            create = (self.env.get("CHAIN_KEY_CREATE") or "n").lower() in ("y", "yes", "1", "true")
            self.signer = load_signer(Path(key_file), create)
            if isinstance(self.recorder, ChainedRecorder):
                self.recorder.signer = self.signer
        anchor_dir = self.env.get("CHAIN_ANCHOR_DIR")
        if anchor_dir:
            self.anchor_sink = AnchorSink(Path(anchor_dir), str(self.tier))
        self.jurisdiction = jurisdiction
        self.clock = clock
        # Versioned rules and the working-day calendar (the runtime sets them from settings).
        self.rules: Rules = load_rules()
        self.calendar: WorkingCalendar = load_calendar()
        self._listeners: list[Callable[[], None]] = []
        # Concurrent commands' saves share one transaction (group_commit.py, issue 15).
        self._group = GroupCommit(self.events.put)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Stores the aggregates' new events, grouped with concurrent commands' saves. A save
        with tracking (``kwargs``) is the library's own."""
        if kwargs:
            return super().save(*objs, **kwargs)
        events: list[Any] = []
        checked = False
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                checked = bool(obj.__dict__.pop(VERSION_CHECKED, False)) or checked
                # The library's collect_events asks isinstance() of runtime Protocols, which
                # walks the protocol's attributes on every call (~2% of a command's CPU).
                events.extend(obj.collect_events())
            elif obj is not None:
                collected: ProcessingEvent[UUID] = ProcessingEvent()
                collected.collect_events(obj)
                events.extend(collected.events)
        if not checked and any(_conditional(e) for e in events):
            # If-Match named a version, but no record this command saves was checked against
            # it (the command creates a record): refused rather than silently ignored.
            raise PreconditionNotApplicable()
        recordings = self._group.save(events)
        self._notify(recordings)
        return recordings

    def construct_mapper(self) -> Mapper[UUID]:
        """The library's mapper, writing each published event's envelope as it is stored."""
        mapper = super().construct_mapper()
        return EnvelopingMapper(
            self._envelope_body, mapper.transcoder, mapper.compressor, mapper.cipher
        )

    def construct_transcoder(self) -> Transcoder:
        transcoder = super().construct_transcoder()
        if isinstance(transcoder, JSONTranscoder):
            register_transcodings(transcoder)
        return transcoder

    # ------------------------------------------------------------ command helpers

    def load(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        try:
            aggregate: Agg = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"unknown_{what}", f"no {what} {aggregate_id}") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"unknown_{what}", f"no {what} {aggregate_id}")
        return aggregate

    def find(self, aggregate_id: UUID) -> Any | None:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def find_many(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, Any]:
        """Those of these aggregates that exist, by id, from one read of the store: a command
        that looks for several aggregates which are usually absent (the lock check) pays one
        round trip, not one each. The ledger import's chunks answer it from their prefetch."""
        events: dict[UUID, list[Any]] = {}
        recorder = cast(ChainedRecorder, self.recorder)  # every tier store is chained
        stored = recorder.select_events_of(list(aggregate_ids)) if aggregate_ids else []
        for one in stored:  # ids as UUIDs whatever the engine returns: callers look them up
            events.setdefault(UUID(str(one.originator_id)), []).append(
                self.mapper.to_domain_event(one)
            )
        return {i: project_aggregate(None, found) for i, found in events.items()}

    def return_positions(self, return_ids: Sequence[UUID]) -> dict[str, Row]:
        """Where these returns stand in this tier's read model, by id (absent: none yet)."""
        with self.lookup.db.transaction() as tx:
            return approvals_rm.positions(tx, [str(r) for r in return_ids])

    def tree_on(self, day: date) -> Jurisdiction:
        """The division tree in force on ``day``, as far as this tier has seen the changes:
        kept by the lookup until a division change is projected (ADR 0029). Shared: never
        modify it."""
        lookup = getattr(self, "lookup", None)
        return lookup.trees.on(self.jurisdiction, day) if lookup else self.jurisdiction

    def zombie_list(
        self, tx: Tx, within: str, day: date, rules: RuleSet, tree: Jurisdiction
    ) -> list[dict[str, Any]]:
        """The zombie list of ``within`` on ``day`` (rules in force and division tree of that
        day), from this tier's read model: the report's list (one definition of a zombie,
        ADR 0009), which the exit review starts from. Handed in from here because the exits
        capability sits below reporting (ADR 0016)."""
        return zombie_list(tx, within, day, rules, tree)

    def ranking(
        self, tx: Tx, within: str, day: date, rules: RuleSet, tree: Jurisdiction
    ) -> list[dict[str, Any]]:
        """The four-dimension ranking of ``within`` on ``day`` with each organisation's
        explanation: the report's (one definition), which a commendation round proposes its
        candidates from (ADR 0024); handed in from here for the same reason as the zombie
        list."""
        return rank(tx, tree, within, day, rules)

    def in_charge(self, actor: Actor, code: str, day: date) -> bool:
        """True if ``actor``'s division holds ``code``: as recorded, or, for a division retired
        by a merge or split, through its successor in force on ``day`` (whose station has taken
        over its organisations, ADR 0005)."""
        if contains(actor.division, code):
            return True
        successor = self.tree_on(day).aliases.get(code)  # only read when the plain check fails
        return successor is not None and contains(actor.division, successor)

    def in_run_scope(self, triggered_by: Actor | None, code: str, day: date) -> bool:
        """Whether a timer run decides what lies in division ``code``: a background run (no
        operator) decides the whole county; a run an operator asked for only what that
        operator may act on, so an on-demand run cannot reach past the caller (issue 11)."""
        if triggered_by is None:
            return True
        return triggered_by.tier is self.tier and self.in_charge(triggered_by, code, day)

    def division_in_force(self, code: str, meta: Meta) -> Division:
        """The division a new record is placed in, as in force on the record's effective date:
        the jurisdiction file plus the division changes this tier has seen (ADR 0005). A
        division created by a change can take records from its effective date; a retired one
        cannot (its successor does). 422 ``unknown_division`` otherwise."""
        day = legal_date(meta.effective_at)
        tree = self.tree_on(day)
        division = tree.get(code)
        if division is None:
            successor = tree.aliases.get(code)
            hint = f"; on {day} its records belong to {successor}" if successor else ""
            raise InvalidInput("unknown_division", f"no division {code} on {day}{hint}")
        return division

    def check_jurisdiction(self, meta: Meta, division_code: str) -> None:
        """403 unless the acting operator's division contains ``division_code``."""
        day = legal_date(meta.effective_at)
        if meta.actor.tier is not self.tier or not self.in_charge(meta.actor, division_code, day):
            raise OutOfJurisdiction(
                "out_of_jurisdiction",
                f"operator {meta.actor.id} ({meta.actor.tier} {meta.actor.division}) "
                f"may not act on division {division_code}",
            )

    def facts(self, organisation_id: UUID, meta: Meta) -> OrgFacts:
        """What this tier knows of an organisation; 404 if unknown, 403 if out of jurisdiction."""
        facts = self.lookup.get(organisation_id)
        if facts is None:
            raise NotFound("unknown_organisation", f"no organisation {organisation_id}")
        self.check_jurisdiction(meta, facts.village_code)
        return facts

    def replay_create(
        self,
        aggregate_id: UUID,
        meta: Meta,
        conflict: str,
        organisation_id: UUID | None = None,
    ) -> CommandResult | None:
        """None if ``aggregate_id`` is new; the original result if this very request created
        it (idempotent retry); else 409 ``conflict``."""
        existing = self.find(aggregate_id)
        if existing is None:
            return None
        result = self.replay(existing, meta.without_precondition(), organisation_id)
        if result is None:
            raise Conflict(conflict, f"{conflict.replace('_', ' ')}: {aggregate_id}")
        return result

    def create_id(
        self, meta: Meta, organisation_id: UUID | None = None
    ) -> tuple[UUID, CommandResult | None]:
        """Id for a new aggregate, and the original result if this request already created it.

        Without an Idempotency-Key the id is random and cannot exist yet: no read needed.
        """
        aggregate_id = new_id(meta)
        if meta.idempotency_key is None:
            return aggregate_id, None
        return aggregate_id, self.replay_create(
            aggregate_id, meta, "idempotency_key_reused", organisation_id
        )

    def commit(self, aggregate: Agg, organisation_id: UUID | None = None) -> CommandResult:
        self.save(aggregate)
        return CommandResult(aggregate.id, aggregate.version, organisation_id or aggregate.id)

    @staticmethod
    def replay(
        aggregate: Agg, meta: Meta, organisation_id: UUID | None = None
    ) -> CommandResult | None:
        """The original result if this command (by idempotency key) was already applied."""
        version = aggregate.replayed_version(meta)
        if version is None:
            return None
        return CommandResult(aggregate.id, version, organisation_id or aggregate.id, replayed=True)

    # ------------------------------------------------------------ service platforms

    def open_platform(
        self, kind: PlatformKind, division_code: str, name: str, meta: Meta
    ) -> CommandResult:
        """Record a service platform (centre, platform, station or incubator) opening."""
        division = self.division_in_force(division_code, meta)
        if kind not in self.platform_kinds:
            raise InvalidInput(
                "platform_kind_not_here", f"a {self.tier} operator does not record {kind}s"
            )
        if division.tier not in PLACEMENT[kind]:
            raise InvalidInput(
                "platform_misplaced", f"a {kind} cannot sit in a {division.tier} division"
            )
        self.check_jurisdiction(meta, division_code)
        platform_id, replayed = self.create_id(meta)
        if replayed:
            return replayed
        platform = ServicePlatform.open_in(
            platform_id, meta, division_code=division_code, kind=str(kind), name=name
        )
        self.save(platform)
        return CommandResult(platform.id, platform.version, None)

    def close_platform(self, platform_id: UUID, reason: str, meta: Meta) -> CommandResult:
        platform = self.load(ServicePlatform, platform_id, "platform")
        self.check_jurisdiction(meta, platform.division_code)
        if (version := platform.replayed_version(meta)) is not None:
            return CommandResult(platform.id, version, None, replayed=True)
        platform.close(reason, meta)
        self.save(platform)
        return CommandResult(platform.id, platform.version, None)

    # ------------------------------------------------------------ audit records (shared/capabilities/ledger/domain.py)

    def record_checkpoint(
        self, day: date, held: dict[str, tuple[int, str]], at: datetime | None = None
    ) -> CommandResult | None:
        """Record a checkpoint of chain heads: this store's own head plus the heads of the
        other sources this tier holds (``held``: source → (position, link)), for the period
        starting ``at`` (None: the whole ``day``). Signed with the install's key and appended
        to the anchor file, if configured. None if the period's checkpoint exists already
        (another process or an earlier run recorded it), or if there is no head to pin yet."""
        if not isinstance(self.recorder, ChainedRecorder):
            return None
        if self.find(checkpoint_id(self.tier, day, at)) is not None:
            return None
        own = self.recorder.chain_head()
        heads = {s: h for s, h in held.items() if s != self.name}
        if own is not None:
            heads[self.name] = (own.position, own.link)
        if not heads:
            return None  # nothing recorded anywhere yet: nothing to pin
        meta = Meta(
            actor=system_actor(self.tier, self.jurisdiction.county.code),
            effective_at=self.clock(),
            correlation_id=f"checkpoint:{self.tier}:{day.isoformat()}",
        )
        checkpoint = ChainCheckpoint.record(
            self.tier,
            day,
            [{"source": s, "position": p, "link": lk} for s, (p, lk) in sorted(heads.items())],
            meta,
            at=at,
            sign=self.signer.sign_anchor if self.signer is not None else None,
        )
        try:
            recordings = self.save(checkpoint)
        except IntegrityError:
            return None  # recorded meanwhile by another process
        if self.anchor_sink is not None:
            try:
                self.anchor_sink.append(self.anchor_of(recordings[0].notification))
            except OSError:
                # The checkpoint is recorded and signed in the log, and served to the province
                # from there; a full or unwritable disk must not stop the platform recording.
                log.exception(
                    "%s: could not append the anchor to %s", self.tier, self.anchor_sink.path
                )
        return CommandResult(checkpoint.id, checkpoint.version, None)

    CHECKPOINT_TOPIC = get_topic(ChainCheckpoint.Recorded)
    #: The checkpoint topic now and before shared/ledger.py moved (ADR 0016): stored
    #: checkpoints keep the topic they were written with, and ``anchors`` selects by topic.
    CHECKPOINT_TOPICS = [CHECKPOINT_TOPIC, *old_topics(CHECKPOINT_TOPIC)]

    def anchor_of(self, notification: Notification) -> dict[str, Any]:
        """A stored checkpoint as an exported anchor: the signed statement, its signature and
        where the checkpoint sits in this tier's log (``position``, for polling)."""
        event = cast(ChainCheckpoint.Recorded, self.mapper.to_domain_event(notification))
        return {
            "tier": str(self.tier),
            "position": notification.id,
            "recorded_at": event.timestamp.isoformat(),
            "statement": anchor_statement(
                str(self.tier), event.originator_id, event.day, event.at, event.heads
            ),
            "signature": event.signature,
        }

    def anchors(self, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Checkpoints recorded in this tier's log after position ``after``, as anchors."""
        notifications = self.recorder.select_notifications(
            after, limit, inclusive_of_start=False, topics=self.CHECKPOINT_TOPICS
        )
        return [self.anchor_of(n) for n in notifications]

    def issue_report(self, meta: Meta, **fields: Any) -> CommandResult:
        """Record that a report was issued, with what reproduces it (shared/audit/issued.py)."""
        self.check_jurisdiction(meta, fields["division_code"])
        report_id, replayed = self.create_id(meta)
        if replayed:
            return replayed
        report = IssuedReport.issue(report_id, meta, **fields)
        self.save(report)
        return CommandResult(report.id, report.version, None)

    # ------------------------------------------------------------ notification hook

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Called after every save: wakes the relay instead of making it poll tightly."""
        self._listeners.append(listener)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        for listener in self._listeners:
            listener()

    # ------------------------------------------------------------ outbound mapping

    def links(self, notifications: Sequence[Notification]) -> dict[int, str]:
        """The hash-chain links of these notifications (empty for an unchained store)."""
        if not notifications or not isinstance(self.recorder, ChainedRecorder):
            return {}
        return self.recorder.select_link_texts(notifications[0].id, notifications[-1].id)

    def to_envelope(
        self, notification: Notification, previous_position: int, chain: str | None = None
    ) -> Envelope:
        """Map one stored notification to its integration event, decoding the stored domain
        event: for events stored before their envelopes were (ADR 0032), and for ``verify``;
        ``chain`` is the notification's hash-chain link (shared/kernel/chain.py)."""
        # Every event a tier stores is a SanjiAggregate event (it carries meta and timestamp).
        event = cast(Agg.Event, self.mapper.to_domain_event(notification))
        return self._envelope_of(event, notification.id, previous_position, chain)

    def placed_envelopes(
        self,
        start: int,
        limit: int,
        stop: int | None = None,
        *,
        inclusive_of_start: bool = False,
        previous_position: int | None,
    ) -> list[tuple[int, bytes]]:
        """(position, wire form) of the integration events ``select_notifications`` would give
        for these arguments, from one read of the log (``select_log``): each stored envelope
        placed in the log, or, where none was stored, rebuilt from the event. What the relay
        publishes and the catch-up and rebuild read (ADR 0032 and its addendum)."""
        rows = select_log(self.recorder, start, limit, stop, inclusive_of_start=inclusive_of_start)
        return self._place(rows, previous_position)

    def envelopes(
        self, notifications: Sequence[Notification], previous_position: int | None
    ) -> list[bytes]:
        """The integration events of notifications already read, in their wire form, as
        ``placed_envelopes`` gives them (which reads the log itself, in one query)."""
        if not notifications:
            return []
        links = self.links(notifications)
        bodies: dict[int, bytes] = {}
        if isinstance(self.recorder, ChainedRecorder):
            bodies = self.recorder.select_envelopes(notifications[0].id, notifications[-1].id)
        rows = [LogRow(n.id, bodies.get(n.id), links.get(n.id), n) for n in notifications]
        return [wire for _, wire in self._place(rows, previous_position)]

    def _place(
        self, rows: Sequence[LogRow], previous_position: int | None
    ) -> list[tuple[int, bytes]]:
        """``previous_position``: the position read just before the first row (a relay's
        batch), or None for each row's own predecessor (a read at given positions)."""
        wire: list[tuple[int, bytes]] = []
        previous = previous_position
        for position, body, link, event in rows:
            before = position - 1 if previous is None else previous
            if body is not None:
                wire.append((position, placed(body, position, before, link)))
            else:
                # Stored before envelopes were (ADR 0032), or not published: decoded, as ever.
                assert event is not None, "a log row without a body carries its event"
                wire.append((position, self.to_envelope(event, before, link).to_bytes()))
            if previous_position is not None:
                previous = position
        return wire

    def _envelope_body(self, event: Any) -> bytes | None:
        """The envelope of a domain event about to be stored, without its place in the log;
        None for an event this tier does not publish (the relay would refuse it as before)."""
        if type(event) not in self.published:
            return None
        try:
            return body_of(self._envelope_of(event, 0, 0, None))
        except ValueError:
            # Outside the integration contract (only an event made around the commands can
            # be): stored as before, without its envelope; the relay names it when it reads it.
            log.warning("%s: no envelope for %s", self.name, type(event).__qualname__)
            return None

    def _envelope_of(
        self, event: Agg.Event, position: int, previous_position: int, chain: str | None
    ) -> Envelope:
        type_name = self.published[type(event)]
        fields = {k: v for k, v in event.__dict__.items() if k not in _ENVELOPE_FIELDS}
        id_name = getattr(type(event), "ID_NAME", None)
        if id_name:
            fields[id_name] = event.originator_id
        payload = TYPES[type_name].model_validate(fields)
        meta = event.meta
        return Envelope(
            # Stable per stored event, so a re-published duplicate has the same id; the source
            # is part of it because tiers share aggregate ids (an organisation's id is its
            # village record's, filing's and registration's id alike).
            event_id=uuid5(
                NAMESPACE_OID, f"{self.name}:{event.originator_id}:{event.originator_version}"
            ),
            type=type_name,
            source_tier=self.tier,
            source=self.name,
            position=position,
            previous_position=previous_position,
            division_code=(
                fields.get("village_code") or fields.get("division_code") or meta.actor.division
            ),
            organisation_id=(
                fields.get("organisation_id") or event.originator_id
                if getattr(type(event), "ABOUT_ORGANISATION", True)
                else None
            ),
            recorded_at=event.timestamp,
            effective_at=meta.effective_at,
            actor=ActorV1(
                id=meta.actor.id,
                tier=meta.actor.tier,
                division=meta.actor.division,
                role=meta.actor.role,
                name=meta.actor.name or None,
            ),
            correlation_id=meta.correlation_id,
            causation_id=meta.causation_id,
            data=payload.model_dump(mode="json"),
            rule_version=meta.rule_version,
            chain=chain,
        )
