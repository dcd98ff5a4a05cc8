"""The audit history: read-model rows versioned by recorded time, so a report as known at a
past instant reads the rows of that instant instead of rebuilding a read model (ADR 0031).

One SQLite file per tier (``<data dir>/<tier>-audit-history.db``), built from the event stores
exactly as a rebuild is (sources merged by recorded time, the same ``readmodel.project``), and
caught up incrementally. It holds:

* the *working* tables: an ordinary read model at the history's head;
* for each table ``t`` of the read model but the bookkeeping (``BOOKKEEPING``: access log,
  delivery positions, counter cache) a table ``h_t`` with the same columns plus ``_rf`` / ``_rt``: the recorded time (µs since the
  epoch) from which, and until which, that row was the row. Triggers on the working tables
  write them, so no projection code knows about versions;
* ``_clock``: the merge clock, the largest ``recorded_at`` applied so far. Every version is
  stamped with it, so stamps never go backwards;
* ``_late``: the events applied after an event recorded later than themselves (clocks of
  different hosts, a slow command). For an instant between such an event's recorded time and
  the clock it was applied at, the history's rows are not what a replay gives, so that instant
  is answered by the replay (``known_at`` returns None);
* ``_history``: the schema fingerprint and scope it was built for. A history of another read
  model schema is discarded and built again, as is one whose covered chain links the stores
  no longer have (a stale history: the log it was built from is not the log now).

A report reads it through temporary views named like the read-model tables (SQLite resolves
``temp`` first), each ``SELECT`` of the versions valid at the instant, inside one read
transaction; the bookkeeping tables a report writes (the counter cache, ADR 0004) are empty
temporary tables. So every report query runs unchanged and costs about what it costs on a live
read model: no rebuild per request, whatever the length of the log.

Why the answer equals the replay: the read model does not depend on the order of events of
different sources, only on each source's own order (ADR 0001). The rows valid at clock ``X``
are those after applying the events whose clock is ≤ ``X``, each source in position order;
when no late event falls in ``(recorded_at, clock]`` around ``X`` that set is exactly the
events recorded up to ``X``, which is what the replay applies. For an issued report's
watermarks, the rows of the instant at which ``tracking`` equals them are the rows of exactly
those positions.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.audit.rebuild import TABLES, digest_tables, stream
from shared.infrastructure.projector import Deferred, SourceReader
from shared.infrastructure.store import _SQLiteTx
from shared.tier import readmodel

FORMAT = 3  # of the history file; part of the fingerprint
# A table with this many versions per row is read at an instant key by key (an index seek per
# row: the latest version recorded by then) instead of by a scan of all its versions.
SEEK_FROM = 4
READ_BATCH = 5000
APPLY_BATCH = 5000  # events per committed transaction while catching up
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
log = logging.getLogger("sanji.audit")
# An index as SQLite keeps its text (plain indexes only: a unique one cannot hold versions).
_INDEX = re.compile(r"CREATE INDEX (?:IF NOT EXISTS )?(\w+) ON (\w+) ?\(([^)]*)\)\s*$", re.S)


def micros(moment: datetime) -> int:
    """Exact µs since the epoch (a float timestamp would round)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def fingerprint(scope: str) -> str:
    """What a history was built for: its format, the read-model schema and the versioned
    tables. Another read model (a new table, a new column) needs another history."""
    text = json.dumps(
        [FORMAT, scope, readmodel.SCHEMA, sorted(TABLES.items()), sorted(BOOKKEEPING)]
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]


# Not versioned: what is not derived from the events (the access log), delivery bookkeeping,
# and the counter cache with its division versions (ADR 0004), which a report only caches
# into. Every other table of the read model is versioned, listed in ``TABLES`` or not, so a
# table a report reads is never an empty one in a known-at report.
BOOKKEEPING = frozenset(
    {
        "access_log",
        "consumer_offset",
        "relay_position",
        "division_version",
        "counter_cache",
        "dead_letter",
    }
)


def _keys(conn: sqlite3.Connection, table: str) -> list[str]:
    """The columns that name a row: the compare's key, else the primary key, else all."""
    if table in TABLES:
        return [c.strip() for c in TABLES[table].split(",")]
    info = list(conn.execute(f"PRAGMA main.table_info({table})"))
    pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5] > 0]
    return pk or [r[1] for r in info]


