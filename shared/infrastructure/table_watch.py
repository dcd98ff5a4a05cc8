"""Whether an append-only read-model table has changed, without reading it.

For caches of what every command reads (the division tree, ADR 0029): the cache keeps its
copy while the table's *token* stays the same, and reads again when it moves. A token is
taken before the cached data is read, so a change committed in between moves the token past
the copy and the next call reads again: a copy is never kept under a token older than itself.

- PostgreSQL (production, several API processes and a projector sharing the read model): a
  row trigger on the table sends ``NOTIFY`` in the inserting transaction, delivered at its
  commit to every listening process. Each process holds one connection of its own that
  LISTENs; every notification (and every (re)connection) moves a counter, the token. Asking
  costs no query. While the listener is not connected (starting, or reconnecting after an
  error) the token is None: callers read through, so a lost notification cannot leave a
  stale copy behind.
- SQLite (the embedded platform, one process): the table's row count, one in-process query
  of microseconds. Exact because the watched tables only grow (rows are inserted, never
  updated or deleted): two equal counts are the same rows.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Protocol

from shared.infrastructure.store import Database, PostgresDatabase

if TYPE_CHECKING:  # imported where used: an SQLite-only process never loads psycopg
    import psycopg

log = logging.getLogger(__name__)

RECONNECT_WAIT = 1.0  # seconds between attempts to listen again after an error
POLL = 0.5  # seconds the listener waits for a notification before checking it should stop


class TableWatch(Protocol):
    def token(self) -> object | None:
        """Moves whenever the table changed; None: unknown now, read the table itself."""
        ...

    def close(self) -> None: ...


class CountedTable:
    """The row count of an append-only table (SQLite, in-process)."""

    def __init__(self, db: Database, table: str) -> None:
        self.db = db
        self.sql = f"SELECT count(*) AS n FROM {table}"

    def token(self) -> object | None:
        with self.db.transaction() as tx:
            row = tx.one(self.sql)
        return int(row["n"]) if row else 0

    def close(self) -> None:
        pass


class NotifiedTable:
    """A counter moved by the table's insert notifications (PostgreSQL). The listening
    thread starts on the first ``token()``: a process that never asks holds no connection."""

    def __init__(self, db: PostgresDatabase, table: str) -> None:
        self.conninfo = db.conninfo
        self.schema = db.schema
        self.table = table
        self._lock = threading.Lock()
        self._generation = 0
        self._listening = False
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set while LISTEN is in place (tests wait on it)
        self.application_name = f"sanji-watch {self.schema}.{table}"  # in pg_stat_activity

    def token(self) -> object | None:
        with self._lock:
            if self._thread is None and not self._stopped.is_set():
                self._thread = threading.Thread(
                    target=self._run, name=f"watch-{self.schema}.{self.table}", daemon=True
                )
                self._thread.start()
            return self._generation if self._listening else None

    def close(self) -> None:
        self._stopped.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=2 * POLL + 1)

    def _moved(self, listening: bool) -> None:
        with self._lock:
            self._generation += 1
            self._listening = listening
        if listening:
            self.listening.set()
        else:
            self.listening.clear()

    def _run(self) -> None:
        import psycopg

        while not self._stopped.is_set():
            try:
                # autocommit: LISTEN takes effect at once, not at a commit.
                with psycopg.connect(
                    self.conninfo, autocommit=True, application_name=self.application_name
                ) as conn:
                    self._install(conn)
                    conn.execute(f'LISTEN "{self.schema}"')
                    # From here every insert notifies; what came before is read afresh.
                    self._moved(listening=True)
                    while not self._stopped.is_set():
                        for note in conn.notifies(timeout=POLL, stop_after=1):
                            if note.payload == self.table:
                                self._moved(listening=True)
            except Exception:
                log.warning(
                    "not listening for %s.%s; reading it per call",
                    self.schema,
                    self.table,
                    exc_info=True,
                )
            finally:
                self._moved(listening=False)
            self._stopped.wait(RECONNECT_WAIT)

    def _install(self, conn: psycopg.Connection[Any]) -> None:
        """The trigger, unless it is there: made by the first process that listens (schema
        and tables are made by every process at start already, shared/infrastructure/projector.py).
        Channel: the schema (every tier has its own); payload: the table."""
        name = f"sanji_notify_{self.table}"
        found = conn.execute(
            "SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgrelid = to_regclass(%s)",
            (name, f'"{self.schema}".{self.table}'),
        ).fetchone()
        if found:
            return
        with conn.transaction():
            conn.execute(
                f'CREATE OR REPLACE FUNCTION "{self.schema}".{name}() RETURNS trigger'
                " LANGUAGE plpgsql AS $$ BEGIN"
                " PERFORM pg_notify(TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL; END $$"
            )
            conn.execute(
                f'CREATE OR REPLACE TRIGGER {name} AFTER INSERT ON "{self.schema}".{self.table}'
                f' FOR EACH ROW EXECUTE FUNCTION "{self.schema}".{name}()'
            )


def watch_table(db: Database, table: str) -> TableWatch:
    """The cheapest exact watch the engine offers (see the module's docstring)."""
    if isinstance(db, PostgresDatabase):
        return NotifiedTable(db, table)
    return CountedTable(db, table)
