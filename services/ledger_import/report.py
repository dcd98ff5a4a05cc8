"""The dry run's error report (CSV or XLSX: sheet, row, column, code, message in Chinese, and
the cell as typed) and the closing summary. Cells are untrusted text: a value that starts
like a formula is written as text, never as a formula (shared/reporting/cells.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from rich.console import Console
from rich.table import Table

from services.ledger_import.run import Result, RowError
from shared.reporting.cells import append_row, csv_cell

HEADER = ["工作表", "行号", "列", "级别", "代码", "说明", "单元格内容"]


def _cells(e: RowError) -> list[object]:
    return [e.sheet, e.row, e.column, e.severity, e.code, e.message, e.value]


def write_errors(path: Path, errors: list[RowError]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "错误报告"
        append_row(ws, HEADER)
        for e in errors:
            append_row(ws, _cells(e))
        wb.save(path)
        return path
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for e in errors:
            w.writerow([csv_cell(v) for v in _cells(e)])
    return path


def summary(result: Result) -> Table:
    what = "试导入（未记录）" if result.dry_run else "导入"
    rate = result.rows / result.seconds if result.seconds else 0.0
    table = Table(title=f"{what}：{result.rows} 行，用时 {result.seconds:.1f} 秒，{rate:.0f} 行/秒")
    for header in ("工作表", "读取", "记录" if not result.dry_run else "可记录", "已有", "未通过"):
        table.add_column(header, justify="right" if header != "工作表" else "left")
    if result.dry_run:
        table.add_column("仅核对引用", justify="right")
    for sheet, t in result.tallies.items():
        if not t.read:
            continue  # a template sheet left empty
        cells = [sheet, str(t.read), str(t.recorded), str(t.present), str(t.refused)]
        table.add_row(*cells, *([str(t.checked)] if result.dry_run else []))
    return table


def print_summary(result: Result, console: Console | None = None) -> None:
    console = console or Console(stderr=True)
    console.print(summary(result))
    console.print(f"文件 file SHA-256 {result.file_sha256}")
