"""Event stores that chain every event as they store it (shared/kernel/chain.py).

eventsourcing's application recorders, extended so that the same transaction that inserts a
batch of events (under the library's table lock on PostgreSQL, the one writer on SQLite, the
database lock in memory) also appends their links to a chain table beside the events table.
A row that reaches the events table any other way has no link, and ``verify`` names it.

Chosen per application with ``APPLICATION_RECORDER_TOPIC`` (PostgreSQL, SQLite) or
``PERSISTENCE_MODULE`` (memory); see ``Settings.event_store_env``. All three offer the same
two reads: ``select_links`` and ``chain_head``.

With a signer (the install's Ed25519 key, shared/kernel/signing.py) every link is signed as it
is written, in the same transaction, so ``verify`` can ask every link for a valid signature.
Links written before signing was on are signed only by an explicit, operator-run upgrade step
(``sign_legacy_links``), never by the write path: a write path that signed whatever it found
unsigned would sign a forger's unsigned links too.

The same transaction also stores each event's integration envelope, as the tier's mapper made
it from the domain event (ADR 0032), in an envelopes table beside the events: the relay and the
rebuild read it instead of decoding every event and rebuilding its envelope. Events stored
before that have none and are read the old way; ``verify`` checks each stored envelope against
its event, as the chain cannot (it covers the events). ``select_log`` reads a page of the log
as those readers need it, envelope and link beside each position, in one query (ADR 0032,
addendum).

eventsourcing's stored-function insert path (``POSTGRES_ENABLE_DB_FUNCTIONS``) bypasses the
transaction these hooks run in and would store events with no link at all: the PostgreSQL
recorder refuses to start with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from threading import Event
from typing import Any, NamedTuple, cast
from uuid import UUID

import psycopg
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    ApplicationRecorder,
    Cipher,
    Compressor,
    Mapper,
    Notification,
    StoredEvent,
    Transcoder,
)
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Identifier

from shared.kernel.chain import GENESIS, Link, StoredRow, chain_rows
from shared.kernel.signing import Signer

DEFAULT_ALGORITHM = "sha256"
LINK_COLUMNS = "position, originator_id, originator_version, topic, digest, link, signature"


class UnsafeStoreSetting(SystemExit):
    """Start refuses (one line on stderr, exit status 1) rather than store unchained events."""


def chain_table_for(events_table_name: str) -> str:
    return events_table_name.removesuffix("_events") + "_chain"


def envelope_table_for(events_table_name: str) -> str:
    return events_table_name.removesuffix("_events") + "_envelopes"


@dataclass(frozen=True)
class EnvelopedStoredEvent(StoredEvent):
    """A stored event with the body of its integration envelope (none: not published)."""

    envelope: bytes | None = None


class LogRow(NamedTuple):
    """One position of a tier's log as a reader of its integration events needs it."""

    position: int
    body: bytes | None  # the stored envelope body (ADR 0032); None: stored before, or unpublished
    link: str | None  # the hash-chain link; None in an unchained store
    event: Notification | None  # the stored event itself: read only where there is no body


def select_log(
    recorder: ApplicationRecorder,
    start: int | None,
    limit: int,
    stop: int | None = None,
    *,
    inclusive_of_start: bool = True,
) -> list[LogRow]:
    """The positions ``select_notifications`` would return for these arguments, as log rows:
    a chained store's in one read; any other store's events, each with no body or link."""
    if isinstance(recorder, ChainedRecorder):
        return recorder.select_log(start, limit, stop, inclusive_of_start=inclusive_of_start)
    page = recorder.select_notifications(start, limit, stop, inclusive_of_start=inclusive_of_start)
    return [LogRow(n.id, None, None, n) for n in page]


