"""Streams a ledger's rows: an XLSX workbook (openpyxl ``read_only``) or CSV files, one per
sheet (a directory of ``组织.csv`` …, or one such file). Memory stays flat: rows are read as
they are checked, never the whole workbook at once.

Row numbers are the spreadsheet's (the header is row 1), so an error names the row a clerk
sees. A workbook's own formulas are never evaluated: openpyxl hands the formula text, which
is data like any other text (ADR 0020).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from services.ledger_import.sheets import BY_NAME, NOTES_SHEET, SHEETS, Sheet


@dataclass(frozen=True)
class RawRow:
    sheet: Sheet
    number: int  # spreadsheet row number (header = 1)
    cells: dict[str, Any]  # header → raw value
    unknown: tuple[str, ...] = ()  # headers this sheet does not have
    missing: tuple[str, ...] = ()  # required headers the file lacks


def file_sha256(path: Path) -> str:
    """The ledger's fingerprint: the file's SHA-256, or of a directory's CSV files in order."""
    digest = hashlib.sha256()
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            digest.update(f.name.encode() + b"\0")
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), or GB 18030 (what Excel saves a CSV as on Chinese Windows):
    decided from the first 64 KiB, so the file is still read as a stream."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 3:  # not just a character cut at the end of the sample
            return "gb18030"
    return "utf-8-sig"


class Ledger:
    """The sheets of one ledger file, in dependency order, each read as a row stream."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sha256 = file_sha256(path)
        self.csv = path.is_dir() or path.suffix.lower() == ".csv"
        self._book: Any = None  # opened once: each opening parses the shared strings again

    def _workbook(self) -> Any:
        if self._book is None:
            self._book = load_workbook(self.path, read_only=True)
        return self._book

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None

    def sheets(self) -> list[Sheet]:
        """The known sheets the ledger has (others, and the 说明 sheet, are ignored)."""
        return [s for s in SHEETS if s.name in self._names()]

    def unknown_sheets(self) -> list[str]:
        return [n for n in self._names() if n not in BY_NAME and n != NOTES_SHEET]

    def _names(self) -> list[str]:
        if self.csv:
            files = sorted(self.path.glob("*.csv")) if self.path.is_dir() else [self.path]
            return [f.stem for f in files]
        return list(self._workbook().sheetnames)

    def count(self, sheet: Sheet) -> int | None:
        """Rows below the header as the workbook records its size (for the progress bar);
        None for CSV files, or a workbook that does not say."""
        if self.csv:
            return None
        rows = self._workbook()[sheet.name].max_row
        return rows - 1 if rows else None

    def rows(self, sheet: Sheet) -> Iterator[RawRow]:
        rows = self._csv_rows(sheet) if self.csv else self._xlsx_rows(sheet)
        header: list[str] | None = None
        unknown: tuple[str, ...] = ()
        missing: tuple[str, ...] = ()
        known = {c.header for c in sheet.columns}
        for number, values in enumerate(rows, 1):
            if header is None:
                header = [str(v).strip() if v is not None else "" for v in values]
                unknown = tuple(h for h in header if h and h not in known)
                missing = tuple(
                    c.header for c in sheet.columns if c.required and c.header not in header
                )
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue  # blank lines between blocks of rows are layout, not records
            cells = {h: v for h, v in zip(header, values, strict=False) if h in known}
            yield RawRow(sheet, number, cells, unknown, missing)

    def _csv_rows(self, sheet: Sheet) -> Iterator[list[Any]]:
        path = self.path / f"{sheet.name}.csv" if self.path.is_dir() else self.path
        with path.open(encoding=csv_encoding(path), newline="") as fh:
            for row in csv.reader(fh):
                yield [v if v != "" else None for v in row]

    def _xlsx_rows(self, sheet: Sheet) -> Iterator[list[Any]]:
        for row in self._workbook()[sheet.name].iter_rows(values_only=True):
            yield list(row)
