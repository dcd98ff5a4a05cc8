"""Group commit: the saves of concurrent commands of one application stored in one transaction.

Every save takes the event store's write lock (PostgreSQL: the library's ``LOCK TABLE …
EXCLUSIVE``; SQLite: the one writer) and commits; under concurrent commands most of a
command's time is spent queueing for that lock (issue 15). Here a save joins a queue; the first
saver in becomes the leader, takes everything queued and stores it with one insert — one lock,
one commit, one hash-chain extension — and hands leadership on to the next waiter. Each command
is still decided on its own (its guards ran before it saved) and answered on its own: its
recordings, or its own error.

If the group's insert fails — two commands of the group changed the same aggregate, or one
reused a key — nothing of it was stored (one transaction), and each command's events are then
stored alone, in arrival order, so only the command at fault gets the error (409 by the API's
``IntegrityError`` handler), exactly as without grouping. With one saver at a time a group is
that one save.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# Stores events in one transaction and answers their recordings, in order.
Store = Callable[[Sequence[Any]], list[Any]]


@dataclass(eq=False)
class _Save:
    events: Sequence[Any]
    done: bool = False
    recordings: list[Any] = field(default_factory=list)
    error: BaseException | None = None

    def outcome(self) -> list[Any]:
        if self.error is not None:
            raise self.error
        return self.recordings


class GroupCommit:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._changed = threading.Condition()
        self._queue: list[_Save] = []
        self._leading = False

    def save(self, events: Sequence[Any]) -> list[Any]:
        """Stores ``events`` (one command's, in one transaction with whatever else is queued
        meanwhile) and answers their recordings; raises what storing them alone would."""
        mine = _Save(events)
        with self._changed:
            self._queue.append(mine)
            while self._leading and not mine.done:
                self._changed.wait()
            if mine.done:  # a leader stored it
                return mine.outcome()
            self._leading = True
            group, self._queue = self._queue, []
        try:
            self._store_group(group)
        except BaseException as error:  # not an error of the store: tell the waiters too
            for save in group:
                if not save.done:
                    save.error, save.done = error, True
            raise
        finally:
            with self._changed:
                self._leading = False  # the next waiter leads what queued meanwhile
                self._changed.notify_all()
        return mine.outcome()

    def _store_group(self, group: list[_Save]) -> None:
        try:
            recordings = self._store([e for s in group for e in s.events])
        except Exception as error:
            if len(group) == 1:
                group[0].error = error
            else:
                for save in group:  # nothing of the group was stored: each on its own
                    try:
                        save.recordings = self._store(save.events)
                    except Exception as own:
                        save.error = own
        else:
            start = 0
            for save in group:
                save.recordings = recordings[start : start + len(save.events)]
                start += len(save.events)
        for save in group:
            save.done = True
