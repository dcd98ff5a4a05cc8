"""Division-code prefixes as ranges: ``code >= lo AND code < hi`` instead of ``LIKE 'p%'``.

A prefix ``LIKE`` can use a btree index only under the C collation (PostgreSQL) or with
``case_sensitive_like`` (SQLite); on a database created with any other collation every report
query scanned its whole table. Division codes are digits of fixed length per tier, and a range
over digit strings is served by the ordinary index under any collation: ``330699001%`` is
``['330699001', '330699002')`` (ADR 0030).
"""

from __future__ import annotations


def span(pattern: str) -> tuple[str, str]:
    """``[lo, hi)`` holding exactly the codes ``LIKE pattern`` matches, for a pattern that is a
    prefix followed by ``%`` or a whole code (the patterns of ``Jurisdiction.patterns``)."""
    prefix = pattern.removesuffix("%")
    if "%" in prefix or "_" in prefix:
        raise ValueError(f"not a code prefix: {pattern!r}")
    if not prefix:
        return "", "\U0010ffff"
    if prefix.isdigit() and prefix.strip("9"):
        # The next prefix of the same length: digit strings order the same in every collation.
        return prefix, str(int(prefix) + 1).zfill(len(prefix))
    # Other codes (never a division's): the next string in binary order.
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def within(column: str) -> str:
    """The predicate for :func:`span`'s two parameters."""
    return f"{column} >= %s AND {column} < %s"
