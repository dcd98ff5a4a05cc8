"""Saves of one phase's new records in batches: one transaction per ``size`` commands.

Used for activities only, the bulk of a ledger: every activity row creates a new aggregate and
changes nothing else, so no later command in the phase reads what an unsaved one holds (the
sheet's keys are unique, so no row replays another). Each command still runs with all its
guards; only its ``save`` is deferred to the batch's. A crash loses at most the unsaved batch,
which the next run records (the rows' keys are not yet applied).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

BATCH = 100


@contextmanager
def batched_saves(app: Any, size: int = BATCH) -> Iterator[Callable[[], None]]:
    """Within the block, ``app.save`` collects aggregates and saves ``size`` at a time (one
    transaction); the rest is saved when the block ends without an error."""
    pending: list[Any] = []
    save = app.save

    def flush() -> None:
        if pending:
            save(*pending)
            pending.clear()

    def deferred(*aggregates: Any, **kwargs: Any) -> list[Any]:
        assert not kwargs, "batched saves take aggregates only"
        pending.extend(aggregates)
        if len(pending) >= size:
            flush()
        return []

    app.save = deferred  # the instance attribute shadows the method for this block only
    try:
        yield flush
        flush()
    finally:
        del app.save