def _log_statement(inclusive_of_start: bool) -> str:
    """One page of the log with each position's envelope body and link (LEFT JOINs: a position
    stored before envelopes, or written around the chain, still comes). The event's own columns
    only where it has no body, so a page of stored envelopes does not carry every event's state
    as well: with the bound start and stop, the library's select_notifications, reordered.
    The joined tables are bounded too: the planner does not carry the range over the join's
    equality, and a merge join would otherwise scan them from position 1 for every page.
    Placeholders: {events}, {envelopes}, {chain}, {id} (the events' notification id column),
    {lo}, {hi}, {limit} (the driver's named parameters)."""
    after = ">=" if inclusive_of_start else ">"
    legacy = " ".join(
        f"CASE WHEN v.body IS NULL THEN n.{column} END,"
        for column in ("originator_id", "originator_version", "topic")
    )
    return (
        f"SELECT n.{{id}}, v.body, c.link, {legacy} CASE WHEN v.body IS NULL THEN n.state END "
        "FROM {events} n "
        f"LEFT JOIN {{envelopes}} v ON v.position = n.{{id}} "
        f"AND v.position {after} {{lo}} AND v.position <= {{hi}} "
        f"LEFT JOIN {{chain}} c ON c.position = n.{{id}} "
        f"AND c.position {after} {{lo}} AND c.position <= {{hi}} "
        f"WHERE n.{{id}} {after} {{lo}} AND n.{{id}} <= {{hi}} "
        "ORDER BY n.{id} LIMIT {limit}"
    )


NO_STOP = 2**62  # beyond any notification id: "no stop" without a second statement shape


# Makes the envelope body of a domain event (None: the event is not published).
EnvelopeOf = Callable[[Any], bytes | None]


class EnvelopingMapper(Mapper[UUID]):
    """The library's mapper, also writing each event's integration envelope while the domain
    event is still in hand: made once here, it is never rebuilt from the stored state."""

    def __init__(
        self,
        envelope_of: EnvelopeOf,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
    ) -> None:
        super().__init__(transcoder, compressor, cipher)
        self.envelope_of = envelope_of

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        s = super().to_stored_event(domain_event)
        body = self.envelope_of(domain_event)
        if body is None:
            return s
        return EnvelopedStoredEvent(s.originator_id, s.originator_version, s.topic, s.state, body)


def _envelopes(ids: Sequence[int], stored_events: Sequence[StoredEvent]) -> list[tuple[int, bytes]]:
    """(position, body) of the stored events that carry an envelope."""
    return [
        (i, body)
        for i, s in zip(ids, stored_events, strict=True)
        if (body := getattr(s, "envelope", None)) is not None
    ]


def _link_from(row: Any) -> Link:
    return Link(
        position=int(row[0]),
        originator_id=UUID(str(row[1])),
        originator_version=int(row[2]),
        topic=row[3],
        digest=row[4],
        link=row[5],
        signature=row[6] if len(row) > 6 else None,
    )


def _params(lk: Link) -> tuple[object, ...]:
    return (
        lk.position,
        lk.originator_id,
        lk.originator_version,
        lk.topic,
        lk.digest,
        lk.link,
        lk.signature,
    )


