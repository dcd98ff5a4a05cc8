"""The read-model database: one small interface over SQLite (embedded) and PostgreSQL.

Projection and report code write SQL once, with ``%s`` placeholders and the subset of SQL both
engines share (``INSERT … ON CONFLICT``, ``LIKE`` prefixes, integer sums). Which engine runs is
configuration (``Settings.readmodel_url``); nothing above this module knows.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

Row = dict[str, Any]


class Tx(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...
    def write(self, sql: str, params: Sequence[Any] = ()) -> None: ...
    # One statement for many parameter rows (a batch's rows of one kind): no answer awaited.
    def write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...
    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...


class Database(Protocol):
    # A context manager yielding Tx; ``pipelined``: writes need not wait for their answers.
    def transaction(self, pipelined: bool = False) -> Any: ...
    def snapshot(self) -> Any: ...  # read-only Tx that sees one consistent state throughout
    def close(self) -> None: ...


class IntegrityConflict(Exception):
    """A unique/primary-key violation, whichever engine raised it."""


class _SQLiteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @staticmethod
    def _sql(sql: str) -> str:
        return re.sub(r"%s", "?", sql)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return self._conn.execute(self._sql(sql), tuple(params)).rowcount
        except sqlite3.IntegrityError as e:
            raise IntegrityConflict(str(e)) from e

    def write(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.execute(sql, params)

    def write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self._conn.executemany(self._sql(sql), rows)
        except sqlite3.IntegrityError as e:
            raise IntegrityConflict(str(e)) from e

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cur = self._conn.execute(self._sql(sql), tuple(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None


class SQLiteDatabase:
    """One connection behind a lock: the embedded default has one writer (the projector) and a
    few readers (API threads), and SQLite serialises writers anyway."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self, pipelined: bool = False) -> Iterator[_SQLiteTx]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SQLiteTx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def snapshot(self) -> Any:
        # Readers hold the connection lock, so nothing commits while a report reads.
        return self.transaction()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class _PostgresTx:
    """A transaction's statements. Pipelined (psycopg pipeline mode), ``write`` sends a
    statement without waiting for its answer; ``execute`` (whose row count a caller reads),
    ``all`` and ``one`` wait for everything sent before them. An error of a written statement
    is raised by a later call or at commit, and rolls the whole transaction back."""

    def __init__(self, cursor: Any, pipeline: Any = None, reader: Any = None) -> None:
        self._cur = cursor
        self._pipeline = pipeline
        # Pipelined, reads go through a cursor of their own: the answers to earlier writes
        # that arrive while a read is sent are attached to the cursor that sent them, and on
        # a shared cursor they would take the read's place (psycopg fetches a read's rows
        # only if its cursor holds no result yet): "the last operation didn't produce
        # records (INSERT 0 1)" in a million-event rebuild.
        self._reader = reader or cursor

    @contextmanager
    def _errors(self) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.errors.UniqueViolation as e:
            raise IntegrityConflict(str(e)) from e

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._errors():
            self._cur.execute(sql, tuple(params))
            if self._pipeline is not None:
                self._pipeline.sync()  # the row count arrives with the answer
        return int(self._cur.rowcount)

    def write(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._errors():
            self._cur.execute(sql, tuple(params))

    def write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with self._errors():
            bulk = _as_recordset(sql)
            if bulk is None or len(rows) < 2:
                self._cur.executemany(sql, rows)
                return
            statement, columns = bulk
            # One statement for all the rows: the server runs one INSERT … SELECT over a JSON
            # array instead of an execution per row (an executemany still binds and executes
            # each row on its own), rows in the array's order, so ON CONFLICT keeps the first.
            body = json.dumps([dict(zip(columns, r, strict=True)) for r in rows])
            self._cur.execute(statement, (body,))

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._errors():
            self._reader.execute(sql, tuple(params))
            return list(self._reader.fetchall())

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None


_INSERT_VALUES = re.compile(
    r"^INSERT INTO (\w+) \(([\w, ]+)\) VALUES \((?:%s, )*%s\)( ON CONFLICT .*)?$", re.S
)


@functools.lru_cache(maxsize=64)
def _as_recordset(sql: str) -> tuple[str, tuple[str, ...]] | None:
    """``INSERT INTO t (a, b) VALUES (%s, %s) [ON CONFLICT …]`` as the same insert of the rows
    of one JSON array (``jsonb_populate_recordset`` types each value as t's column), with the
    columns in order; None for any other statement."""
    m = _INSERT_VALUES.match(sql)
    if m is None:
        return None
    table, listed, conflict = m.group(1), m.group(2), m.group(3) or ""
    columns = tuple(c.strip() for c in listed.split(","))
    if sql.count("%s") != len(columns):
        return None
    statement = (
        f"INSERT INTO {table} ({listed}) SELECT {listed}"
        f" FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb){conflict}"
    )
    return statement, columns


class PostgresDatabase:
    """A pooled psycopg connection per transaction; each tier uses its own schema."""

    def __init__(self, conninfo: str, schema: str, pool_size: int = 5) -> None:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        self.schema = schema
        self.conninfo = conninfo  # for a connection of its own (a LISTEN, table_watch.py)
        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            kwargs={"row_factory": dict_row, "options": f"-c search_path={schema}"},
            open=True,
        )
        with self._pool.connection() as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')

    @contextmanager
    def transaction(self, pipelined: bool = False) -> Iterator[_PostgresTx]:
        """One transaction on a pooled connection. ``pipelined`` for a batch of many small
        writes (the projector's, the rebuild's): they go out without a round trip each."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if not pipelined:
                yield _PostgresTx(cur)
                return
            import psycopg

            try:
                with conn.pipeline() as pipeline, conn.cursor() as reader:
                    yield _PostgresTx(cur, pipeline, reader)
            except psycopg.errors.UniqueViolation as e:  # a write answered at the end
                raise IntegrityConflict(str(e)) from e

    @contextmanager
    def snapshot(self) -> Iterator[_PostgresTx]:
        """REPEATABLE READ: every statement of a report sees the same commits (READ COMMITTED
        would let the projector commit between two of them, and the watermarks would lie)."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield _PostgresTx(cur)

    def close(self) -> None:
        self._pool.close()


def open_database(url: str) -> Database:
    """``sqlite://PATH`` (relative or absolute), ``sqlite://:memory:`` or ``postgresql://…?schema=NAME``."""
    if url.startswith("sqlite://"):
        return SQLiteDatabase(url.removeprefix("sqlite://"))
    if url.startswith(("postgresql://", "postgres://")):
        base, _, query = url.partition("?schema=")
        return PostgresDatabase(base, query or "public")
    raise ValueError(f"unsupported read-model URL {url!r} (sqlite:// or postgresql://)")
