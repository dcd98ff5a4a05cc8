"""Group commit (shared/infrastructure/group_commit.py) with a fake store: concurrent saves
share stores, each saver gets its own recordings or its own error."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from shared.infrastructure.group_commit import GroupCommit


class Conflict(Exception):
    pass


class SlowStore:
    """Stores events in calls that take a while (as a commit does) and refuses any call that
    holds an event marked ``bad`` (as a version conflict refuses the whole transaction)."""

    def __init__(self) -> None:
        self.calls: list[list[Any]] = []
        self.stored: list[Any] = []
        self.lock = threading.Lock()

    def __call__(self, events: Sequence[Any]) -> list[Any]:
        time.sleep(0.01)
        with self.lock:
            self.calls.append(list(events))
            if any(str(e).startswith("bad") for e in events):
                raise Conflict(str(events))
            self.stored += events
            return [f"recorded:{e}" for e in events]


def run_concurrently(group: GroupCommit, batches: list[list[str]]) -> list[Any]:
    results: list[Any] = [None] * len(batches)
    start = threading.Barrier(len(batches))

    def saver(i: int) -> None:
        start.wait()
        try:
            results[i] = group.save(batches[i])
        except Exception as e:
            results[i] = e

    threads = [threading.Thread(target=saver, args=(i,)) for i in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    return results


def test_concurrent_saves_share_transactions_and_each_gets_its_own_recordings() -> None:
    store = SlowStore()
    batches = [[f"e{i}a", f"e{i}b"] for i in range(16)]
    results = run_concurrently(GroupCommit(store), batches)
    assert results == [[f"recorded:{e}" for e in b] for b in batches]
    assert sorted(store.stored) == sorted(e for b in batches for e in b)
    assert len(store.calls) < len(batches)  # grouped: fewer transactions than saves
    for call in store.calls:  # a command's events are never split between transactions
        assert all(f"{e[:-1]}b" in call for e in call if e.endswith("a"))


def test_a_conflict_in_a_group_fails_only_the_command_at_fault() -> None:
    store = SlowStore()
    batches = [[f"ok{i}"] for i in range(8)] + [["bad"]]
    results = run_concurrently(GroupCommit(store), batches)
    assert isinstance(results[-1], Conflict)
    assert results[:-1] == [[f"recorded:ok{i}"] for i in range(8)]
    assert sorted(store.stored) == sorted(f"ok{i}" for i in range(8))


def test_one_saver_is_one_store_and_its_error_is_its_own() -> None:
    store = SlowStore()
    group = GroupCommit(store)
    assert group.save(["x"]) == ["recorded:x"]
    with pytest.raises(Conflict):
        group.save(["bad"])
    assert store.calls == [["x"], ["bad"]]
    assert group.save(["y"]) == ["recorded:y"]  # leadership was handed back


def test_a_leader_stopped_by_a_non_store_error_tells_the_waiters() -> None:
    entered, release = threading.Event(), threading.Event()

    def store(events: Sequence[Any]) -> list[Any]:
        if "first" in events:
            entered.set()
            release.wait(5)
            return ["recorded:first"]
        raise KeyboardInterrupt  # not an Exception: the leader stops

    group = GroupCommit(store)
    first = threading.Thread(target=group.save, args=(["first"],))
    first.start()
    entered.wait(5)
    outcome: list[BaseException] = []

    def waiter() -> None:
        try:
            group.save(["second"])
        except BaseException as e:  # noqa: BLE001 - the test looks at what arrives
            outcome.append(e)

    others = [threading.Thread(target=waiter) for _ in range(3)]
    for t in others:
        t.start()
    deadline = time.monotonic() + 5
    while len(group._queue) < 3 and time.monotonic() < deadline:  # all three wait behind it
        time.sleep(0.001)
    assert len(group._queue) == 3
    release.set()
    for t in [first, *others]:
        t.join(timeout=5)
    assert len(outcome) == 3 and all(isinstance(e, KeyboardInterrupt) for e in outcome)