class ChainedRecorder:
    """What the relay, catch-up and ``verify`` need from a chained store."""

    algorithm: str = DEFAULT_ALGORITHM
    signer: Signer | None = None  # set from CHAIN_KEY_FILE by TierApplication

    def _sign(self) -> Callable[[str], str] | None:
        return self.signer.sign_link if self.signer is not None else None

    def select_links(self, start: int, stop: int) -> list[Link]:
        """Links of positions ``start`` … ``stop`` (inclusive), in order."""
        raise NotImplementedError

    def select_link_texts(self, start: int, stop: int) -> dict[int, str]:
        """Only the link of each position ``start`` … ``stop``: what a reader of the log
        places in its envelopes (``TierApplication.links``), without the rest of the row."""
        return {lk.position: lk.link for lk in self.select_links(start, stop)}

    def chain_head(self) -> Link | None:
        raise NotImplementedError

    def select_envelopes(self, start: int, stop: int) -> dict[int, bytes]:
        """The stored envelope bodies of positions ``start`` … ``stop`` (inclusive), by
        position; a position stored before envelopes were (ADR 0032) has none."""
        raise NotImplementedError

    def select_log(
        self, start: int | None, limit: int, stop: int | None = None, *, inclusive_of_start: bool
    ) -> list[LogRow]:
        """``select_notifications(start, limit, stop, inclusive_of_start=…)`` as log rows, each
        with its stored envelope body and its link; the event itself only where there is no
        body. This default composes the three reads; the engines' recorders make it one."""
        recorder = cast(ApplicationRecorder, self)  # mixed into each engine's recorder
        page = recorder.select_notifications(
            start, limit, stop, inclusive_of_start=inclusive_of_start
        )
        if not page:
            return []
        links = self.select_link_texts(page[0].id, page[-1].id)
        bodies = self.select_envelopes(page[0].id, page[-1].id)
        return [
            LogRow(n.id, body, links.get(n.id), n if body is None else None)
            for n in page
            for body in (bodies.get(n.id),)
        ]

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of these aggregates, in one query where the engine allows:
        ordered by aggregate, then version. A bulk reader (the ledger import) reads the
        aggregates of a hundred commands at once instead of one round trip each."""
        recorder = cast(ApplicationRecorder, self)  # mixed into each engine's recorder
        return [e for i in originator_ids for e in recorder.select_events(i)]

    def sign_legacy_links(self, before: int | None = None) -> int:
        return 0  # only the durable stores can predate signing


# ------------------------------------------------------------------ PostgreSQL


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder, ChainedRecorder):
    def __init__(self, datastore: PostgresDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            # The stored function inserts outside the transaction our link insert runs in: the
            # events would be stored unchained (seen: 10,000 events, 0 links), unlocked and
            # untracked (platform notes). Refuse rather than store what verify cannot vouch for.
            raise UnsafeStoreSetting(
                "[sanji] 拒绝启动 / refusing to start: POSTGRES_ENABLE_DB_FUNCTIONS is enabled; "
                "its insert path stores events without their hash-chain links (ADR 0006): unset it"
            )
        schema = Identifier(self.datastore.schema)
        chain = Identifier(chain_table_for(events_table_name))
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} ("
                "position bigint PRIMARY KEY, originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, topic text NOT NULL, "
                "digest text NOT NULL, link text NOT NULL, signature text)"
            ).format(schema, chain)
        )
        # Chain tables made before links were signed (run by the init step, like the rest).
        self.sql_create_statements.append(
            SQL("ALTER TABLE {0}.{1} ADD COLUMN IF NOT EXISTS signature text").format(schema, chain)
        )
        envelopes = Identifier(envelope_table_for(events_table_name))
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} (position bigint PRIMARY KEY, body bytea NOT NULL)"
            ).format(schema, envelopes)
        )
        self._sql_insert_envelopes = SQL(
            "INSERT INTO {0}.{1} (position, body) VALUES (%s, %s)"
        ).format(schema, envelopes)
        self._sql_envelopes = SQL(
            "SELECT position, body FROM {0}.{1} WHERE position BETWEEN %s AND %s"
        ).format(schema, envelopes)
        columns = SQL(LINK_COLUMNS)
        self._sql_head = SQL("SELECT {2} FROM {0}.{1} ORDER BY position DESC LIMIT 1").format(
            schema, chain, columns
        )
        self._sql_links = SQL(
            "SELECT {2} FROM {0}.{1} WHERE position BETWEEN %s AND %s ORDER BY position"
        ).format(schema, chain, columns)
        self._sql_link_texts = SQL(
            "SELECT position, link FROM {0}.{1} WHERE position BETWEEN %s AND %s"
        ).format(schema, chain)
        self._sql_insert_links = SQL(
            "INSERT INTO {0}.{1} ({2}) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        ).format(schema, chain, columns)
        self._sql_unsigned = SQL(
            "SELECT position, link FROM {0}.{1} WHERE signature IS NULL AND position < %s "
            "ORDER BY position"
        ).format(schema, chain)
        self._sql_sign = SQL("UPDATE {0}.{1} SET signature = %s WHERE position = %s").format(
            schema, chain
        )
        self._sql_unchained = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {0}.{1} WHERE notification_id < %s ORDER BY notification_id"
        ).format(schema, Identifier(events_table_name))
        self._sql_log = {
            inclusive: SQL(_log_statement(inclusive)).format(
                events=SQL("{0}.{1}").format(schema, Identifier(events_table_name)),
                envelopes=SQL("{0}.{1}").format(schema, envelopes),
                chain=SQL("{0}.{1}").format(schema, chain),
                id=Identifier("notification_id"),
                lo=SQL("%(lo)s"),
                hi=SQL("%(hi)s"),
                limit=SQL("%(limit)s"),
            )
            for inclusive in (False, True)
        }

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if not ids:
            return ids
        # Still inside the insert's transaction and under its table lock: the head is ours.
        curs.execute(self._sql_head)
        head = curs.fetchone()
        previous = head["link"] if head else GENESIS
        rows = [
            StoredRow(i, s.originator_id, s.originator_version, s.topic, s.state)
            for i, s in zip(ids, stored_events, strict=True)
        ]
        if head is None:
            # A store that predates the chain: chain what it holds first, once (genesis).
            curs.execute(self._sql_unchained, (min(ids),))
            rows = [
                StoredRow(
                    r["notification_id"],
                    r["originator_id"],
                    r["originator_version"],
                    r["topic"],
                    bytes(r["state"]),
                )
                for r in curs.fetchall()
            ] + rows
        links = list(chain_rows(self.algorithm, previous, rows, self._sign()))
        curs.executemany(self._sql_insert_links, [_params(lk) for lk in links])
        if bodies := _envelopes(ids, stored_events):
            curs.executemany(self._sql_insert_envelopes, bodies)
        return ids

    def sign_legacy_links(self, before: int | None = None) -> int:
        """Sign the unsigned links (before position ``before``, if given) written before
        signing was on: the upgrade step (services/integrity.py). How many."""
        assert self.signer is not None
        before = before if before is not None else 2**62
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._sql_unsigned, (before,))
            unsigned = [(self.signer.sign_link(r["link"]), r["position"]) for r in curs.fetchall()]
            curs.executemany(self._sql_sign, unsigned)
        return len(unsigned)

    def select_links(self, start: int, stop: int) -> list[Link]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql_links, (start, stop))
            return [_link_from(list(r.values())) for r in curs.fetchall()]

    def select_link_texts(self, start: int, stop: int) -> dict[int, str]:
        # A plain tuple cursor: the rows of a 5,000-event page, without a dict per row.
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as c:
            c.execute(self._sql_link_texts, (start, stop))
            return dict(c.fetchall())

    def chain_head(self) -> Link | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql_head)
            row = curs.fetchone()
        return _link_from(list(row.values())) if row else None

    def select_envelopes(self, start: int, stop: int) -> dict[int, bytes]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as c:
            c.execute(self._sql_envelopes, (start, stop))
            return {int(p): bytes(b) for p, b in c.fetchall()}

    # Retried as the library retries select_notifications, which this read replaces.
    @retry((psycopg.InterfaceError, psycopg.OperationalError), max_attempts=10, wait=0.2)
    def select_log(
        self, start: int | None, limit: int, stop: int | None = None, *, inclusive_of_start: bool
    ) -> list[LogRow]:
        if start is None:
            start, inclusive_of_start = 0, True
        statement = self._sql_log[inclusive_of_start]
        bounds = {"lo": start, "hi": NO_STOP if stop is None else stop, "limit": limit}
        # Tuple rows: a 5,000-row page without a dict per row.
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as c:
            c.execute(statement, bounds, prepare=True)
            return [
                LogRow(r[0], bytes(r[1]), r[2], None)
                if r[1] is not None
                else LogRow(r[0], None, r[2], Notification(r[3], r[4], r[5], bytes(r[6]), r[0]))
                for r in c.fetchall()
            ]

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        if not originator_ids:
            return []
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {}.{} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, [list(originator_ids)])
            return [
                StoredEvent(
                    r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"])
                )
                for r in curs.fetchall()
            ]


def notifies(recorder: object) -> bool:
    """Whether ``recorder``'s store announces inserts to other processes (PostgreSQL NOTIFY)."""
    return isinstance(recorder, PostgresApplicationRecorder)


