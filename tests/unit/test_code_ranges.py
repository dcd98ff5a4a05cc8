"""Division-code prefix patterns as ranges (ADR 0030): the range holds exactly the codes the
``LIKE`` pattern matched, in any collation that orders digits as digits."""

from __future__ import annotations

import sqlite3

import pytest

from shared.reporting.ranges import span, within

CODES = [
    "330699000000",
    "330699001000",
    "330699001001",
    "330699001099",
    "330699001999",
    "330699002000",
    "330699002001",
    "330698999999",
    "330700000000",
    "339999001001",
    "340000000000",
]


@pytest.mark.parametrize(
    "pattern",
    ["330699%", "330699001%", "330699001001", "330699002%", "339999%", "999999%", "%"],
)
def test_a_range_holds_exactly_what_the_pattern_matched(pattern: str) -> None:
    lo, hi = span(pattern)
    db = sqlite3.connect(":memory:")
    db.execute("PRAGMA case_sensitive_like = ON")
    db.execute("CREATE TABLE t (code TEXT)")
    db.executemany("INSERT INTO t VALUES (?)", [(c,) for c in CODES])
    liked = db.execute("SELECT code FROM t WHERE code LIKE ? ORDER BY 1", (pattern,)).fetchall()
    ranged = db.execute(
        f"SELECT code FROM t WHERE {within('code').replace('%s', '?')} ORDER BY 1", (lo, hi)
    ).fetchall()
    assert ranged == liked


def test_digit_prefixes_end_at_the_next_prefix_of_the_same_length() -> None:
    assert span("330699001%") == ("330699001", "330699002")
    assert span("330699009%") == ("330699009", "330699010")
    assert span("330699001001") == ("330699001001", "330699001002")


def test_a_pattern_with_inner_wildcards_is_refused() -> None:
    with pytest.raises(ValueError):
        span("3306_9%")
