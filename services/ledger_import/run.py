"""A ledger import or dry run: sheets in dependency order, rows streamed, checked, recorded.

The import is a list of phases (a sheet and a step of it); the tiers are drained after each
phase, because a tier learns another tier's facts from its read model (the township files
what the village's application told it). A sheet with several steps (组织: the village's
application, the township's filing, the county's registration) is read once per step.

A **dry run** records the same commands into a scratch platform in memory (same jurisdiction,
rules, calendar and clock) so that every row meets the domain rules it would meet, and the
real stores are only read: for keys the file does not define, and to count what is already
present. Rows that depend on records outside the file are checked up to the reference.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from services.ledger_import.bulk import CHUNK, Chunk, batched, chunks_of
from services.ledger_import.cells import CellError, parse
from services.ledger_import.reader import Ledger, RawRow
from services.ledger_import.recorder import (
    Outcome,
    OutsideReference,
    Recorder,
    Row,
    RowRefused,
    import_actors,
)
from services.ledger_import.sheets import BY_KIND, Sheet
from shared.kernel.jurisdiction import Tier
from shared.reporting.cells import formula_like

ERROR, WARNING = "错误", "提示"

# (sheet kind, recorder method) in dependency order; the tiers are drained between phases.
PHASES: tuple[tuple[str, str], ...] = (
    ("divisions", "divisions"),
    ("organisations", "organisation_apply"),
    ("organisations", "organisation_file"),
    ("organisations", "organisation_register"),
    ("charters", "charters"),
    ("platforms", "platforms"),
    ("annual_reports", "annual_reports"),
    ("ratings", "ratings"),
    ("calls", "calls"),
    ("budgets", "budgets"),
    ("inspections", "inspections"),
    ("volunteers", "volunteers"),
    ("activities", "activities"),
    ("projects", "project_apply"),
    ("projects", "project_review"),
    ("tranches", "tranches"),
    ("evaluations", "evaluations"),
    ("closures", "closures"),
    ("courses", "courses"),
    ("attendance", "attendance"),
)


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    code: str
    message: str  # 中文
    value: str = ""
    severity: str = ERROR


@dataclass
class Tally:
    read: int = 0
    recorded: int = 0  # rows that recorded at least one act
    present: int = 0  # rows found recorded already (nothing new)
    refused: int = 0
    checked: int = 0  # dry run: rows on records outside the file, checked up to the reference


@dataclass
class Result:
    file_sha256: str
    dry_run: bool
    tallies: dict[str, Tally] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def refused(self) -> int:
        return sum(t.refused for t in self.tallies.values())

    @property
    def rows(self) -> int:
        return sum(t.read for t in self.tallies.values())


# Rows recorded between two drains within a phase: well inside the transport's retention.
DRAIN_EVERY = 5_000
# (label of the phase, rows done in it, rows in the sheet if known, whether the phase ended)
Progress = Callable[[str, int, int | None, bool], None]
STEPS = {  # the label of a sheet's step, where a sheet has several
    "organisation_apply": "组织·申请",
    "organisation_file": "组织·备案",
    "organisation_register": "组织·登记",
    "project_apply": "资助项目·申报",
    "project_review": "资助项目·评审",
}


class Import:
    """One import (or dry run) of one ledger file into ``platform``; :meth:`run` answers the
    tallies and row errors."""

    def __init__(
        self,
        platform: Any,
        path: Path,
        dry_run: bool = False,
        progress: Progress | None = None,
        after_record: Callable[[], None] | None = None,
    ) -> None:
        self.target = platform
        self.ledger = Ledger(path)
        self.dry_run = dry_run
        self.progress = progress
        self.after_record = after_record
        self.result = Result(self.ledger.sha256, dry_run)
        self.refused: dict[str, set[int]] = {}  # sheet → rows refused (skipped in later steps)
        self.keys: dict[str, dict[tuple[Any, ...], int]] = {}  # sheet → ledger key → row
        # sheet → row → "recorded" | "present": a row of several steps counts once.
        self.seen: dict[str, dict[int, str]] = {}

    def run(self) -> Result:
        started = time.perf_counter()
        with self._platform() as platform, closing(self.ledger):
            actors = import_actors(platform)  # a dry run opens it in its scratch stores
            recorder = Recorder(
                platform,
                self.ledger.sha256,
                actors,
                self.target.settings.backdate_days,
                after_record=self.after_record,
                outside=self.target if self.dry_run else None,
            )
            for name in self.ledger.unknown_sheets():
                self._error(name, 0, "", "unknown_sheet", f"未知的工作表“{name}”，已忽略", WARNING)
            present = {s.kind for s in self.ledger.sheets()}
            first: set[str] = set()
            for kind, step in PHASES:
                if kind not in present:
                    continue
                sheet = BY_KIND[kind]
                with chunks_of(platform) as chunks:
                    self._phase(recorder, chunks, sheet, step, sheet.kind not in first)
                first.add(sheet.kind)
                platform.drain()
        self.result.seconds = time.perf_counter() - started
        return self.result

    @contextmanager
    def _platform(self) -> Iterator[Any]:
        if not self.dry_run:
            yield self.target
            return
        from services.ledger_import.scratch import scratch_platform

        scratch = scratch_platform(self.target)
        try:
            yield scratch
        finally:
            scratch.stop()

    def _phase(
        self, recorder: Recorder, chunks: dict[Tier, Chunk], sheet: Sheet, step: str, first: bool
    ) -> None:
        tally = self.result.tallies.setdefault(sheet.name, Tally())
        refused = self.refused.setdefault(sheet.name, set())
        method = getattr(recorder, step)
        label, total = STEPS.get(step, sheet.name), self.ledger.count(sheet)
        done = 0
        if self.progress is not None:
            self.progress(label, 0, total, False)
        for raws in batched(self.ledger.rows(sheet), CHUNK):
            parsed: list[tuple[RawRow, Row]] = []
            for raw in raws:
                if first:
                    tally.read += 1
                if raw.number in refused:
                    continue
                row = self._parse(raw, first)
                if row is None:
                    self._refuse(recorder, raw, refused, tally)
                else:
                    parsed.append((raw, row))
            # The chunk's reads in a few queries, its saves in one transaction (bulk.py).
            recorder.prefetch(step, [row for _, row in parsed], chunks)
            for raw, row in parsed:
                self._record(recorder, method, raw, row, refused, tally)
            for chunk in chunks.values():
                chunk.flush()
            done += len(raws)
            if done % DRAIN_EVERY < CHUNK:
                # Relay and project as the phase goes: a broker keeps a bounded log (the embedded
                # one the last 20,000 records a topic), and events it no longer holds are caught
                # up from the stores one by one, far slower than projected in batches.
                recorder.platform.drain()
            if self.progress is not None:
                self.progress(label, done, total, False)
        if self.progress is not None:
            self.progress(label, done, total, True)

    def _record(
        self,
        recorder: Recorder,
        method: Callable[[Row], None],
        raw: RawRow,
        row: Row,
        refused: set[int],
        tally: Tally,
    ) -> None:
        before = replace(recorder.outcome)
        recorder.outside_ref = False
        try:
            method(row)
        except OutsideReference:
            refused.add(raw.number)  # nothing more to check in this run
            tally.checked += 1
            return
        except RowRefused as e:
            self._refuse(recorder, raw, refused, tally)
            # The cell the refusal names, as the clerk typed it (the code, the key), so the
            # report shows what to correct beside why.
            value = raw.cells.get(e.column, "") if e.column else ""
            self._error(raw.sheet.name, raw.number, e.column, e.code, e.message, value)
            return
        self._count(
            tally, self.seen.setdefault(raw.sheet.name, {}), raw.number, before, recorder.outcome
        )

    def _refuse(self, recorder: Recorder, raw: RawRow, refused: set[int], tally: Tally) -> None:
        refused.add(raw.number)
        tally.refused += 1
        if raw.sheet.kind == "organisations":  # rows that refer to it are refused by name
            key = raw.cells.get(raw.sheet.column("org").header)
            if key is not None:
                recorder.refused_orgs.add(str(key).strip())

    @staticmethod
    def _count(
        tally: Tally, seen: dict[int, str], number: int, before: Outcome, after: Outcome
    ) -> None:
        # A row counts once however many steps it has: recorded if any step recorded.
        state = seen.get(number)
        if after.recorded > before.recorded:
            if state == "present":
                tally.present -= 1
            if state != "recorded":
                tally.recorded += 1
            seen[number] = "recorded"
        elif after.present > before.present and state is None:
            tally.present += 1
            seen[number] = "present"

    def _parse(self, raw: RawRow, first: bool) -> Row | None:
        sheet, values, ok = raw.sheet, {}, True
        if first and raw.number == 2:
            for header in raw.unknown:
                msg = f"未知的列“{header}”，已忽略"
                self._error(sheet.name, 1, header, "unknown_column", msg, severity=WARNING)
            for header in raw.missing:
                msg = f"缺少必填列“{header}”，本表各行均不能导入"
                self._error(sheet.name, 1, header, "missing_column", msg)
        if raw.missing:
            return None  # said once for the sheet, not once per row
        for column in sheet.columns:
            value = raw.cells.get(column.header)
            try:
                values[column.key] = parse(column, value)
            except CellError as e:
                ok = False
                if first:
                    self._error(sheet.name, raw.number, column.header, e.code, e.message, value)
                continue
            if first and isinstance(value, str) and formula_like(value.strip()):
                self._error(
                    sheet.name,
                    raw.number,
                    column.header,
                    "formula_like_text",
                    "以 = + - @ 开头的内容按文本导入，不作为公式",
                    value,
                    WARNING,
                )
        if not ok:
            return None
        key = tuple(values[k] for k in sheet.key)
        seen = self.keys.setdefault(sheet.name, {})
        if seen.setdefault(key, raw.number) != raw.number:
            if first:
                headers = "、".join(sheet.column(k).header for k in sheet.key)
                self._error(
                    sheet.name,
                    raw.number,
                    sheet.column(sheet.key[0]).header,
                    "duplicate_key",
                    f"{headers}与第 {seen[key]} 行重复",
                )
            return None
        return Row(sheet, raw.number, values)

    def _error(
        self,
        sheet: str,
        row: int,
        column: str,
        code: str,
        message: str,
        value: Any = "",
        severity: str = ERROR,
    ) -> None:
        text = "" if value is None else str(value)
        self.result.errors.append(RowError(sheet, row, column, code, message, text, severity))