def listen_for_inserts(recorder: object, wake: Callable[[], None], stopped: Event) -> None:
    """Calls ``wake`` each time another process stores events in ``recorder``'s table, until
    ``stopped``: the library sends ``NOTIFY <table>`` in every insert's transaction, so a relay
    in another process than the API starts relaying at the commit instead of at its next poll
    (issue 15 item 4). One connection of its own is held for as long as it listens."""
    assert isinstance(recorder, PostgresApplicationRecorder), "only PostgreSQL notifies"
    # A connection of its own, not one of the store's pool: held for as long as the relay
    # runs, a pooled one left the relay's own reads waiting for the pool (a ~1 s tail).
    pooled = recorder.datastore.pool.kwargs
    given: dict[str, Any] = pooled if isinstance(pooled, dict) else {}
    params = {
        k: v
        for k, v in given.items()
        if k in ("dbname", "host", "port", "user", "password") and v is not None
    }
    with psycopg.connect(autocommit=True, **params) as conn:  # LISTEN takes effect at once
        conn.execute(SQL("LISTEN {0}").format(Identifier(recorder.channel_name)))
        # Once now: what was stored while nobody listened (at start, or while reconnecting
        # after an error) is relayed without waiting for the next insert or the idle poll.
        wake()
        while not stopped.is_set():
            for _ in conn.notifies(timeout=0.5, stop_after=1):
                wake()


