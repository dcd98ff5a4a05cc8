"""Report exports: CSV and XLSX with Chinese headers, JSON, and generic list exports.

A report (the ``DivisionReport`` that ``shared.reporting.report.division_report`` builds and
the API serves; read by attribute, so a renamed field fails type-checking here) is laid out "metrics down, divisions across": one row per catalogued figure, one column for the
division itself and one per child division. Every label, unit, group name and definition comes
from ``shared.reporting.catalogue``; nothing here names a figure on its own.

Values are int, float or None. None is a rate whose denominator is zero: an empty cell in CSV
and XLSX ("—" in HTML). Figures of unit ``ratio`` are 0–1 fractions, shown as percentages.
Keys a report carries that the catalogue does not define (parameters echoed next to the
figures, such as ``zombies.window_months``) are not figures and are left out of the table.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from shared.kernel.rules import COVERAGE_DEFAULTS
from shared.reporting.catalogue import (
    GROUPS,
    METRICS,
    MONEY_UNITS,
    THEME_FIGURES,
    Group,
    Metric,
    flatten,
    lookup,
)
from shared.reporting.cells import append_row, csv_cell
from shared.reporting.model import DivisionLine, DivisionReport, OrganisationLine, canonical
from shared.reporting.zh import VALUES, parameter_name

__all__ = [
    "DIVISION_SUFFIX",
    "display_unit",
    "division_figures",
    "division_name",
    "division_text",
    "divisions",
    "format_value",
    "metric_keys",
    "period_text",
    "report_csv",
    "report_json",
    "report_table",
    "report_title",
    "report_xlsx",
    "rule_families",
    "version_text",
    "coverage_text",
    "table_csv",
    "table_xlsx",
    "theme_table",
    "tier_text",
    "watermark_text",
    "zh_date",
]

BOM = "\ufeff"
DIVISION_SUFFIX = "（本级合计）"
LIST_SEPARATOR = "；"
# A figure whose rule was not in force (issue 12; the report's ``not_applicable`` map).
NOT_APPLICABLE = "不适用 / not applicable"
FIXED_HEADERS = ["分组 Group", "指标 Metric", "单位 Unit", "可加 Additive"]

# Display forms of the catalogue's non-Chinese units (the catalogue keeps the canonical unit).
_UNIT_DISPLAY = {"ratio": "%", "score": "分（0–100）", "average": "平均数", "per 10,000": "每万人"}
# Families no figure of the catalogue depends on by name (``rules``), named here.
_FAMILY_ZH = {
    "activity_themes": "活动主题",
    "training": "培训班类别",
    "third_party_evaluation": "第三方评估类别",
}
BY_THEME_TITLE = "按活动主题 By theme"
THEME_HEADERS = ["主题代码 Code", "活动主题 Theme", "停用日期 Retired on"]
_TIER_ZH = {"county": "县级", "township": "乡镇（街道）级", "village": "村（社区）级"}
_PERCENT_FORMAT = "0.0%"
_MONEY_FORMAT = "#,##0.00"
_DECIMAL_FORMAT = "0.00"


# ------------------------------------------------------------------ shared helpers


# A column of the report table: the division itself, or one of its drill-down lines.
Column = DivisionReport | DivisionLine | OrganisationLine


def divisions(report: DivisionReport) -> list[Column]:
    """The division itself, then its children, each with a name and ``figures``."""
    return [report, *report.children]


def division_name(d: Column) -> str:
    """A column's name: the report's own division, a child division, or an organisation of a
    village report (its name, or its id when it has none)."""
    if isinstance(d, DivisionReport):
        return d.division.name or d.division.code
    if isinstance(d, DivisionLine):
        return d.name or d.code
    return d.name or d.org_id


def division_figures(d: Column) -> dict[str, object]:
    figures: dict[str, object] = dict(d.figures)
    return flatten(figures)


def _catalogued(key: str) -> Metric | None:
    try:
        return lookup(key)
    except KeyError:
        return None


def _family_pattern(key: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(key).replace(r"\*", r"[^.]+") + "$")


def metric_keys(report: DivisionReport) -> list[str]:
    """Concrete keys present in the report (in any division), in catalogue order.

    Groups in ``GROUPS`` order, figures in ``METRICS`` order; a ``*`` family expands to the
    concrete keys the report carries, sorted.
    """
    present: set[str] = set()
    for d in divisions(report):
        present.update(division_figures(d))
    keys: list[str] = []
    for group in GROUPS:
        for m in METRICS:
            if m.group != group.key:
                continue
            if "*" in m.key:
                pattern = _family_pattern(m.key)
                keys += sorted(k for k in present if pattern.match(k))
            elif m.key in present:
                keys.append(m.key)
    return keys


def _group(key: str) -> Group:
    head = key.split(".", 1)[0]
    return next(g for g in GROUPS if g.key == head)


def display_unit(unit: str) -> str:
    return _UNIT_DISPLAY.get(unit, unit)


def format_value(value: object, unit: str, *, blank: str = "", grouping: bool = False) -> str:
    """A figure as text: ratios as percentages (1 decimal), money and decimals with 2 places."""
    if value is None:
        return blank
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        sep = "," if grouping else ""
        if unit == "ratio":
            return f"{value * 100:.1f}%"
        if isinstance(value, int):
            return f"{value:{sep}d}"
        if value.is_integer() and unit not in _UNIT_DISPLAY and unit not in MONEY_UNITS:
            return f"{int(value):{sep}d}"  # a count that arrived as a float
        return f"{value:{sep}.2f}"
    return str(value)


def zh_date(text: object) -> str:
    """ "2026-06-30" → "2026年6月30日" (other text unchanged)."""
    try:
        d = date.fromisoformat(str(text))
    except ValueError:
        return str(text)
    return f"{d.year}年{d.month}月{d.day}日"


def report_title(report: DivisionReport) -> str:
    return f"{division_name(report)} 社区社会组织发展情况报告"


def tier_text(tier: object) -> str:
    return _TIER_ZH.get(str(tier), str(tier or ""))


def period_text(report: DivisionReport, *, chinese_dates: bool = False) -> str:
    period = report.period
    fmt = zh_date if chinese_dates else str
    text = f"{fmt(period.from_)} 至 {fmt(period.to)}"
    label = period.label
    return f"{text}（{label}）" if label else text


def _format_parameter(value: object) -> object:
    if isinstance(value, int | float | str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def rule_families(report: DivisionReport) -> list[dict[str, Any]]:
    """Each rule family the report used: key, Chinese name (from the catalogue), version, ….

    The Chinese name is that of the group whose figures depend on the family.
    """
    out: list[dict[str, Any]] = []
    for family, spec in report.rules.items():
        group = next((_group(m.key) for m in METRICS if family in m.rules), None)
        out.append(
            {
                "family": family,
                "zh": group.zh if group else _FAMILY_ZH.get(family, family),
                "version": spec.version,
                "effective_from": spec.effective_from.isoformat(),
                "parameters": dict(spec.parameters),
                "kind": spec.kind or "",
                "label_zh": spec.label_zh or "",
            }
        )
    return out


def version_text(r: dict[str, Any]) -> str:
    """A version as printed: a legacy or local version with its Chinese label (ADR 0018), so
    it never reads as the national rule."""
    return f"{r['version']}（{r['label_zh']}）" if r.get("label_zh") else str(r["version"])


def coverage_text(report: DivisionReport) -> str:
    """What each coverage rate of the report divides by, e.g. 孵化园覆盖率：城市社区; "" for a
    report without a coverage rule (issued before the family existed)."""
    spec = report.rules.get("coverage")
    if spec is None:
        return ""
    chosen = {**COVERAGE_DEFAULTS, **(spec.parameters.get("denominators") or {})}
    return LIST_SEPARATOR.join(
        f"{parameter_name(rate)}：按{VALUES.get(basis, basis)}（{spec.version}）"
        for rate, basis in chosen.items()
    )


def _rules_text(report: DivisionReport) -> str:
    parts = []
    for r in rule_families(report):
        since = f"，{r['effective_from']}起" if r["effective_from"] else ""
        name = f"{r['zh']}（{r['family']}）：" if r["family"] else ""
        parts.append(f"{name}{version_text(r)}{since}")
    return LIST_SEPARATOR.join(parts)


def watermark_text(report: DivisionReport) -> str:
    return LIST_SEPARATOR.join(f"{tier_text(t)} {v}" for t, v in report.watermarks.items())


def division_text(report: DivisionReport) -> str:
    d = report.division
    extra = "，".join(x for x in (d.code, tier_text(d.tier)) if x)
    return f"{d.name}（{extra}）" if extra else d.name


def tree_text(report: DivisionReport) -> str:
    """Which division tree the report used (ADR 0005), e.g. 截至日期时的区划（2026-06-30）."""
    tree = report.tree
    basis = {"as_of": "截至日期时的区划", "current": "现行区划"}.get(tree.basis, tree.basis)
    retired = "，".join(f"{old}→{new}" for old, new in tree.retired.items())
    on = f"（{tree.on}" + (f"；已撤并：{retired}" if retired else "") + "）"
    return basis + (on if tree.on else "")


def _preamble(report: DivisionReport) -> list[tuple[str, str]]:
    return [
        ("报表", report_title(report)),
        ("区划", division_text(report)),
        ("截至日期", report.as_of.isoformat()),
        ("统计期间", period_text(report)),
        ("规则版本", _rules_text(report)),
        *([("覆盖率口径", text)] if (text := coverage_text(report)) else []),
        ("数据水位", watermark_text(report)),
        ("区划树", tree_text(report)),
        *([("不适用 Not applicable", text)] if (text := not_applicable_text(report)) else []),
    ]


def not_applicable_text(report: DivisionReport) -> str:
    """One sentence per rule family not in force on the as-of date (issue 12), or ""."""
    reasons = (report.not_applicable or {}).values()
    by_family = {r.family: r.message for r in reasons}
    return LIST_SEPARATOR.join(by_family.values())


# ------------------------------------------------------------------ the report table


def report_table(report: DivisionReport) -> tuple[list[str], list[list[object]]]:
    """Headers and rows: metrics down, the division and its children across.

    Columns: group, metric (Chinese name), unit, additive (是/否), the division itself
    ("name（本级合计）") and one per child. Cells hold the raw values (None where a rate has a
    zero denominator or a division lacks the figure).
    """
    divs = divisions(report)
    headers = [
        *FIXED_HEADERS,
        division_name(report) + DIVISION_SUFFIX,
        *(division_name(c) for c in divs[1:]),
    ]
    flat = [division_figures(d) for d in divs]
    # A figure whose rule was not in force on the as-of date (issue 12) says so in every
    # column, rather than an empty cell a reader would take for "no denominator".
    withheld = report.not_applicable or {}
    rows: list[list[object]] = []
    for key in metric_keys(report):
        m = lookup(key)
        rows.append(
            [
                _group(key).zh,
                m.zh,
                display_unit(m.unit),
                "是" if m.additive else "否",
                *(NOT_APPLICABLE if key in withheld else f.get(key) for f in flat),
            ]
        )
    return headers, rows


def theme_table(report: DivisionReport) -> tuple[list[str], list[list[object]], list[str]]:
    """The activity figures by theme (ADR 0019): headers (code, Chinese name, retired on, one
    column per figure named as the catalogue names it, with its unit), rows of raw values, and
    each figure column's unit. Empty when the report carries no ``by_theme``."""
    metrics = [lookup(f"activity.{key}") for key in THEME_FIGURES]
    headers = [*THEME_HEADERS, *(f"{m.zh}（{display_unit(m.unit)}）" for m in metrics)]
    rows: list[list[object]] = [
        [
            row.code,
            row.name,
            row.retired_on.isoformat() if row.retired_on else "",
            *(row.figures.get(key) for key in THEME_FIGURES),
        ]
        for row in report.by_theme or []
    ]
    return headers, rows, [m.unit for m in metrics]


