"""The tier's audit history (shared/audit/history.py, ADR 0031), as the report and audit routes
use it: one file per tier in the data directory, over the stores the projector reads."""

from __future__ import annotations

import logging
import threading

from shared.audit.history import AuditHistory, history_at
from shared.infrastructure.projector import SourceReader
from shared.tier.runtime import TierRuntime

log = logging.getLogger("sanji.audit")


def history_of(runtime: TierRuntime, sources: SourceReader) -> AuditHistory:
    path = runtime.settings.data_dir / f"{runtime.tier}-audit-history.db"
    return history_at(path, sources, runtime.jurisdiction.county.code)


def keep_up(runtime: TierRuntime, stop: threading.Event) -> threading.Thread | None:
    """A thread catching the tier's audit history up every ``SANJI_AUDIT_HISTORY_SECONDS``
    until ``stop``: requests then find it at most that old and catch up only the rest.
    None if off, or if this process cannot read the stores."""
    every = runtime.settings.audit_history_seconds
    sources = runtime.projector.sources
    if every <= 0 or sources is None:
        return None
    history = history_of(runtime, sources)

    def loop() -> None:
        while not stop.is_set():
            try:
                history.catch_up()
            except Exception:  # a store unreachable for a while: try again next period
                log.exception("%s audit history: catch-up failed", runtime.tier)
            stop.wait(every)

    thread = threading.Thread(target=loop, name=f"{runtime.tier}-audit-history", daemon=True)
    thread.start()
    return thread