# ------------------------------------------------------------------ SQLite


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder, ChainedRecorder):
    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        # Set first: the base constructor asks for the create statements.
        self.chain_table_name = chain_table_for(events_table_name)
        self.envelope_table_name = envelope_table_for(events_table_name)
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.chain_table_name} ("
            "position INTEGER PRIMARY KEY, originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, topic TEXT NOT NULL, "
            "digest TEXT NOT NULL, link TEXT NOT NULL, signature TEXT)",
            f"CREATE TABLE IF NOT EXISTS {self.envelope_table_name} ("
            "position INTEGER PRIMARY KEY, body BLOB NOT NULL)",
        ]

    def _create_table(self, c: SQLiteCursor) -> None:
        super()._create_table(c)
        # A chain table made before links were signed (SQLite has no ADD COLUMN IF NOT EXISTS).
        c.execute(f"PRAGMA table_info({self.chain_table_name})")
        if "signature" not in {r[1] for r in c.fetchall()}:
            c.execute(f"ALTER TABLE {self.chain_table_name} ADD COLUMN signature TEXT")

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if not ids:
            return ids
        c.execute(
            f"SELECT {LINK_COLUMNS} FROM {self.chain_table_name} ORDER BY position DESC LIMIT 1"
        )
        head = c.fetchone()
        rows = [
            StoredRow(i, s.originator_id, s.originator_version, s.topic, s.state)
            for i, s in zip(ids, stored_events, strict=True)
        ]
        if head is None:
            c.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} WHERE rowid < ? ORDER BY rowid",
                (min(i for i in ids if i is not None),),
            )
            rows = [StoredRow(r[0], r[1], r[2], r[3], bytes(r[4])) for r in c.fetchall()] + rows
        links = list(chain_rows(self.algorithm, head[5] if head else GENESIS, rows, self._sign()))
        c.executemany(
            f"INSERT INTO {self.chain_table_name} ({LINK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    lk.position,
                    lk.originator_id.hex,
                    lk.originator_version,
                    lk.topic,
                    lk.digest,
                    lk.link,
                    lk.signature,
                )
                for lk in links
            ],
        )
        if bodies := _envelopes(ids, stored_events):
            c.executemany(
                f"INSERT INTO {self.envelope_table_name} (position, body) VALUES (?, ?)", bodies
            )
        return ids

    def sign_legacy_links(self, before: int | None = None) -> int:
        """Sign the unsigned links (before position ``before``, if given) written before
        signing was on: the upgrade step (services/integrity.py). How many."""
        assert self.signer is not None
        before = before if before is not None else 2**62
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"SELECT position, link FROM {self.chain_table_name} "
                "WHERE signature IS NULL AND position < ?",
                (before,),
            )
            unsigned = [(self.signer.sign_link(r[1]), r[0]) for r in c.fetchall()]
            c.executemany(
                f"UPDATE {self.chain_table_name} SET signature = ? WHERE position = ?", unsigned
            )
        return len(unsigned)

    def select_link_texts(self, start: int, stop: int) -> dict[int, str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT position, link FROM {self.chain_table_name}"
                " WHERE position BETWEEN ? AND ?",
                (start, stop),
            )
            return {int(r[0]): r[1] for r in c.fetchall()}

    def select_links(self, start: int, stop: int) -> list[Link]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {LINK_COLUMNS} FROM {self.chain_table_name} "
                "WHERE position BETWEEN ? AND ? "
                "ORDER BY position",
                (start, stop),
            )
            return [_link_from(tuple(r)) for r in c.fetchall()]

    def chain_head(self) -> Link | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {LINK_COLUMNS} FROM {self.chain_table_name} ORDER BY position DESC LIMIT 1"
            )
            row = c.fetchone()
        return _link_from(tuple(row)) if row else None

    def select_envelopes(self, start: int, stop: int) -> dict[int, bytes]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT position, body FROM {self.envelope_table_name} "
                "WHERE position BETWEEN ? AND ?",
                (start, stop),
            )
            return {int(r[0]): bytes(r[1]) for r in c.fetchall()}

    def select_log(
        self, start: int | None, limit: int, stop: int | None = None, *, inclusive_of_start: bool
    ) -> list[LogRow]:
        if start is None:
            start, inclusive_of_start = 0, True
        statement = _log_statement(inclusive_of_start).format(
            events=self.events_table_name,
            envelopes=self.envelope_table_name,
            chain=self.chain_table_name,
            id="rowid",
            lo=":lo",
            hi=":hi",
            limit=":limit",
        )
        bounds = {"lo": start, "hi": NO_STOP if stop is None else stop, "limit": limit}
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, bounds)
            return [
                LogRow(r[0], bytes(r[1]), r[2], None)
                if r[1] is not None
                else LogRow(
                    r[0],
                    None,
                    r[2],
                    Notification(self.convert_originator_id(r[3]), r[4], r[5], bytes(r[6]), r[0]),
                )
                for r in c.fetchall()
            ]

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        found: list[StoredEvent] = []
        for start in range(0, len(originator_ids), 500):  # SQLite's bound-variable limit
            chunk = [i.hex for i in originator_ids[start : start + 500]]
            marks = ",".join("?" * len(chunk))
            with self.datastore.transaction(commit=False) as c:
                c.execute(
                    "SELECT originator_id, originator_version, topic, state FROM "
                    f"{self.events_table_name} WHERE originator_id IN ({marks}) "
                    "ORDER BY originator_id, originator_version",
                    chunk,
                )
                found += [
                    StoredEvent(
                        self.convert_originator_id(r["originator_id"]),
                        r["originator_version"],
                        r["topic"],
                        r["state"],
                    )
                    for r in c.fetchall()
                ]
        return found