def _table_units(report: DivisionReport) -> list[str]:
    """The catalogue unit of each row of ``report_table``."""
    return [lookup(k).unit for k in metric_keys(report)]


def _csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return (BOM + buf.getvalue()).encode("utf-8")


def report_csv(report: DivisionReport) -> bytes:
    """UTF-8 with BOM: a ``key,value`` preamble, a blank line, then the report table."""
    headers, rows = report_table(report)
    fixed = len(FIXED_HEADERS)
    lines: list[Sequence[object]] = [list(p) for p in _preamble(report)]
    lines.append([])
    lines.append(headers)
    for row, unit in zip(rows, _table_units(report), strict=True):
        lines.append([*row[:fixed], *(format_value(v, unit) for v in row[fixed:])])
    theme_headers, theme_rows, units = theme_table(report)
    if theme_rows:
        lines += [[], [BY_THEME_TITLE], theme_headers]
        fixed = len(THEME_HEADERS)
        for row in theme_rows:
            values = (format_value(v, u) for v, u in zip(row[fixed:], units, strict=True))
            lines.append([*row[:fixed], *values])
    return _csv_bytes(lines)


def report_json(report: DivisionReport) -> bytes:
    """The JSON the API returns (``canonical``), indented for a file."""
    return json.dumps(canonical(report), ensure_ascii=False, indent=2).encode("utf-8")


