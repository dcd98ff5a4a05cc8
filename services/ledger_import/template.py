"""The ledger templates (``python -m services import-template``): an XLSX workbook with a 说明
sheet (every column: sheet, header, required, format, allowed values in Chinese, example) and
one sheet per kind of record with its header row, in dependency order; and the same as CSV
files, one per sheet, in a directory (UTF-8 with BOM, so Excel opens the Chinese headers)."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from services.ledger_import.sheets import (
    COURSE_KIND,
    FORMATS,
    NOTES_SHEET,
    SHEETS,
    THEMES,
    Column,
    Sheet,
)
from shared.capabilities.training.application import FAMILY as TRAINING
from shared.kernel import themes
from shared.kernel.rules import Rules, load_rules

NOTES_HEADER = ["工作表", "列名", "是否必填", "格式", "可选值", "说明", "示例"]


def notes_rows(rules: Rules | None = None) -> list[list[str]]:
    rules = rules if rules is not None else load_rules()
    rows = []
    for sheet in SHEETS:
        rows.append([sheet.name, "（本表）", "", "", "", sheet.note, ""])
        for c in sheet.columns:
            rows.append(notes_row(sheet, c, rules))
    return rows


def notes_row(sheet: Sheet, c: Column, rules: Rules) -> list[str]:
    allowed = (
        vocabulary(rules)
        if c.kind == THEMES
        else course_kinds(rules)
        if c.kind == COURSE_KIND
        else c.allowed()
    )
    return [
        sheet.name,
        c.header,
        "必填" if c.required else "选填",
        FORMATS[c.kind],
        allowed,
        c.note,
        c.example,
    ]


def vocabulary(rules: Rules) -> str:
    """Every version of the theme vocabulary with the day it took effect: which names an
    activity may carry depends on its date (ADR 0019), so the clerk needs them all."""
    return "\n".join(
        f"{v.label_zh or v.version}（{v.effective_from.isoformat()} 起）："
        + "、".join(t.zh for t in themes.themes_of(v))
        for v in rules.families.get(themes.FAMILY, ())
    )


def course_kinds(rules: Rules) -> str:
    """Every version of the kinds of training course with the day it took effect (ADR 0024)."""
    return "\n".join(
        f"{v.label_zh or v.version}（{v.effective_from.isoformat()} 起）："
        + "、".join(str(k["zh"]) for k in v.parameters.get("kinds", ()))
        for v in rules.families.get(TRAINING, ())
    )


def write_xlsx(path: Path, rules: Rules | None = None) -> Path:
    wb = Workbook()
    notes = wb.active
    assert notes is not None
    notes.title = NOTES_SHEET
    notes.append(NOTES_HEADER)
    for row in notes_rows(rules):
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


def write_csv(directory: Path, rules: Rules | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / f"{NOTES_SHEET}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(NOTES_HEADER)
        w.writerows(notes_rows(rules))
    for sheet in SHEETS:
        with (directory / f"{sheet.name}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerow([c.header for c in sheet.columns])
    return directory
