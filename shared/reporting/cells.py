"""Spreadsheet cells that are only ever data (issue 12).

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return can run as a
formula when a CSV is opened in a spreadsheet (OWASP "CSV injection"): a group named
``=HYPERLINK("http://…","点击查看")`` would become a live link. CSV cells get the OWASP prefix,
a single quote; XLSX cells are stored as text with Excel's own quote prefix, so the sheet shows
the name as typed and never evaluates it. Plain numbers (``-3``, ``+1.5%``) are left alone.

Stored strings come from events, which may predate the input checks: characters no workbook
(XML 1.0) or UTF-8 can hold are replaced with U+FFFD, so an export never fails on them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d[\d,]*(\.\d+)?%?")
# openpyxl's ILLEGAL_CHARACTERS_RE, plus lone surrogates (not encodable as UTF-8).
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def storable(text: str) -> str:
    return _UNSTORABLE.sub("\ufffd", text)


def formula_like(text: str) -> bool:
    return text.startswith(FORMULA_LEADS) and not _NUMBER.fullmatch(text)


def csv_cell(value: object) -> object:
    if not isinstance(value, str):
        return value
    text = storable(value)
    return "'" + text if formula_like(text) else text


def append_row(ws: Any, values: Sequence[object]) -> None:
    """``ws.append`` for untrusted text: cleaned, and formula-like text stored as text."""
    row = [storable(v) if isinstance(v, str) else v for v in values]
    ws.append(row)
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and formula_like(cell.value):
            cell.data_type = "s"  # openpyxl would otherwise write "=…" as a formula
            cell.quotePrefix = True