# ------------------------------------------------------------------ XLSX


def _display_width(text: object) -> int:
    """Column width in Excel character units: CJK and full-width characters count double."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(text))


def _number_format(unit: str, value: object) -> str | None:
    if unit == "ratio":
        return _PERCENT_FORMAT
    if unit in MONEY_UNITS:
        return _MONEY_FORMAT
    if isinstance(value, float) and not value.is_integer():
        return _DECIMAL_FORMAT
    return None


def _cell_value(value: object) -> object:
    """A value openpyxl can store: lists joined, mappings as JSON, other objects as text."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or isinstance(value, int | float | str | date):
        return value
    if isinstance(value, list | tuple | set):
        return LIST_SEPARATOR.join("" if v is None else str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    try:
        return float(value)  # type: ignore[arg-type]  # Decimal and friends
    except (TypeError, ValueError):
        return str(value)


def _style_sheet(
    ws: Any, widths: Sequence[int], *, freeze: str = "A2", max_width: int = 60
) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    ws.freeze_panes = freeze
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(6, min(max_width, w + 2))


def _workbook_bytes(wb: Any) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _safe_sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", "_", title).strip("'") or "Sheet"
    return cleaned[:31]


def report_xlsx(report: DivisionReport) -> bytes:
    """A workbook with sheet "报表" (the report table) and sheet "说明" (context, definitions)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    headers, rows = report_table(report)
    keys = metric_keys(report)
    fixed = len(FIXED_HEADERS)

    wb = Workbook()
    ws = wb.active
    ws.title = "报表"
    append_row(ws, headers)
    widths = [_display_width(h) for h in headers]
    for key, row in zip(keys, rows, strict=True):
        unit = lookup(key).unit
        append_row(ws, row)
        r = ws.max_row
        for col, value in enumerate(row, start=1):
            text = format_value(value, unit) if col > fixed else str(value)
            widths[col - 1] = max(widths[col - 1], _display_width(text))
            if col > fixed and (fmt := _number_format(unit, value)):
                ws.cell(row=r, column=col).number_format = fmt
    _style_sheet(ws, widths, freeze="C2", max_width=30)
    _theme_sheet(wb, report)

    notes = wb.create_sheet("说明")
    bold = Font(bold=True)

    def heading(text: str) -> None:
        if notes.max_row > 1:
            append_row(notes, [])
        append_row(notes, [text])
        notes.cell(row=notes.max_row, column=1).font = bold

    append_row(notes, ["项目", "内容"])
    for k, v in _preamble(report):
        if k != "规则版本":  # the rules section below lists them, with their parameters
            append_row(notes, [k, v])
    heading("规则 Rules")
    append_row(notes, ["规则族", "名称", "版本", "生效日期", "参数", "取值", "规则类别"])
    for r in rule_families(report):
        params = r["parameters"] or {"": ""}
        for name, value in params.items():
            append_row(
                notes,
                [
                    r["family"],
                    r["zh"],
                    r["version"],
                    r["effective_from"],
                    name,
                    _format_parameter(value),
                    r["label_zh"] or "国家规则",  # a legacy version says so (ADR 0018)
                ],
            )
    heading("数据水位 Watermarks")
    append_row(notes, ["层级", "层级名称", "位置"])
    for tier, position in report.watermarks.items():
        append_row(notes, [tier, tier_text(tier), position])
    heading("指标说明 Metric definitions")
    append_row(
        notes,
        ["指标键 Key", "分组", "中文名", "英文名", "单位", "定义", "分母", "可加", "口径", "规则"],
    )
    for key in keys:
        m = lookup(key)
        append_row(
            notes,
            [
                key,
                _group(key).zh,
                m.zh,
                m.en,
                display_unit(m.unit),
                m.definition,
                m.denominator,
                "是" if m.additive else "否",
                "统计期间" if m.period else "截至日期",
                "、".join(m.rules),
            ],
        )
    note_widths = [0] * notes.max_column
    for row in notes.iter_rows(values_only=True):
        for i, v in enumerate(row):
            if v is not None:
                note_widths[i] = max(note_widths[i], _display_width(v))
    _style_sheet(notes, note_widths, freeze="A2", max_width=70)
    return _workbook_bytes(wb)


def _theme_sheet(wb: Any, report: DivisionReport) -> None:
    """Sheet "按主题": one row per activity theme (only when the report has ``by_theme``)."""
    headers, rows, units = theme_table(report)
    if not rows:
        return
    ws = wb.create_sheet("按主题")
    append_row(ws, headers)
    widths = [_display_width(h) for h in headers]
    fixed = len(THEME_HEADERS)
    for row in rows:
        append_row(ws, row)
        r = ws.max_row
        for col, value in enumerate(row, start=1):
            unit = units[col - fixed - 1] if col > fixed else ""
            widths[col - 1] = max(widths[col - 1], _display_width(format_value(value, unit)))
            if col > fixed and (fmt := _number_format(unit, value)):
                ws.cell(row=r, column=col).number_format = fmt
    _style_sheet(ws, widths, freeze="C2", max_width=30)


# ------------------------------------------------------------------ generic list exports


def _list_cell(value: object) -> str:
    """A list cell as text: lists joined with "；", None empty, booleans 是/否."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple | set):
        return LIST_SEPARATOR.join(_list_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def table_csv(columns: Sequence[tuple[str, str]], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """A list (zombie organisations, a ranking) as CSV: UTF-8 with BOM, Chinese headers.

    ``columns`` are (row key, Chinese header); list values are joined with "；".
    """
    lines: list[Sequence[object]] = [[header for _, header in columns]]
    lines += [[_list_cell(row.get(key)) for key, _ in columns] for row in rows]
    return _csv_bytes(lines)


def table_xlsx(
    title: str, columns: Sequence[tuple[str, str]], rows: Iterable[Mapping[str, Any]]
) -> bytes:
    """A list as a one-sheet workbook named ``title``; list values are joined with "；"."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = _safe_sheet_title(title)
    headers = [header for _, header in columns]
    append_row(ws, headers)
    widths = [_display_width(h) for h in headers]
    for row in rows:
        values = [_cell_value(row.get(key)) for key, _ in columns]
        append_row(ws, values)
        for i, v in enumerate(values):
            if v is not None:
                widths[i] = max(widths[i], _display_width(v))
    _style_sheet(ws, widths)
    return _workbook_bytes(wb)
