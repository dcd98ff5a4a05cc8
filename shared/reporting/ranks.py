"""Competition ranks (1, 2, 2, 4), shared by the assessment scorecard and the points ranking:
a rank is 1 + how many values are strictly greater, so equal values share a rank."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence


def competition_ranks(values: Sequence[float | None]) -> list[int | None]:
    """Each value's rank among the others (None has no rank and counts for nothing). Sorted
    once and searched, so a county's thousands of volunteers cost n log n, not n²."""
    ordered = sorted(v for v in values if v is not None)
    return [None if v is None else 1 + len(ordered) - bisect_right(ordered, v) for v in values]