def _versioned(conn: sqlite3.Connection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' ORDER BY name"
        )
        if r[0] not in BOOKKEEPING and not r[0].startswith(("h_", "_", "sqlite_"))
    ]


def _create(conn: sqlite3.Connection, scope: str) -> None:
    """Working tables, their version tables and the triggers that keep them."""
    tx = _SQLiteTx(conn)
    for statement in readmodel.SCHEMA:
        tx.write(statement)
    conn.execute("CREATE TABLE _clock (at INTEGER NOT NULL)")
    conn.execute("INSERT INTO _clock VALUES (0)")
    conn.execute(
        "CREATE TABLE _late (source TEXT NOT NULL, position INTEGER NOT NULL,"
        " recorded INTEGER NOT NULL, clock INTEGER NOT NULL)"
    )
    conn.execute("CREATE INDEX _late_recorded ON _late (recorded)")
    conn.execute("CREATE TABLE _history (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute(
        "INSERT INTO _history VALUES ('fingerprint', ?), ('scope', ?)",
        (fingerprint(scope), scope),
    )
    indexes = [
        r[0]
        for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql NOTNULL")
    ]
    clock = "(SELECT at FROM _clock)"
    for table in _versioned(conn):
        cols = _columns(conn, table)
        keys = _keys(conn, table)
        listed = ", ".join(cols)
        new = ", ".join(f"NEW.{c}" for c in cols)
        same = " AND ".join(f"{k} IS OLD.{k}" for k in keys)
        conn.execute(f"CREATE TABLE h_{table} ({listed}, _rf INTEGER NOT NULL, _rt INTEGER)")
        conn.execute(f"CREATE INDEX h_{table}_key ON h_{table} ({', '.join(keys)}, _rt)")
        conn.execute(f"CREATE INDEX h_{table}_at ON h_{table} ({', '.join(keys)}, _rf)")
        # Keys of rows deleted some time: with the working table's, every key an instant had.
        conn.execute(
            f"CREATE TABLE _deleted_{table} AS SELECT {', '.join(keys)} FROM {table} LIMIT 0"
        )
        conn.execute(
            f"CREATE UNIQUE INDEX _deleted_{table}_key ON _deleted_{table} ({', '.join(keys)})"
        )
        if table == "tracking":  # an issued report's watermarks are looked up by position
            conn.execute("CREATE INDEX h_tracking_position ON h_tracking (source, position)")
        for sql in indexes:
            m = _INDEX.match(sql)
            if m and m.group(2) == table:  # the report's access paths, on the versions too
                conn.execute(f"CREATE INDEX h_{m.group(1)} ON h_{table} ({m.group(3)})")
        # A row changed twice at one clock keeps one version (no empty versions piling up).
        close = (
            f"DELETE FROM h_{table} WHERE {same} AND _rt IS NULL AND _rf = {clock};"
            f" UPDATE h_{table} SET _rt = {clock} WHERE {same} AND _rt IS NULL;"
        )
        opened = f"INSERT INTO h_{table} ({listed}, _rf) VALUES ({new}, {clock});"
        conn.execute(f"CREATE TRIGGER h_{table}_i AFTER INSERT ON {table} BEGIN {opened} END")
        conn.execute(
            f"CREATE TRIGGER h_{table}_u AFTER UPDATE ON {table} BEGIN {close} {opened} END"
        )
        gone = (
            f"INSERT OR IGNORE INTO _deleted_{table} ({', '.join(keys)})"
            f" VALUES ({', '.join(f'OLD.{k}' for k in keys)});"
        )
        conn.execute(f"CREATE TRIGGER h_{table}_d AFTER DELETE ON {table} BEGIN {close} {gone} END")


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")  # readers answer while the history catches up
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA recursive_triggers=ON")  # INSERT OR REPLACE closes the old version
    return conn


def _meta(conn: sqlite3.Connection) -> dict[str, str]:
    try:
        return dict(conn.execute("SELECT key, value FROM _history").fetchall())
    except sqlite3.DatabaseError:
        return {}


def stale(conn: sqlite3.Connection, sources: SourceReader) -> str | None:
    """Why this history no longer describes the stores (None if it does): a covered chain link
    that the store has no more at that position (rewritten, truncated, another store)."""
    for source, position, link in conn.execute("SELECT source, position, link FROM chain_head"):
        if source not in sources.names():
            return f"unknown source {source}"
        found = sources.read(source, int(position) - 1, 1)
        if not found or found[0].position != position or found[0].chain != link:
            return f"{source} at {position} is not the event the history was built from"
    return None


