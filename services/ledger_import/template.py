"""The ledger templates (``python -m services import-template``): an XLSX workbook with a 说明
sheet (every column: sheet, header, required, format, allowed values in Chinese, example) and
one sheet per kind of record with its header row, in dependency order; and the same as CSV
files, one per sheet, in a directory (UTF-8 with BOM, so Excel opens the Chinese headers)."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from services.ledger_import.sheets import FORMATS, NOTES_SHEET, SHEETS, Column, Sheet

NOTES_HEADER = ["工作表", "列名", "是否必填", "格式", "可选值", "说明", "示例"]


def notes_rows() -> list[list[str]]:
    rows = []
    for sheet in SHEETS:
        rows.append([sheet.name, "（本表）", "", "", "", sheet.note, ""])
        for c in sheet.columns:
            rows.append(notes_row(sheet, c))
    return rows


def notes_row(sheet: Sheet, c: Column) -> list[str]:
    return [
        sheet.name,
        c.header,
        "必填" if c.required else "选填",
        FORMATS[c.kind],
        c.allowed(),
        c.note,
        c.example,
    ]


def write_xlsx(path: Path) -> Path:
    wb = Workbook()
    notes = wb.active
    assert notes is not None
    notes.title = NOTES_SHEET
    notes.append(NOTES_HEADER)
    for row in notes_rows():
        notes.append(row)
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        ws.append([c.header for c in sheet.columns])
        for cell, c in zip(ws[1], sheet.columns, strict=True):
            cell.font = Font(bold=True, color="C00000" if c.required else "000000")
            ws.column_dimensions[cell.column_letter].width = max(12, 2 * len(c.header) + 4)
        ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_csv(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / f"{NOTES_SHEET}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(NOTES_HEADER)
        w.writerows(notes_rows())
    for sheet in SHEETS:
        with (directory / f"{sheet.name}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerow([c.header for c in sheet.columns])
    return directory