# ------------------------------------------------------------------ memory


class ChainedPOPOApplicationRecorder(POPOApplicationRecorder, ChainedRecorder):
    def __init__(self) -> None:
        super().__init__()
        self._links: list[Link] = []
        self._bodies: dict[int, bytes] = {}

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self._database_lock:
            ids = super()._insert_events(stored_events, **kwargs) or []
            rows = [
                StoredRow(i, s.originator_id, s.originator_version, s.topic, s.state)
                for i, s in zip(ids, stored_events, strict=True)
            ]
            previous = self._links[-1].link if self._links else GENESIS
            self._links.extend(chain_rows(self.algorithm, previous, rows, self._sign()))
            self._bodies.update(_envelopes(ids, stored_events))
            return ids

    def select_links(self, start: int, stop: int) -> list[Link]:
        with self._database_lock:
            return [lk for lk in self._links[max(start, 1) - 1 : stop]]

    def chain_head(self) -> Link | None:
        with self._database_lock:
            return self._links[-1] if self._links else None

    def select_envelopes(self, start: int, stop: int) -> dict[int, bytes]:
        with self._database_lock:
            stop = min(stop, max(self._bodies, default=0))
            return {p: self._bodies[p] for p in range(start, stop + 1) if p in self._bodies}


class ChainedPOPOFactory(POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return ChainedPOPOApplicationRecorder()


RECORDERS = {
    "postgres": f"{__name__}:ChainedPostgresApplicationRecorder",
    "sqlite": f"{__name__}:ChainedSQLiteApplicationRecorder",
}
MEMORY_FACTORY = f"{__name__}:ChainedPOPOFactory"
