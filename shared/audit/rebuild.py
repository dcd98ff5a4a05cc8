"""Rebuild a tier's read model from the event stores, and compare it with another by hash.

A rebuild reads every source store from the start, merges the sources by recorded time (the
order in which the live projector would most plausibly have met them; the read model does not
depend on cross-source order, see readmodel.py) and applies them in large transactions, with
the same ``readmodel.project`` the live projector uses. It can stop at given positions (the
watermarks of a live read model or of an issued report) and leave out events recorded after
an instant (what the platform knew then).

The comparison hashes each table's rows in a canonical form (key order, values as text) and,
where a hash differs, lists the rows that differ by key.
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from queue import Full, Queue
from typing import Any

from shared.infrastructure.projector import Deferred, SourceReader
from shared.infrastructure.store import Database, Tx
from shared.kernel.integration.envelope import Envelope
from shared.tier import readmodel

READ_BATCH = 5000  # notifications read from a store at a time
APPLY_BATCH = 5000  # events applied per read-model transaction
AHEAD = 2  # batches read ahead of the one being applied


def stream(sources: SourceReader, source: str, stop: int, after: int = 0) -> Iterator[Envelope]:
    """``source``'s envelopes after position ``after`` up to ``stop``, a batch read at a time
    (the rebuild's, and the audit history's catch-up)."""
    while after < stop:
        envelopes = sources.read(source, after, READ_BATCH)
        if not envelopes:
            return
        for env in envelopes:
            if env.position > stop:
                return
            yield env
        after = envelopes[-1].position


def _set_tracking(tx: Tx, positions: dict[str, int]) -> None:
    for source, position in positions.items():
        tx.write(
            "INSERT INTO tracking (source, position) VALUES (%s, %s) "
            "ON CONFLICT (source) DO UPDATE SET position = excluded.position",
            (source, position),
        )


def _batches(
    merged: Iterator[Envelope], known_at: datetime | None
) -> Iterator[tuple[list[Envelope], int]]:
    """The merged events in batches of ``APPLY_BATCH``, each with the number of events left
    out before it (recorded after ``known_at``)."""
    chunk: list[Envelope] = []
    skipped = 0
    for env in merged:
        if known_at is not None and env.recorded_at > known_at:
            skipped += 1
            continue
        chunk.append(env)
        if len(chunk) >= APPLY_BATCH:
            yield chunk, skipped
            chunk, skipped = [], 0
    if chunk or skipped:
        yield chunk, skipped


_END = object()


class _Ahead:
    """Batches read by a thread of their own, at most ``AHEAD`` ahead of the one being
    applied (memory stays flat). Reading is the stores' queries and the envelopes' parsing;
    applying is mostly the read model's server executing a batch. They overlap: while one
    waits on its database (the schema's DDL, a batch's statements and commit), the other
    runs. An error while reading is raised to the consumer; leaving stops the reader."""

    def __init__(self, batches: Iterator[tuple[list[Envelope], int]]) -> None:
        self._batches = batches
        self._queue: Queue[Any] = Queue(maxsize=AHEAD)
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, name="rebuild-reader", daemon=True)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def _read(self) -> None:
        try:
            for item in self._batches:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as error:  # raised in the consumer's thread
            self._put(error)

    def __enter__(self) -> _Ahead:
        self._reader.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._reader.join()

    def __iter__(self) -> Iterator[tuple[list[Envelope], int]]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item


def rebuild(
    target: Database,
    sources: SourceReader,
    scope: str,
    *,
    until: dict[str, int] | None = None,
    known_at: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Project every source into ``target`` (a fresh, empty read model), up to ``until``
    (per source; default: each store's head), leaving out events recorded after
    ``known_at``. Returns the positions applied (the new read model's watermarks)."""
    stops = until if until is not None else {s: sources.head(s) for s in sources.names()}
    merged = heapq.merge(
        *(stream(sources, s, stop) for s, stop in stops.items() if stop > 0),
        key=lambda e: (e.recorded_at, e.source, e.position),
    )
    applied: dict[str, int] = {}

    def flush(chunk: list[Envelope]) -> None:
        with target.transaction(pipelined=True) as tx:  # many small writes, no round trip each
            deferred = Deferred(bulk=True)
            for env in chunk:
                readmodel.project(tx, scope, env, deferred)
                applied[env.source] = max(applied.get(env.source, 0), env.position)
            readmodel.finish(tx, deferred)  # once per division and source per batch
            _set_tracking(tx, applied)

    # A rebuild allocates millions of short-lived objects (envelopes, rows), and each full
    # collection they trigger walks the whole heap of the process: in a process that holds an
    # application (or a benchmark's data) that was a third of a rebuild's CPU time. Frozen,
    # what was there before the rebuild is left out of those walks; unfrozen at the end.
    gc.freeze()
    try:
        with _Ahead(_batches(merged, known_at)) as batches:
            with target.transaction() as tx:  # while the first batch is read
                readmodel.create_schema(tx)
            for chunk, skipped in batches:
                if chunk:
                    flush(chunk)
                if progress is not None and (chunk or skipped):
                    progress(len(chunk) + skipped)
    finally:
        gc.unfreeze()
    return applied


# ------------------------------------------------------------------ compare


TABLES = {**readmodel.READ_MODEL_TABLES, "tracking": "source"}


def _canonical(row: dict[str, Any]) -> str:
    return json.dumps([None if v is None else str(v) for v in row.values()], ensure_ascii=False)


@dataclass
class TableDigest:
    rows: int
    digest: str
    keyed: dict[str, str] = field(repr=False)  # key → canonical row


def digest_tables(tx: Tx) -> dict[str, TableDigest]:
    """Per read-model table: row count, SHA-256 over the canonical rows in key order."""
    out = {}
    for table, key in TABLES.items():
        columns = [c.strip() for c in key.split(",")]
        h = hashlib.sha256()
        keyed = {}
        for row in tx.all(f"SELECT * FROM {table} ORDER BY {key}"):
            line = _canonical(row)
            h.update(line.encode())
            h.update(b"\n")
            keyed["|".join(str(row[c]) for c in columns)] = line
        out[table] = TableDigest(len(keyed), h.hexdigest(), keyed)
    return out


@dataclass
class Difference:
    table: str
    key: str
    live: str | None
    rebuilt: str | None


@dataclass
class Comparison:
    tables: dict[str, tuple[TableDigest, TableDigest]]
    differences: list[Difference]

    @property
    def equal(self) -> bool:
        return not self.differences

    def summary(self) -> list[dict[str, Any]]:
        return [
            {
                "table": t,
                "rows_live": a.rows,
                "rows_rebuilt": b.rows,
                "sha256_live": a.digest,
                "sha256_rebuilt": b.digest,
                "equal": a.digest == b.digest,
            }
            for t, (a, b) in self.tables.items()
        ]


def compare(live: dict[str, TableDigest], rebuilt: dict[str, TableDigest]) -> Comparison:
    differences = []
    for table in TABLES:
        a, b = live[table], rebuilt[table]
        if a.digest == b.digest:
            continue
        for key in sorted(set(a.keyed) | set(b.keyed)):
            if a.keyed.get(key) != b.keyed.get(key):
                differences.append(Difference(table, key, a.keyed.get(key), b.keyed.get(key)))
    return Comparison({t: (live[t], rebuilt[t]) for t in TABLES}, differences)