class AuditHistory:
    """One tier's history file: caught up on demand (bounded) or in the background, read at
    an instant or at watermarks."""

    def __init__(
        self,
        path: Path,
        sources: SourceReader,
        scope: str,
        *,
        max_tail: int = 2_000,
    ) -> None:
        self.path = path
        self.sources = sources
        self.scope = scope
        self.max_tail = max_tail  # events a request catches up itself; more: in the background
        self._write = threading.Lock()
        self._background: threading.Thread | None = None
        # Requests answered from the history and by the replay (tests, the benchmark, a
        # health page): a history that keeps sending requests to the replay is visible.
        self.served = 0
        self.replayed = 0
        self._applied: dict[str, int] | None = None  # tracking as the last catch-up left it
        self._temp: list[str] | None = None  # the statements of a view, "{at}" for the instant

    # ------------------------------------------------------------------ building

    def _open_for_writing(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        reason = None
        try:
            conn: sqlite3.Connection | None = _connect(self.path)
            assert conn is not None
            empty = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
            meta = _meta(conn)
        except sqlite3.DatabaseError:  # not a database at all (a damaged or foreign file)
            conn, empty, meta = None, False, {}
            reason = "not a history file"
        if reason is None and not empty and meta.get("fingerprint") != fingerprint(self.scope):
            reason = "built for another read-model schema, or not a history file"
        elif reason is None and meta:
            assert conn is not None
            reason = stale(conn, self.sources)
        if reason is not None:  # derived data: start again from the stores
            log.warning("%s: %s; building it again from the stores", self.path, reason)
            if conn is not None:
                conn.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self._applied, self._temp = None, None
            conn, meta = _connect(self.path), {}
        assert conn is not None
        if not meta:
            conn.execute("BEGIN IMMEDIATE")
            _create(conn, self.scope)
            conn.execute("COMMIT")
        return conn

    def behind(self) -> int:
        """Events in the stores the history has not applied (all of them if it has none)."""
        applied = self._applied
        if applied is None:
            applied = {}
            if self.path.exists():
                conn = sqlite3.connect(self.path, timeout=30)
                try:
                    if _meta(conn).get("fingerprint") == fingerprint(self.scope):
                        applied = dict(conn.execute("SELECT source, position FROM tracking"))
                finally:
                    conn.close()
        return sum(max(0, self.sources.head(s) - applied.get(s, 0)) for s in self.sources.names())

    def catch_up(
        self, limit: int | None = None, progress: Callable[[int], None] | None = None
    ) -> int:
        """Apply what the stores hold beyond the history (at most ``limit`` events); returns
        the number applied. Each committed batch is a prefix of the merge, so a history
        stopped anywhere is a correct history of less."""
        with self._write:
            conn = self._open_for_writing()
            try:
                return self._apply(conn, limit, progress)
            finally:
                conn.close()

    def _apply(
        self, conn: sqlite3.Connection, limit: int | None, progress: Callable[[int], None] | None
    ) -> int:
        # Under the write lock from the start: another process catching up the same file
        # (two API processes of a host) must not apply the same events; it waits, then finds
        # them applied.
        conn.execute("BEGIN IMMEDIATE")
        after = dict(conn.execute("SELECT source, position FROM tracking"))
        clock = int(conn.execute("SELECT at FROM _clock").fetchone()[0])
        stops = {s: self.sources.head(s) for s in self.sources.names()}
        merged = heapq.merge(
            *(
                stream(self.sources, s, stop, after.get(s, 0))
                for s, stop in stops.items()
                if stop > after.get(s, 0)
            ),
            key=lambda e: (e.recorded_at, e.source, e.position),
        )
        tx = _SQLiteTx(conn)
        applied = 0
        expected = dict(after)
        try:
            for env in merged:
                recorded = micros(env.recorded_at)
                if recorded < clock:
                    tx.write(
                        "INSERT INTO _late VALUES (%s, %s, %s, %s)",
                        (env.source, env.position, recorded, clock),
                    )
                else:
                    clock = recorded
                    tx.write("UPDATE _clock SET at = %s", (clock,))
                # Per event, not per batch: every instant's rows must be whole. The division
                # versions (the counter cache's bookkeeping) are not history: not written.
                readmodel.project(tx, self.scope, env, Deferred())
                readmodel.note_chain_head(tx, env)
                tx.write(
                    "INSERT INTO tracking (source, position) VALUES (%s, %s) ON CONFLICT"
                    " (source) DO UPDATE SET position = excluded.position",
                    (env.source, env.position),
                )
                expected[env.source] = env.position
                applied += 1
                if applied % APPLY_BATCH == 0:
                    conn.execute("COMMIT")
                    if progress is not None:
                        progress(APPLY_BATCH)
                    conn.execute("BEGIN IMMEDIATE")
                    if dict(conn.execute("SELECT source, position FROM tracking")) != expected:
                        break  # another process wrote in between: it carries on, not us
                if limit is not None and applied >= limit:
                    break
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            self._applied = None
        self._applied = dict(conn.execute("SELECT source, position FROM tracking"))
        if progress is not None and applied % APPLY_BATCH:
            progress(applied % APPLY_BATCH)
        return applied

    def ready(self) -> bool:
        """Caught up to the stores' heads now, if that takes at most ``max_tail`` events;
        otherwise a background thread catches up and this request is answered otherwise."""
        behind = self.behind()
        if behind == 0:
            return True  # the keeper's catch-ups check it against the chain (``stale``)
        if behind <= self.max_tail:
            self.catch_up()
            return True
        with self._write:
            if self._background is None or not self._background.is_alive():
                self._background = threading.Thread(
                    target=self.catch_up, name="audit-history", daemon=True
                )
                self._background.start()
        return False

    # ------------------------------------------------------------------ reading

    @contextmanager
    def known_at(self, instant: datetime) -> Iterator[HistoryView | None]:
        """The read model as known at ``instant``, or None where the history cannot say
        exactly (no history, or a late event around the instant)."""
        x = micros(instant)
        with self._view() as conn:
            if conn is None:
                yield None
                return
            late = conn.execute(
                "SELECT 1 FROM _late WHERE recorded <= ? AND clock > ? LIMIT 1", (x, x)
            ).fetchone()
            if late is not None:
                yield None
                return
            yield HistoryView(conn, x, self._statements(conn))

    @contextmanager
    def at_positions(self, until: dict[str, int]) -> Iterator[HistoryView | None]:
        """The read model of exactly the events up to these positions (an issued report's
        watermarks), or None if no instant of the history had them."""
        with self._view() as conn:
            x = None if conn is None else _instant_of(conn, until)
            if conn is None or x is None:
                yield None
                return
            yield HistoryView(conn, x, self._statements(conn))

    def _statements(self, conn: sqlite3.Connection) -> list[str]:
        """What makes a connection show an instant (the same for every request of one
        schema, so read from the file once)."""
        if self._temp is None:
            self._temp = _view_statements(conn)
        return self._temp

    @contextmanager
    def _view(self) -> Iterator[sqlite3.Connection | None]:
        if not self.path.exists():
            yield None
            return
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("BEGIN")  # one read snapshot for the whole report
            if _meta(conn).get("fingerprint") != fingerprint(self.scope):
                yield None
                return
            yield conn
        finally:
            conn.execute("ROLLBACK")
            conn.close()


def _instant_of(conn: sqlite3.Connection, until: dict[str, int]) -> int | None:
    """A clock at which ``tracking`` held exactly ``until`` (a source at 0 or absent: none of
    its events yet), or None."""
    lo, hi = 0, None
    sources = {r[0] for r in conn.execute("SELECT DISTINCT source FROM h_tracking")}
    for source in sources | set(until):
        position = until.get(source, 0)
        if position <= 0:
            first = conn.execute(
                "SELECT min(_rf) FROM h_tracking WHERE source = ?", (source,)
            ).fetchone()[0]
            start, end = 0, first
        else:
            row = conn.execute(
                "SELECT _rf, _rt FROM h_tracking WHERE source = ? AND position = ?",
                (source, position),
            ).fetchone()
            if row is None:
                return None
            start, end = row
        lo = max(lo, start)
        if end is not None:
            hi = end if hi is None else min(hi, end)
    return lo if hi is None or lo < hi else None


def _view_statements(conn: sqlite3.Connection) -> list[str]:
    """Temporary views of the versions valid at ``{at}`` named like the read-model tables, and
    empty temporary tables for the bookkeeping (counter cache, division versions), as in a
    replay."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE"
            " 'h\\_%' ESCAPE '\\' AND name NOT LIKE '\\_%' ESCAPE '\\'"
            " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
    ]
    ddl = dict(conn.execute("SELECT name, sql FROM main.sqlite_master WHERE type = 'table'"))
    out = []
    for name in names:
        if f"h_{name}" in ddl:
            cols = ", ".join(_columns(conn, name))
            valid = "(_rt IS NULL OR _rt > {at})"
            versions = conn.execute(f"SELECT max(rowid) FROM main.h_{name}").fetchone()[0] or 0
            rows = conn.execute(f"SELECT max(rowid) FROM main.{name}").fetchone()[0] or 0
            if versions < SEEK_FROM * max(rows, 1):
                out.append(
                    f"CREATE TEMP VIEW {name} AS SELECT {cols} FROM main.h_{name}"
                    f" WHERE _rf <= {{at}} AND {valid}"
                )
                continue
            # Few rows, many versions (tracking, chain heads, counters updated in place): per
            # key, the latest version recorded by then, if it was still valid then.
            keys = _keys(conn, name)
            listed = ", ".join(keys)
            same = " AND ".join(f"w.{k} IS ks.{k}" for k in keys)
            out.append(
                f"CREATE TEMP VIEW {name} AS SELECT {cols} FROM main.h_{name} WHERE rowid IN"
                f" (SELECT (SELECT w.rowid FROM main.h_{name} w WHERE {same}"
                " AND w._rf <= {at} ORDER BY w._rf DESC LIMIT 1)"
                f" FROM (SELECT {listed} FROM main.{name}"
                f" UNION SELECT {listed} FROM main._deleted_{name}) ks) AND {valid}"
            )
        else:
            out.append(re.sub(r"^CREATE TABLE", "CREATE TEMP TABLE", ddl[name]))  # bookkeeping
    return out


class HistoryView:
    """A ``Database`` for report code: the read-model tables as they were at clock ``at``
    (temporary views over the versions), the bookkeeping tables empty and writable, all in
    the one read transaction its connection holds."""

    def __init__(self, conn: sqlite3.Connection, at: int, statements: list[str]) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.at = at
        for statement in statements:
            conn.execute(statement.replace("{at}", str(int(at))))

    @contextmanager
    def transaction(self, pipelined: bool = False) -> Iterator[_SQLiteTx]:
        with self._lock:
            yield _SQLiteTx(self._conn)

    def snapshot(self) -> Any:
        return self.transaction()

    def close(self) -> None:
        """The connection belongs to ``AuditHistory``'s context."""


# ------------------------------------------------------------------ checking


def check(history: AuditHistory, instants: list[datetime]) -> list[str]:
    """Findings (empty: none) of comparing the history at each instant with a full replay of
    the stores to that instant, table by table (canonical digests, as rebuild-and-compare):
    what proves that the history equals the event log, and finds a row changed in it. The
    replay costs a rebuild per instant: an audit job, not a request."""
    from shared.audit.issued import replay

    findings = []
    for at in instants:
        replayed = replay(history.sources, history.scope, known_at=at)
        try:
            with replayed.snapshot() as tx:
                expected = digest_tables(tx)
        finally:
            replayed.close()
        with history.known_at(at) as view:
            if view is None:
                continue  # answered by the replay itself: nothing of the history is used
            with view.snapshot() as tx:
                got = digest_tables(tx)
        findings += [
            f"{at.isoformat()}: {table} differs from the replay"
            for table in TABLES
            if got[table].digest != expected[table].digest
        ]
    return findings


# ------------------------------------------------------------------ one per file

_HISTORIES: dict[Path, AuditHistory] = {}
_REGISTRY = threading.Lock()


def history_at(path: Path, sources: SourceReader, scope: str) -> AuditHistory:
    """The process's one ``AuditHistory`` of this file (its writer lock is per process)."""
    key = path.resolve()
    with _REGISTRY:
        history = _HISTORIES.get(key)
        if history is None or history.sources is not sources:
            history = _HISTORIES[key] = AuditHistory(path, sources, scope)
        return history
