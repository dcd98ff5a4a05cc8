"""Old uploads removed (issue 14 leftovers, ADR 0020 addendum): an uploaded ledger and its
dry run's and import's results are kept under ``<data dir>/ledger-uploads/<sha256>/`` for the
confirmation and the error reports, then deleted after ``SANJI_LEDGER_UPLOAD_DAYS`` days —
at the county service's start and after each import. Nothing recorded is lost: the imported
events name the file by its hash (``Meta.imported``), not by this copy.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

DAY = 86_400.0


def remove_old_uploads(root: Path, days: int, now: float | None = None) -> list[str]:
    """Delete the upload folders (and stray partial uploads) whose newest file is older than
    ``days``; answer the names removed. A running import's marker (progress.py) is written
    when it starts, so its folder is never that old; an interrupted one goes with the rest."""
    if not root.is_dir():
        return []
    cutoff = (time.time() if now is None else now) - days * DAY
    removed = []
    for entry in root.iterdir():
        if entry.is_dir():
            files = [p for p in entry.iterdir() if p.is_file()]
            newest = max((p.stat().st_mtime for p in files), default=entry.stat().st_mtime)
            if newest < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
        elif entry.name.startswith(".upload-") and entry.stat().st_mtime < cutoff:
            entry.unlink(missing_ok=True)  # an upload cut off while it was copied
            removed.append(entry.name)
    return removed
