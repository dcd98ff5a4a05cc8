"""``python -m services import-template`` and ``python -m services import FILE [--dry-run]``."""

from __future__ import annotations

import argparse
import sys
import zipfile
from contextlib import closing
from pathlib import Path

from openpyxl.utils.exceptions import InvalidFileException
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from services.ledger_import.reader import Ledger
from services.ledger_import.report import print_summary, write_errors
from services.ledger_import.run import ERROR, Import, Result
from services.ledger_import.template import write_csv, write_xlsx
from shared.infrastructure.settings import Settings
from shared.kernel.rules import load_rules


def add_arguments(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tpl = sub.add_parser(
        "import-template", help="write the ledger templates (XLSX, and CSV files per sheet)"
    )
    tpl.add_argument("--out", default="台账模板.xlsx", help="the XLSX template to write")
    tpl.add_argument("--csv", default="台账模板-csv", help="directory for the CSV templates")
    imp = sub.add_parser(
        "import", help="check (--dry-run) or import a county's ledger (XLSX or CSV files)"
    )
    imp.add_argument("file", help="ledger .xlsx, a sheet's .csv, or a directory of .csv files")
    imp.add_argument("--dry-run", action="store_true", help="check every row, record nothing")
    imp.add_argument("--report", help="error report (.csv or .xlsx; default: <file>-错误报告.csv)")


def template(settings: Settings, args: argparse.Namespace) -> int:
    # The 说明 sheet lists the county's own theme vocabulary (its rules file, ADR 0019).
    rules = load_rules(settings.rules_file)
    xlsx, directory = write_xlsx(Path(args.out), rules), write_csv(Path(args.csv), rules)
    print(f"[sanji] 台账模板 ledger templates: {xlsx}  {directory}/", file=sys.stderr)
    return 0


def run(settings: Settings, args: argparse.Namespace) -> int:
    from services.init import initialise
    from services.platform import Platform

    path = Path(args.file)
    if not path.exists():
        print(f"[sanji] 找不到文件 no such file: {path}", file=sys.stderr)
        return 2
    try:
        with closing(Ledger(path)) as ledger:
            ledger.sheets()  # an unreadable file is one line, not a traceback
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, InvalidFileException) as e:
        print(f"[sanji] 无法读取台账文件 cannot read the ledger {path}: {e}", file=sys.stderr)
        return 2
    if settings.persistence == "postgres" or settings.transport == "kafka":
        initialise(settings, say=False)  # as embedded does: safe to repeat
    platform = Platform.build(settings)
    try:
        result = run_import(platform, path, args.dry_run)
    finally:
        platform.stop()
    report = Path(args.report) if args.report else path.with_name(f"{path.stem}-错误报告.csv")
    if result.errors:
        write_errors(report, result.errors)
        print(f"[sanji] 错误报告 error report: {report}", file=sys.stderr)
    print_summary(result)
    return 1 if any(e.severity == ERROR for e in result.errors) else 0


def run_import(platform: object, path: Path, dry_run: bool) -> Result:
    """The import with a progress bar per sheet and step (on stderr)."""
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} 行"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def progress(label: str, done: int, total: int | None, ended: bool) -> None:
            if total == 0:
                return  # a template sheet left empty: no bar
            if label not in tasks:
                tasks[label] = bars.add_task(label, total=total)
            if ended:
                bars.update(tasks[label], completed=done, total=done)
            elif done % 50 == 0:
                bars.update(tasks[label], completed=done)

        return Import(platform, path, dry_run, progress=progress).run()
