"""Event stores that chain every event as they store it (shared/chain.py).

eventsourcing's application recorders, extended so that the same transaction that inserts a
batch of events (under the library's table lock on PostgreSQL, the one writer on SQLite, the
database lock in memory) also appends their links to a chain table beside the events table.
A row that reaches the events table any other way has no link, and ``verify`` names it.

Chosen per application with ``APPLICATION_RECORDER_TOPIC`` (PostgreSQL, SQLite) or
``PERSISTENCE_MODULE`` (memory); see ``Settings.event_store_env``. All three offer the same
two reads: ``select_links`` and ``chain_head``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from shared.chain import GENESIS, Link, StoredRow, chain_rows

DEFAULT_ALGORITHM = "sha256"


def chain_table_for(events_table_name: str) -> str:
    return events_table_name.removesuffix("_events") + "_chain"


def _link_from(row: Any) -> Link:
    return Link(
        position=int(row[0]),
        originator_id=UUID(str(row[1])),
        originator_version=int(row[2]),
        topic=row[3],
        digest=row[4],
        link=row[5],
    )


class ChainedRecorder:
    """What the relay, catch-up and ``verify`` need from a chained store."""

    algorithm: str = DEFAULT_ALGORITHM

    def select_links(self, start: int, stop: int) -> list[Link]:
        """Links of positions ``start`` … ``stop`` (inclusive), in order."""
        raise NotImplementedError

    def chain_head(self) -> Link | None:
        raise NotImplementedError


# ------------------------------------------------------------------ PostgreSQL


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder, ChainedRecorder):
    def __init__(self, datastore: PostgresDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)
        chain = Identifier(chain_table_for(events_table_name))
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} ("
                "position bigint PRIMARY KEY, originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, topic text NOT NULL, "
                "digest text NOT NULL, link text NOT NULL)"
            ).format(schema, chain)
        )
        self._sql_head = SQL(
            "SELECT position, originator_id, originator_version, topic, digest, link "
            "FROM {0}.{1} ORDER BY position DESC LIMIT 1"
        ).format(schema, chain)
        self._sql_links = SQL(
            "SELECT position, originator_id, originator_version, topic, digest, link "
            "FROM {0}.{1} WHERE position BETWEEN %s AND %s ORDER BY position"
        ).format(schema, chain)
        self._sql_insert_links = SQL(
            "INSERT INTO {0}.{1} (position, originator_id, originator_version, topic, digest, "
            "link) VALUES (%s, %s, %s, %s, %s, %s)"
        ).format(schema, chain)
        self._sql_unchained = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {0}.{1} WHERE notification_id < %s ORDER BY notification_id"
        ).format(schema, Identifier(events_table_name))

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
        links = list(chain_rows(self.algorithm, previous, rows))
        curs.executemany(
            self._sql_insert_links,
            [
                (lk.position, lk.originator_id, lk.originator_version, lk.topic, lk.digest, lk.link)
                for lk in links
            ],
        )
        return ids

    def select_links(self, start: int, stop: int) -> list[Link]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql_links, (start, stop))
            return [_link_from(list(r.values())) for r in curs.fetchall()]

    def chain_head(self) -> Link | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql_head)
            row = curs.fetchone()
        return _link_from(list(row.values())) if row else None


# ------------------------------------------------------------------ SQLite


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder, ChainedRecorder):
    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        # Set first: the base constructor asks for the create statements.
        self.chain_table_name = chain_table_for(events_table_name)
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.chain_table_name} ("
            "position INTEGER PRIMARY KEY, originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, topic TEXT NOT NULL, "
            "digest TEXT NOT NULL, link TEXT NOT NULL)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if not ids:
            return ids
        c.execute(f"SELECT * FROM {self.chain_table_name} ORDER BY position DESC LIMIT 1")
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
        links = list(chain_rows(self.algorithm, head[5] if head else GENESIS, rows))
        c.executemany(
            f"INSERT INTO {self.chain_table_name} VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    lk.position,
                    lk.originator_id.hex,
                    lk.originator_version,
                    lk.topic,
                    lk.digest,
                    lk.link,
                )
                for lk in links
            ],
        )
        return ids

    def select_links(self, start: int, stop: int) -> list[Link]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT * FROM {self.chain_table_name} WHERE position BETWEEN ? AND ? "
                "ORDER BY position",
                (start, stop),
            )
            return [_link_from(tuple(r)) for r in c.fetchall()]

    def chain_head(self) -> Link | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.chain_table_name} ORDER BY position DESC LIMIT 1")
            row = c.fetchone()
        return _link_from(tuple(row)) if row else None


# ------------------------------------------------------------------ memory


class ChainedPOPOApplicationRecorder(POPOApplicationRecorder, ChainedRecorder):
    def __init__(self) -> None:
        super().__init__()
        self._links: list[Link] = []

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
            self._links.extend(chain_rows(self.algorithm, previous, rows))
            return ids

    def select_links(self, start: int, stop: int) -> list[Link]:
        with self._database_lock:
            return [lk for lk in self._links[max(start, 1) - 1 : stop]]

    def chain_head(self) -> Link | None:
        with self._database_lock:
            return self._links[-1] if self._links else None


class ChainedPOPOFactory(POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return ChainedPOPOApplicationRecorder()


RECORDERS = {
    "postgres": f"{__name__}:ChainedPostgresApplicationRecorder",
    "sqlite": f"{__name__}:ChainedSQLiteApplicationRecorder",
}
MEMORY_FACTORY = f"{__name__}:ChainedPOPOFactory"
