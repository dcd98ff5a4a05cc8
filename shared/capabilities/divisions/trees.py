"""The division trees a tier's commands use, kept per process (ADR 0029).

Every command that places a record or checks a retired division's successor needs the tree
in force on its effective date (ADR 0005): the jurisdiction file plus the division changes in
the tier's read model. Reading the changes per command cost a read transaction each (about a
fifth of a village ``apply_for_filing``). Here they are read once and kept, with the trees
built from them per day, until the ``division_change`` table moves
(``shared/infrastructure/table_watch.py``): whichever process or tier projected the change,
and whatever day it takes effect on — a backdated change (ADR 0013) drops every kept tree,
not only the later ones, because the trees are keyed by the table's state, not by date.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date

from shared.capabilities.divisions.history import Change, load_changes, tree_on
from shared.infrastructure.store import Database
from shared.infrastructure.table_watch import TableWatch, watch_table
from shared.kernel.jurisdiction import Jurisdiction

KEEP = 64  # trees kept (one per effective day asked for): today's, and a few backdated days


class DivisionTrees:
    """``on(base, day)``: the same tree as ``tree_from(db, base, day)``, without reading the
    read model while nothing changed. The trees returned are shared: never modify one."""

    def __init__(self, db: Database, watch: TableWatch | None = None, keep: int = KEEP) -> None:
        self.db = db
        self.watch = watch if watch is not None else watch_table(db, "division_change")
        self.keep = keep
        self.reads = 0  # how often the changes were read (tests, diagnostics)
        self._lock = threading.Lock()
        self._token: object | None = None
        self._base: Jurisdiction | None = None
        self._changes: list[Change] | None = None
        self._trees: OrderedDict[date, Jurisdiction] = OrderedDict()

    def on(self, base: Jurisdiction, day: date) -> Jurisdiction:
        # The token first: a change committed after it moves it past what is read below.
        token = self.watch.token()
        if token is None:  # not watching (yet): read through, as without a cache
            return tree_on(base, self._read(), day)
        with self._lock:
            if token != self._token or base is not self._base:
                self._token, self._base, self._changes = token, base, None
                self._trees.clear()
            tree = self._trees.get(day)
            if tree is not None:
                self._trees.move_to_end(day)
                return tree
            changes = self._changes
        if changes is None:
            changes = self._read()
        tree = tree_on(base, changes, day)
        with self._lock:
            if token == self._token and base is self._base:  # else a newer state is kept
                self._changes = changes
                self._trees[day] = tree
                while len(self._trees) > self.keep:
                    self._trees.popitem(last=False)
        return tree

    def _read(self) -> list[Change]:
        with self.db.snapshot() as tx:
            changes = load_changes(tx)
        self.reads += 1
        return changes

    def close(self) -> None:
        self.watch.close()
