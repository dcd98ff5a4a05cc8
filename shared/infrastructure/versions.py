"""Division versions: the read model's cache key for a division's counters.

A projection that changes what a division counts moves the version of the division and of its
ancestors in the same transaction (``touch``), so cached counters (shared/reporting/counters.py)
are known stale. Every capability's projection may call it; it names no capability, so it lives
here rather than in the tier read model (which imports the capabilities' projections, so a
projection importing it back was a cycle).
"""

from __future__ import annotations

from shared.infrastructure.store import Tx

__all__ = ["touch"]


def touch(tx: Tx, *codes: str) -> None:
    """Move the version of divisions and of their ancestors: their cached counters are stale."""
    levels = {c for code in codes for c in (code, code[:9] + "000", code[:6] + "000000")}
    for level in sorted(levels):  # one lock order
        tx.write(
            "INSERT INTO division_version (code, version) VALUES (%s, 1) ON CONFLICT (code)"
            " DO UPDATE SET version = division_version.version + 1",
            (level,),
        )
