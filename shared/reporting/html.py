"""A printable HTML report for a division, with inline SVG charts.

``report_html(report)`` returns one self-contained page (no external scripts, styles or fonts)
laid out like a government statistical report: title, a meta block naming the as-of date,
period, rule versions and data watermarks, key figures, then one section per catalogue group
with its charts and a metric × division table, and an appendix with every figure's definition.
Printing gives A4 pages with a page break between groups.

All labels come from ``shared.reporting.catalogue``; all text is escaped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from shared.reporting.catalogue import GROUPS, MONEY_UNITS, Group, lookup
from shared.reporting.export import (
    DIVISION_SUFFIX,
    NOT_APPLICABLE,
    coverage_text,
    display_unit,
    division_figures,
    division_name,
    division_text,
    divisions,
    format_value,
    metric_keys,
    not_applicable_text,
    period_text,
    report_title,
    rule_families,
    theme_table,
    tier_text,
    tree_text,
    zh_date,
)
from shared.reporting.model import DivisionReport
from shared.reporting.zh import definition_zh, denominator_zh, parameters_text

__all__ = ["Reference", "Series", "bar_chart", "report_html"]

SANS = (
    '"Source Han Sans SC", "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Hiragino Sans GB",'
    ' "Microsoft YaHei", "微软雅黑", "SimHei", "黑体", "WenQuanYi Micro Hei", sans-serif'
)
SERIF = (
    '"Source Han Serif SC", "Noto Serif CJK SC", "Noto Serif SC", "Songti SC", "STSong",'
    ' "SimSun", "宋体", "FangSong", "仿宋", serif'
)
FILLS = ("#333333", "#999999", "#d9d9d9", "#666666")
REFERENCE_DASHES = ("6 3", "2 2", "8 2 2 2")
TABLE_DIVISIONS = 7  # division columns per table before the table is continued below
CHART_WIDTH = 680  # px; ≈ 180 mm, the text width of an A4 page with 15 mm margins
FONT_PX = 11
MAX_TICKS = 6  # axis intervals at most
# Presentation attributes, so that an SVG looks the same wherever it is rendered (some renderers
# do not apply the page's CSS to inline SVG).
_TEXT_ATTRS = {
    "tick": 'font-size="10" fill="#333"',
    "note": 'fill="#555"',
    "inbar": 'font-size="10"',
    "light": 'fill="#fff"',
    "total": 'font-weight="bold"',
}
_HALO = 'stroke="#fff" stroke-width="3" stroke-linejoin="round"'
_LINE_ATTRS = {
    "grid": 'class="grid" stroke="#d0d0d0" stroke-width="0.5"',
    "axis": 'class="axis" stroke="#000" stroke-width="1"',
}
_KEY_FIGURES = (
    "organisations.active",
    "organisations.new_in_period",
    "party_building.party_clause_rate",
    "activity.activities",
    "zombies.rate",
    "funding.awarded_yuan",
    "ratings.grade_3a_plus",
)


# ------------------------------------------------------------------ the chart helper


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | int | None]


@dataclass(frozen=True)
class Reference:
    """A dashed line across the plot at ``value`` (a standard, the division's own rate)."""

    label: str
    value: float
    series: int = 0  # whose fill the line takes


def _text_width(text: str, size: float = FONT_PX) -> float:
    """Rough rendered width: CJK and full-width characters are square, others about half."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def _num(x: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    return f"{x:.2f}".rstrip("0").rstrip(".") if x % 1 else str(int(x))


def _nice_axis(top: float, integers: bool, percent: bool) -> tuple[float, list[float]]:
    """Axis maximum ≥ top in at most six steps of 1, 2, (2.5,) 5 × 10ⁿ, and its ticks from 0."""
    if top <= 0:
        return (1.0, [0.0, 0.25, 0.5, 0.75, 1.0]) if percent else (1.0, [0.0, 1.0])
    exp = math.floor(math.log10(top / MAX_TICKS))
    bases = (1, 2, 5) if integers else (1, 2, 2.5, 5)
    candidates = [b * 10.0**e for e in (exp, exp + 1) for b in bases]
    if integers:
        candidates = [s for s in candidates if s >= 1] or [1.0]
    step = next((s for s in candidates if math.ceil(top / s - 1e-9) <= MAX_TICKS), candidates[-1])
    n = max(1, math.ceil(top / step - 1e-9))
    return n * step, [i * step for i in range(n + 1)]


def _tick_text(t: float, percent: bool) -> str:
    if percent:
        v = round(t * 100, 6)
        return (f"{v:.0f}" if v.is_integer() else f"{v:g}") + "%"
    v = round(t, 6)
    return f"{int(v):,d}" if v.is_integer() else f"{v:,g}"


def _value_text(v: float | int | None, unit: str, percent: bool) -> str:
    if v is None:
        return "—"
    if unit in MONEY_UNITS and not percent:
        return f"{v:,.0f}"  # whole yuan on a chart; the table keeps the fen
    return format_value(v, "ratio" if percent else unit, blank="—", grouping=True)


def _svg_text(x: float, y: float, text: str, *, anchor: str = "start", cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    c += "".join(f" {_TEXT_ATTRS[k]}" for k in cls.split() if k in _TEXT_ATTRS)
    at = f'x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"'
    label = f"<text {at}{c}>{escape(text)}</text>"
    if "value" in cls.split():  # a white halo underneath keeps it legible over lines
        return f'<text {at}{c} {_HALO} aria-hidden="true">{escape(text)}</text>{label}'
    return label


def _legend(
    series: Sequence[Series], references: Sequence[Reference], width: float, x0: float, y0: float
) -> tuple[list[str], float]:
    """Legend items left to right, wrapping; returns the markup and the height used."""
    items: list[tuple[str, str]] = []
    if len(series) > 1:
        items += [(f"s{i}", s.name) for i, s in enumerate(series)]
    items += [(f"r{i}", r.label) for i, r in enumerate(references)]
    if not items:
        return [], 0.0
    out = ['<g class="legend">']
    x, y, row_h = x0, y0, 16.0
    for kind, label in items:
        w = 16 + _text_width(label) + 14
        if x + w > width and x > x0:
            x, y = x0, y + row_h
        if kind[0] == "s":
            i = int(kind[1:])
            out.append(
                f'<rect x="{_num(x)}" y="{_num(y + 2)}" width="10" height="10"'
                f' fill="{FILLS[i % len(FILLS)]}" stroke="#000" stroke-width="0.5"/>'
            )
        else:
            r = references[int(kind[1:])]
            dash = REFERENCE_DASHES[int(kind[1:]) % len(REFERENCE_DASHES)]
            out.append(
                f'<line x1="{_num(x)}" y1="{_num(y + 7)}" x2="{_num(x + 12)}" y2="{_num(y + 7)}"'
                f' stroke="{_reference_stroke(r)}" stroke-width="1.5" stroke-dasharray="{dash}"/>'
            )
        out.append(_svg_text(x + 16, y + 11, label))
        x += w
    out.append("</g>")
    return out, y - y0 + row_h + 6


def _reference_stroke(r: Reference) -> str:
    return "#000" if r.series % len(FILLS) == 0 else "#555"


def bar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "",
    percent: bool = False,
    stacked: bool = False,
    horizontal: bool = True,
    references: Sequence[Reference] = (),
    width: int = CHART_WIDTH,
) -> str:
    """A bar chart as ``<figure>`` with an inline SVG: grouped or stacked, either orientation.

    Bar lengths are proportional to the values on an axis from 0; None draws no bar and is
    labelled "—"; an all-zero chart keeps a unit axis. Each bar is a ``rect.bar`` carrying
    ``data-category``, ``data-series`` and ``data-value``. ``percent`` reads values as 0–1
    fractions and labels the axis in percent.
    """
    n_series = max(len(series), 1)
    values = [
        [s.values[i] if i < len(s.values) else None for s in series] for i in range(len(categories))
    ]

    def clean(v: float | int | None) -> float:
        return max(float(v), 0.0) if isinstance(v, int | float) else 0.0

    per_cat = [
        sum(clean(v) for v in row) if stacked else max((clean(v) for v in row), default=0.0)
        for row in values
    ]
    top = max([*per_cat, *(r.value for r in references)], default=0.0)
    integers = not percent and all(
        isinstance(v, int) for row in values for v in row if v is not None
    )
    axis, ticks = _nice_axis(top, integers, percent)
    all_zero = top <= 0

    caption = escape(title)
    unit_text = "%" if percent else unit
    if unit_text:
        caption += f'<span class="unit">（单位：{escape(unit_text)}）</span>'
    body: list[str] = []
    legend, legend_h = _legend(series, references, width - 8, 8, 6)
    body += legend
    plot_top = 6 + legend_h + (4 if not legend else 0)

    if not categories:
        height = plot_top + 40
        body.append(_svg_text(width / 2, plot_top + 22, "无数据", anchor="middle", cls="note"))
        return _figure(chart_id, caption, width, height, title, body)

    bars_per_band = 1 if stacked else n_series
    labels_for = [[_value_text(v, unit, percent) for v in row] for row in values]
    totals = [
        _value_text(
            sum(clean(v) for v in row) if any(v is not None for v in row) else None, unit, percent
        )
        for row in values
    ]
    end_labels = totals if stacked else [lab for row in labels_for for lab in row]
    value_w = max([_text_width(t) for t in end_labels] + [24]) + 8

    if horizontal:
        label_w = min(max(max(_text_width(c) for c in categories) + 10, 48), 220)
        x0 = label_w
        plot_w = width - label_w - value_w - 6
        bar_h = 16.0 if bars_per_band == 1 else 13.0
        gap = 9.0
        band = bars_per_band * bar_h + gap
        plot_h = band * len(categories)

        def scale(v: float) -> float:
            return v / axis * plot_w

        for t in ticks:
            x = x0 + scale(t)
            body.append(
                f'<line x1="{_num(x)}" y1="{_num(plot_top)}" x2="{_num(x)}" y2="{_num(plot_top + plot_h)}"'
                f" {_LINE_ATTRS['axis' if t == 0 else 'grid']}/>"
            )
            body.append(
                _svg_text(
                    x, plot_top + plot_h + 14, _tick_text(t, percent), anchor="middle", cls="tick"
                )
            )
        for ci, cat in enumerate(categories):
            y = plot_top + ci * band + gap / 2
            body.append(
                _svg_text(
                    x0 - 6,
                    y + bars_per_band * bar_h / 2 + 4,
                    _fit(cat, label_w - 10),
                    anchor="end",
                    cls="category",
                )
            )
            offset = 0.0
            for si, s in enumerate(series):
                v = values[ci][si]
                by = y if stacked else y + si * bar_h
                bx = x0 + offset
                length = scale(clean(v))
                body.append(
                    _rect(
                        bx,
                        by,
                        length,
                        bar_h - (0 if stacked else 1),
                        si,
                        cat,
                        s.name,
                        v,
                        f"{cat} · {s.name}：{labels_for[ci][si]}",
                    )
                )
                if stacked:
                    label = labels_for[ci][si]
                    if v is not None and length >= _text_width(label) + 6:
                        cls = "inbar light" if si % len(FILLS) in (0, 3) else "inbar"
                        body.append(
                            _svg_text(
                                bx + length / 2, by + bar_h / 2 + 4, label, anchor="middle", cls=cls
                            )
                        )
                    offset += length
                else:
                    body.append(
                        _svg_text(
                            bx + length + 4, by + bar_h / 2 + 3.5, labels_for[ci][si], cls="value"
                        )
                    )
            if stacked:
                body.append(
                    _svg_text(x0 + offset + 4, y + bar_h / 2 + 4, totals[ci], cls="value total")
                )
        for ri, r in enumerate(references):
            x = x0 + scale(r.value)
            body.append(
                f'<line x1="{_num(x)}" y1="{_num(plot_top - 2)}" x2="{_num(x)}" y2="{_num(plot_top + plot_h)}"'
                f' stroke="{_reference_stroke(r)}" stroke-width="1.5"'
                f' stroke-dasharray="{REFERENCE_DASHES[ri % len(REFERENCE_DASHES)]}" class="reference"/>'
            )
        height = plot_top + plot_h + 22
    else:
        tick_w = max(_text_width(_tick_text(t, percent)) for t in ticks) + 10
        x0 = tick_w
        plot_w = width - tick_w - 10
        plot_h = 200.0
        label_rows = 1
        band = plot_w / len(categories)
        if any(_text_width(c) > band - 4 for c in categories):
            label_rows = 2
        label_top = plot_top + 16  # room for the value labels above the tallest bar
        base = label_top + plot_h
        bar_w = min(44.0, band * 0.6) if bars_per_band == 1 else min(48.0, band * 0.75 / n_series)

        def vscale(v: float) -> float:
            return v / axis * plot_h

        for t in ticks:
            y = base - vscale(t)
            body.append(
                f'<line x1="{_num(x0)}" y1="{_num(y)}" x2="{_num(x0 + plot_w)}" y2="{_num(y)}"'
                f" {_LINE_ATTRS['axis' if t == 0 else 'grid']}/>"
            )
            body.append(_svg_text(x0 - 5, y + 4, _tick_text(t, percent), anchor="end", cls="tick"))
        for ci, cat in enumerate(categories):
            cx = x0 + band * (ci + 0.5)
            group_w = bar_w * bars_per_band
            offset = 0.0
            for si, s in enumerate(series):
                v = values[ci][si]
                bx = cx - group_w / 2 + (0 if stacked else si * bar_w)
                length = vscale(clean(v))
                by = base - offset - length
                body.append(
                    _rect(
                        bx,
                        by,
                        bar_w - (0 if stacked else 1),
                        length,
                        si,
                        cat,
                        s.name,
                        v,
                        f"{cat} · {s.name}：{labels_for[ci][si]}",
                    )
                )
                if stacked:
                    offset += length
                else:
                    body.append(
                        _svg_text(
                            bx + bar_w / 2, by - 4, labels_for[ci][si], anchor="middle", cls="value"
                        )
                    )
            if stacked:
                body.append(
                    _svg_text(cx, base - offset - 4, totals[ci], anchor="middle", cls="value total")
                )
            for line_no, part in enumerate(_split_label(cat, label_rows, band - 4)):
                body.append(
                    _svg_text(cx, base + 14 + 13 * line_no, part, anchor="middle", cls="category")
                )
        for ri, r in enumerate(references):
            y = base - vscale(r.value)
            body.append(
                f'<line x1="{_num(x0)}" y1="{_num(y)}" x2="{_num(x0 + plot_w)}" y2="{_num(y)}"'
                f' stroke="{_reference_stroke(r)}" stroke-width="1.5"'
                f' stroke-dasharray="{REFERENCE_DASHES[ri % len(REFERENCE_DASHES)]}" class="reference"/>'
            )
        height = base + 8 + 13 * label_rows
    if all_zero:
        body.append(_svg_text(width - 8, plot_top + 12, "（全部为零）", anchor="end", cls="note"))
    return _figure(chart_id, caption, width, height, title, body)


def _split_label(text: str, rows: int, max_px: float) -> list[str]:
    """A category label under a vertical bar: one line, or two halves, each cut to fit."""
    if rows == 1 or len(text) < 2:
        return [_fit(text, max_px)]
    half = (len(text) + 1) // 2
    return [_fit(text[:half], max_px), _fit(text[half:], max_px)]


def _rect(
    x: float, y: float, w: float, h: float, si: int, category: str, series: str, v: object, tip: str
) -> str:
    raw = "" if v is None else repr(v)
    return (
        f'<rect class="bar" x="{_num(x)}" y="{_num(y)}" width="{_num(max(w, 0))}"'
        f' height="{_num(max(h, 0))}" fill="{FILLS[si % len(FILLS)]}" stroke="#000"'
        f' stroke-width="0.5" data-series="{escape(series)}" data-category="{escape(category)}"'
        f' data-value="{raw}"><title>{escape(tip)}</title></rect>'
    )


def _fit(text: str, max_px: float) -> str:
    """The text, cut with an ellipsis to fit ``max_px`` (the bar's tooltip keeps it whole)."""
    if _text_width(text) <= max_px:
        return text
    while text and _text_width(text + "…") > max_px:
        text = text[:-1]
    return text + "…"


def _figure(
    chart_id: str, caption: str, width: float, height: float, title: str, body: list[str]
) -> str:
    h = _num(math.ceil(height))
    return (
        f'<figure class="chart" id="{escape(chart_id)}"><figcaption>{caption}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{_num(width)}" height="{h}"'
        f' font-family="{escape(SANS)}" font-size="{FONT_PX}" fill="#000"'
        f' viewBox="0 0 {_num(width)} {h}" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg></figure>"
    )


# ------------------------------------------------------------------ report data


def _figure_of(flat: Mapping[str, object], key: str) -> object:
    """A division's figure: an additive count the division has no entry for is 0 there (a
    family value nobody holds); "—" stays for what is not applicable (null, e.g. a zero
    denominator)."""
    if key not in flat and lookup(key).additive:
        return 0
    return flat.get(key)


def _number(v: object) -> float | int | None:
    return v if isinstance(v, int | float) and not isinstance(v, bool) else None


def _compared(report: DivisionReport) -> list[tuple[str, dict[str, object]]]:
    """The divisions a per-division chart compares: the children, or the division alone."""
    children = report.children
    if children:
        return [(division_name(c), division_figures(c)) for c in children]
    return [(division_name(report), division_figures(report))]


def _short(zh: str) -> str:
    """A family label without its prefix: "领域：为民服务" → "为民服务"."""
    return zh.split("：")[-1]


def _per_division(
    chart_id: str,
    title: str,
    report: DivisionReport,
    keys: Sequence[str],
    **kw: Any,
) -> str | None:
    rows = _compared(report)
    if not any(k in flat for k in keys for _, flat in rows):
        return None
    kw.setdefault("unit", display_unit(lookup(keys[0]).unit))
    return bar_chart(
        chart_id,
        title,
        [name for name, _ in rows],
        [Series(lookup(k).zh, [_number(_figure_of(flat, k)) for _, flat in rows]) for k in keys],
        **kw,
    )


def _density_standards(report: DivisionReport, own: dict[str, object]) -> tuple[object, object]:
    for r in rule_families(report):
        if r["family"] == "density":
            p = r["parameters"]
            if "urban_min_per_community" in p or "rural_min_per_village" in p:
                return p.get("urban_min_per_community"), p.get("rural_min_per_village")
    return own.get("density.standard.urban_min"), own.get("density.standard.rural_min")


def _charts(group: Group, report: DivisionReport, present: Sequence[str]) -> list[str]:
    own = division_figures(report)
    name = division_name(report)
    out: list[str | None] = []
    if group.key == "organisations":
        out.append(
            _per_division(
                "chart-organisations-by-division",
                "各区划社区社会组织数量（登记/备案）",
                report,
                ["organisations.registered", "organisations.filed"],
                stacked=True,
            )
        )
        fields = [k for k in present if k.startswith("organisations.by_field.")]
        if fields:
            pairs = sorted(
                ((_short(lookup(k).zh), _number(own.get(k))) for k in fields),
                key=lambda p: -(p[1] or 0),
            )
            out.append(
                bar_chart(
                    "chart-organisations-by-field",
                    f"{name}社区社会组织领域分布",
                    [p[0] for p in pairs],
                    [Series(lookup("organisations.active").zh, [p[1] for p in pairs])],
                    unit=lookup(fields[0]).unit,
                )
            )
    elif group.key == "density":
        keys = ["density.avg_per_urban_community", "density.avg_per_rural_village"]
        urban, rural = _density_standards(report, own)
        refs = [
            Reference(f"标准：{lookup(k).zh}不少于{v}个", float(v), series=i)
            for i, (k, v) in enumerate(zip(keys, (urban, rural), strict=True))
            if isinstance(v, int | float)
        ]
        out.append(
            _per_division(
                "chart-density",
                "各区划组织密度与标准对照",
                report,
                keys,
                references=refs,
                unit=f"{lookup('organisations.urban').unit}/村（社区）",  # organisations per village
            )
        )
    elif group.key == "party_building":
        out.append(
            _per_division(
                "chart-party-building",
                "各区划党建入章率与清廉入章率",
                report,
                ["party_building.party_clause_rate", "party_building.integrity_clause_rate"],
                percent=True,
            )
        )
    elif group.key == "activity":
        out.append(
            _per_division(
                "chart-activity",
                "各区划活动开展与志愿服务",
                report,
                ["activity.activities", "activity.volunteer_services"],
            )
        )
    elif group.key == "zombies":
        own_rate = _number(own.get("zombies.rate"))
        refs = []
        if own_rate is not None and report.children:
            refs = [Reference(f"{name}{DIVISION_SUFFIX}：{own_rate * 100:.1f}%", float(own_rate))]
        out.append(
            _per_division(
                "chart-zombies",
                "各区划僵尸组织率",
                report,
                ["zombies.rate"],
                percent=True,
                references=refs,
            )
        )
    elif group.key == "funding":
        awarded, disbursed = lookup("funding.awarded_yuan"), lookup("funding.disbursed_yuan")
        pattern = re.compile(r"^funding\.by_programme\.([^.]+)\.awarded_yuan$")
        programmes = [m.group(1) for k in present if (m := pattern.match(k))]
        if programmes:
            labels = [
                lookup(f"funding.by_programme.{p}.awarded_yuan").zh.removesuffix(awarded.zh) or p
                for p in programmes
            ]
            out.append(
                bar_chart(
                    "chart-funding",
                    f"{name}各类资金扶持资助与拨付情况",
                    labels,
                    [
                        Series(
                            awarded.zh,
                            [
                                _number(own.get(f"funding.by_programme.{p}.awarded_yuan"))
                                for p in programmes
                            ],
                        ),
                        Series(
                            disbursed.zh,
                            [
                                _number(own.get(f"funding.by_programme.{p}.disbursed_yuan"))
                                for p in programmes
                            ],
                        ),
                    ],
                    unit=awarded.unit,
                    horizontal=False,
                )
            )
    elif group.key == "ratings":
        grades = [k for k in present if re.match(r"^ratings\.grade\.\d+$", k)]
        if grades:
            out.append(
                bar_chart(
                    "chart-grades",
                    f"{name}社会组织评估等级分布",
                    [lookup(k).zh for k in grades],
                    [Series(lookup("ratings.graded").zh, [_number(own.get(k)) for k in grades])],
                    unit=lookup(grades[0]).unit,
                    horizontal=False,
                )
            )
    return [c for c in out if c]


# ------------------------------------------------------------------ page


_CN_DIGITS = "零一二三四五六七八九"


def _cn_number(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def _cell(v: object, unit: str) -> str:
    return escape(format_value(v, unit, blank="—", grouping=True))


def _group_table(report: DivisionReport, keys: Sequence[str]) -> str:
    divs = divisions(report)
    headers = [division_name(report) + DIVISION_SUFFIX, *(division_name(c) for c in divs[1:])]
    flats = [division_figures(d) for d in divs]
    out = []
    for start in range(0, len(divs), TABLE_DIVISIONS):
        cols = range(start, min(start + TABLE_DIVISIONS, len(divs)))
        head = "".join(f"<th>{escape(headers[i])}</th>" for i in cols)
        out.append(
            '<table class="figures"><thead><tr><th class="metric">指标</th><th class="unit">单位</th>'
            f"{head}</tr></thead><tbody>"
        )
        withheld = report.not_applicable or {}
        for k in keys:
            m = lookup(k)
            if k in withheld:  # its rule was not in force on the as-of date (issue 12)
                na = escape(NOT_APPLICABLE)
                cells = "".join(f'<td class="num na">{na}</td>' for _ in cols)
            else:
                cells = "".join(
                    f'<td class="num">{_cell(_figure_of(flats[i], k), m.unit)}</td>' for i in cols
                )
            out.append(
                f'<tr><th class="metric" scope="row">{escape(m.zh)}</th>'
                f'<td class="unit">{escape(display_unit(m.unit))}</td>{cells}</tr>'
            )
        out.append("</tbody></table>")
        if start + TABLE_DIVISIONS < len(divs):
            out.append('<p class="continued">（续表）</p>')
    return "".join(out)


def _theme_section(report: DivisionReport) -> str:
    """按活动主题: the activity figures of the division per theme (ADR 0019), themes down,
    figures across; "" when the report has no ``by_theme``."""
    headers, rows, units = theme_table(report)
    if not rows:
        return ""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers[1:])  # the code column stays out
    body = []
    for row in rows:
        name = escape(str(row[1]))
        cells = "".join(
            f'<td class="num">{_cell(v, u)}</td>' for v, u in zip(row[3:], units, strict=True)
        )
        body.append(
            f'<tr><th class="metric" scope="row">{name}</th><td>{escape(str(row[2]))}</td>{cells}</tr>'
        )
    return (
        '<h3>按活动主题</h3><p class="continued">一项活动可有多个主题，分别计入各主题，'
        "各主题之和不必等于活动合计。</p>"
        f'<table class="figures themes"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _meta(report: DivisionReport) -> str:
    rows = [
        ("区划", escape(division_text(report))),
        ("截至日期", escape(zh_date(report.as_of))),
        ("统计期间", escape(period_text(report, chinese_dates=True))),
        ("区划树", escape(tree_text(report))),
    ]
    rules = rule_families(report)
    if rules:
        items = []
        for r in rules:
            params = parameters_text(r["parameters"])
            since = f"，{r['effective_from']}起施行" if r["effective_from"] else ""
            label = f"{r['zh']}（{r['family']}）：" if r["family"] else ""
            detail = f'<span class="params">{escape(params)}</span>' if params else ""
            # A legacy or local version carries its Chinese label (ADR 0018).
            tag = (
                f'<span class="rule-label">（{escape(r["label_zh"])}）</span>'
                if r["label_zh"]
                else ""
            )
            items.append(
                f"<li>{escape(label)}<code>{escape(r['version'])}</code>{tag}{escape(since)}{detail}</li>"
            )
        rows.append(("规则版本", f'<ul class="rules">{"".join(items)}</ul>'))
    if coverage := coverage_text(report):
        rows.append(("覆盖率口径", escape(coverage)))
    if text := not_applicable_text(report):
        rows.append((escape(NOT_APPLICABLE), escape(text)))
    marks = report.watermarks
    if marks:
        rows.append(
            ("数据水位", escape("；".join(f"{tier_text(t)} {v}" for t, v in marks.items())))
        )
    body = "".join(f'<tr><th scope="row">{k}</th><td>{v}</td></tr>' for k, v in rows)
    return f'<table class="meta">{body}</table>'


def _key_figures(report: DivisionReport) -> str:
    own = division_figures(report)
    cards = []
    for k in _KEY_FIGURES:
        if k not in own:
            continue
        m = lookup(k)
        unit = "" if m.unit == "ratio" else display_unit(m.unit)
        cards.append(
            f'<div class="kf"><div class="kf-value">{_cell(own.get(k), m.unit)}'
            f'<span class="kf-unit">{escape(unit)}</span></div>'
            f'<div class="kf-label">{escape(m.zh)}</div></div>'
        )
    if not cards:
        return ""
    return f'<section class="summary"><h2>主要指标</h2><div class="kfs">{"".join(cards)}</div></section>'


def _appendix(keys: Sequence[str]) -> str:
    rows = []
    for k in keys:
        m = lookup(k)
        rows.append(
            f'<tr><td>{escape(m.zh)}<br><span class="en">{escape(m.en)}</span></td>'
            f"<td><code>{escape(k)}</code></td>"
            f"<td>{escape(display_unit(m.unit))}</td><td>{escape(definition_zh(k))}</td>"
            f"<td>{escape(denominator_zh(m)) or '—'}</td><td>{'是' if m.additive else '否'}</td>"
            f"<td>{'统计期间' if m.period else '截至日期'}</td></tr>"
        )
    return (
        '<section class="appendix"><h2>附：指标口径</h2><table class="definitions"><colgroup>'
        + "".join(f'<col style="width: {w}%">' for w in (14, 21, 7, 31, 12, 6, 9))
        + "</colgroup><thead><tr>"
        "<th>指标 Metric</th><th>指标键 Key</th><th>单位</th><th>定义（口径）</th><th>分母</th>"
        "<th>可加</th><th>时点/时期</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


_CSS = f"""
@page {{ size: A4 portrait; margin: 18mm 15mm 18mm 15mm; }}
* {{ box-sizing: border-box; }}
html {{ background: #fff; color: #000; }}
body {{ font-family: {SERIF}; font-size: 10.5pt; line-height: 1.6; margin: 0 auto;
  max-width: 190mm; padding: 12mm 5mm; }}
h1, h2, h3, th, figcaption, .kf-value {{ font-family: {SANS}; }}
h1 {{ font-size: 20pt; text-align: center; margin: 0 0 2mm; letter-spacing: 0.04em; }}
.subtitle {{ text-align: center; margin: 0 0 6mm; }}
h2 {{ font-size: 14pt; border-bottom: 1.2pt solid #000; padding-bottom: 1mm; margin: 8mm 0 3mm; }}
table {{ border-collapse: collapse; width: 100%; margin: 3mm 0; font-size: 9pt; }}
th, td {{ border: 0.5pt solid #000; padding: 0.8mm 1.5mm; vertical-align: top; }}
thead th {{ background: #eee; text-align: center; vertical-align: middle; }}
th.metric, tbody th {{ text-align: left; font-weight: normal; font-family: {SERIF}; }}
td.num {{ text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }}
td.unit {{ text-align: center; white-space: nowrap; }}
thead {{ display: table-header-group; }}
tr, figure, .kf {{ break-inside: avoid; page-break-inside: avoid; }}
table.meta th {{ width: 22mm; background: #eee; font-family: {SANS}; text-align: center; }}
ul.rules {{ margin: 0; padding-left: 4mm; }}
.params {{ display: block; font-size: 8.5pt; color: #333; }}
code {{ font-family: "Consolas", "Menlo", monospace; font-size: 8.5pt; }}
.kfs {{ display: flex; flex-wrap: wrap; gap: 3mm; }}
.kf {{ border: 0.5pt solid #000; padding: 2mm 3mm; min-width: 40mm; flex: 1 1 40mm; }}
.kf-value {{ font-size: 15pt; font-weight: bold; }}
.kf-unit {{ font-size: 9pt; font-weight: normal; margin-left: 1mm; }}
.kf-label {{ font-size: 9pt; }}
figure.chart {{ margin: 4mm 0 5mm; }}
figcaption {{ font-weight: bold; font-size: 10pt; text-align: center; margin-bottom: 1mm; }}
figcaption .unit {{ font-weight: normal; font-size: 9pt; }}
svg {{ display: block; margin: 0 auto; max-width: 100%; height: auto; }}
.continued {{ margin: 0; font-size: 9pt; text-align: right; }}
.notes {{ font-size: 9pt; margin-top: 6mm; border-top: 0.5pt solid #000; padding-top: 2mm; }}
table.definitions {{ font-size: 8pt; table-layout: fixed; }}
table.definitions td {{ overflow-wrap: anywhere; }}
table.definitions .en {{ font-size: 7pt; color: #444; }}
table.definitions code {{ font-size: 7.5pt; word-break: break-all; }}
@media print {{
  body {{ max-width: none; padding: 0; }}
  section.group ~ section.group, section.appendix {{ break-before: page; page-break-before: always; }}
  thead th, table.meta th {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
}}
"""


def report_html(report: DivisionReport) -> str:
    """The report as one self-contained, printable HTML page."""
    title = report_title(report)
    keys = metric_keys(report)
    sections = []
    for group in GROUPS:
        present = [k for k in keys if k.split(".", 1)[0] == group.key]
        if not present:
            continue
        charts = "".join(_charts(group, report, present))
        sections.append(
            f'<section class="group" id="group-{escape(group.key)}">'
            f"<h2>{_cn_number(group.number)}、{escape(group.zh)}</h2>"
            f"{charts}{_group_table(report, present)}"
            f"{_theme_section(report) if group.key == 'activity' else ''}</section>"
        )
    as_of = zh_date(report.as_of)
    notes = (
        '<div class="notes"><p>注：1. 表中“—”表示不适用（如比率的分母为零），0 即为零。2. 比率以百分数表示；'
        "评分为0–100分。3. “可加”指标满足上级 = Σ下级；比率、平均数与评分由汇总后的可加指标计算，不作加总。"
        "4. 各指标口径见附表；规则版本与参数见上表。</p></div>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f'<header><h1>{escape(title)}</h1><p class="subtitle">统计期间：'
        f"{escape(period_text(report, chinese_dates=True))}　截至日期：{escape(as_of)}</p></header>"
        f"{_meta(report)}{_key_figures(report)}{''.join(sections)}{notes}{_appendix(keys)}"
        "</body></html>\n"
    )
