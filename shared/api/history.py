"""The tier's audit history (shared/audit/history.py, ADR 0031), as the report and audit routes
use it: one file per tier in the data directory, over the stores the projector reads."""

from __future__ import annotations

from shared.audit.history import AuditHistory, history_at
from shared.infrastructure.projector import SourceReader
from shared.tier.runtime import TierRuntime


def history_of(runtime: TierRuntime, sources: SourceReader) -> AuditHistory:
    path = runtime.settings.data_dir / f"{runtime.tier}-audit-history.db"
    return history_at(path, sources, runtime.jurisdiction.county.code)
