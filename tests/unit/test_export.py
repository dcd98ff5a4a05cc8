"""Report exports: CSV/XLSX with Chinese headers, JSON, list exports and the printable HTML."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest

from shared.reporting import catalogue
from shared.reporting.export import (
    metric_keys,
    report_csv,
    report_json,
    report_table,
    report_xlsx,
    table_csv,
    table_xlsx,
)
from shared.reporting.html import Series, bar_chart, report_html
from shared.reporting.model import DivisionReport, canonical

COUNTY = "330699000000"
FAMILY_VALUES = ("A", "B")


def _value(metric: catalogue.Metric, scale: int, index: int) -> int | float:
    """A plausible value for one figure of a division ``scale`` times the smallest child."""
    if metric.unit == "ratio":
        return round(0.1 * scale, 4)
    if metric.unit == "score":
        return 60.5 + scale
    if metric.unit == "average":
        return round(2.25 * scale, 4)
    if metric.unit == "per 10,000":
        return 12.5 * scale
    if metric.unit == "元":
        return 1000.0 * scale * (index % 7 + 1)
    return scale * (index % 9 + 1)


def make_figures(scale: int, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """Figures for every catalogue key (``*`` families as A and B), nested like a report's."""
    figures: dict[str, Any] = {}
    for index, m in enumerate(catalogue.METRICS):
        keys = [m.key.replace("*", v) for v in FAMILY_VALUES] if "*" in m.key else [m.key]
        for key in keys:
            if key in drop:
                continue
            node = figures
            *path, leaf = key.split(".")
            for part in path:
                node = node.setdefault(part, {})
            node[leaf] = _value(m, scale, index)
    # what division_report really emits next to the figures: parameters, not figures
    figures["zombies"]["window_months"] = 12
    figures["density"]["standard"] = {"urban_min": 10, "rural_min": 5}
    return figures


def make_report(first_child: str = "甲镇") -> DivisionReport:
    never = ("platforms.incubators",)  # absent from every division: no row
    county = make_figures(3, drop=never)
    one = make_figures(1, drop=(*never, "ratings.by_credit.B"))
    one["supervision"]["compliance_rate"] = None  # no inspections: zero denominator
    two = make_figures(2, drop=never)
    return DivisionReport.model_validate(
        {
            "division": {"code": COUNTY, "name": "示范县", "tier": "county", "area": None},
            "as_of": "2026-06-30",
            "period": {"from": "2026-01-01", "to": "2026-06-30", "label": "2026-H1"},
            "rules": {
                "density": {
                    "version": "density/2017-national/v1",
                    "effective_from": "2017-12-27",
                    "parameters": {"urban_min_per_community": 10, "rural_min_per_village": 5},
                },
                "zombie": {
                    "version": "zombie/12-months/v1",
                    "effective_from": "2017-12-27",
                    "parameters": {"window_months": 12},
                },
                "ranking": {
                    "version": "ranking/four-dimensions/v1",
                    "effective_from": "2017-12-27",
                    "parameters": {"weights": {"activity": 0.35, "standardisation": 0.25}},
                },
            },
            "rule_versions": {"density": "density/2017-national/v1"},
            "watermarks": {"village": 1234, "township": 567, "county": 89},
            "tree": {"basis": "as_of", "on": "2026-06-30", "changes_applied": 0, "retired": {}},
            "figures": county,
            "approvals": {"counts": {}, "total": 0},
            "children": [
                {
                    "code": "330699001000",
                    "name": first_child,
                    "tier": "township",
                    "area": None,
                    "figures": one,
                    "links": {},
                },
                {
                    "code": "330699002000",
                    "name": "乙镇",
                    "tier": "township",
                    "area": None,
                    "figures": two,
                    "links": {},
                },
            ],
            "links": {},
        }
    )


@pytest.fixture
def report() -> DivisionReport:
    return make_report()


# ------------------------------------------------------------------ the table


def test_table_rows_follow_the_catalogue(report: DivisionReport) -> None:
    headers, rows = report_table(report)
    assert headers[:4] == ["分组 Group", "指标 Metric", "单位 Unit", "可加 Additive"]
    assert headers[4:] == ["示范县（本级合计）", "甲镇", "乙镇"]
    keys = metric_keys(report)
    assert len(rows) == len(keys)
    assert "platforms.incubators" not in keys  # absent everywhere
    assert "zombies.window_months" not in keys  # not a catalogued figure
    assert keys[0] == "organisations.active"
    credit = keys.index("ratings.by_credit.A")
    assert keys[credit - 1] == "ratings.grade_3a_plus"
    assert keys[credit + 1 : credit + 3] == ["ratings.by_credit.B", "ratings.stars.5"]
    # group order is GROUPS order
    groups = [k.split(".", 1)[0] for k in keys]
    order = [g.key for g in catalogue.GROUPS]
    assert groups == sorted(groups, key=order.index)

    by_metric = {row[1]: row for row in rows}
    assert by_metric["组织总数"] == ["组织数量", "组织总数", "个", "是", 3, 1, 2]
    assert by_metric["党建入章率"][2:] == ["%", "否", 0.3, 0.1, 0.2]
    county, first, second = by_metric["信用评价：B"][4:]
    assert isinstance(second, int) and isinstance(county, int)
    assert first is None and county == 3 * second // 2  # missing in one division only
    assert by_metric["抽查合规率"][4:] == [0.3, None, 0.2]


# ------------------------------------------------------------------ CSV


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_has_a_preamble_then_the_table(report: DivisionReport) -> None:
    rows = _csv_rows(report_csv(report))
    preamble = {r[0]: r[1] for r in rows[: rows.index([])]}
    assert preamble["报表"] == "示范县 社区社会组织发展情况报告"
    assert preamble["区划"].startswith("示范县（330699000000")
    assert preamble["截至日期"] == "2026-06-30"
    assert preamble["统计期间"] == "2026-01-01 至 2026-06-30（2026-H1）"
    assert "density/2017-national/v1" in preamble["规则版本"]
    assert "zombie/12-months/v1" in preamble["规则版本"]
    assert "1234" in preamble["数据水位"] and "89" in preamble["数据水位"]

    table = rows[rows.index([]) + 1 :]
    assert table[0] == [
        "分组 Group",
        "指标 Metric",
        "单位 Unit",
        "可加 Additive",
        "示范县（本级合计）",
        "甲镇",
        "乙镇",
    ]
    by_metric = {r[1]: r for r in table[1:]}
    assert by_metric["组织总数"][4:] == ["3", "1", "2"]
    assert by_metric["党建入章率"][4:] == ["30.0%", "10.0%", "20.0%"]
    assert by_metric["抽查合规率"][4:] == ["30.0%", "", "20.0%"]  # None: empty cell
    assert by_metric["资助金额"][2] == "元"
    assert re.fullmatch(r"\d+\.00", by_metric["资助金额"][4])


# ------------------------------------------------------------------ XLSX


def test_xlsx_sheets_headers_formats_and_values(report: DivisionReport) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(report_xlsx(report)))
    assert wb.sheetnames == ["报表", "说明"]
    ws = wb["报表"]
    header = [c.value for c in ws[1]]
    assert header == [
        "分组 Group",
        "指标 Metric",
        "单位 Unit",
        "可加 Additive",
        "示范县（本级合计）",
        "甲镇",
        "乙镇",
    ]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2")
    rows = {r[1].value: r for r in ws.iter_rows(min_row=2)}
    active = rows["组织总数"]
    assert [c.value for c in active[4:]] == [3, 1, 2]
    rate = rows["党建入章率"][4]
    assert rate.value == pytest.approx(0.3)
    assert rate.number_format == "0.0%"
    assert rows["抽查合规率"][5].value is None
    money = rows["资助金额"][4]
    assert money.value == report.figures["funding"]["awarded_yuan"]
    assert money.number_format == "#,##0.00"
    assert ws.column_dimensions["B"].width >= 10

    notes = wb["说明"]
    cells = [[c for c in row] for row in notes.iter_rows(values_only=True)]
    flat = [v for row in cells for v in row if v is not None]
    assert "示范县 社区社会组织发展情况报告" in flat
    assert "2026-06-30" in flat
    assert "density/2017-national/v1" in flat and "zombie/12-months/v1" in flat
    assert "urban_min_per_community" in flat and 1234 in flat
    defs = {row[0]: row for row in cells if row and isinstance(row[0], str) and "." in row[0]}
    rate_row = defs["party_building.party_clause_rate"]
    assert rate_row[2] == "党建入章率"
    assert rate_row[5] == catalogue.lookup("party_building.party_clause_rate").definition
    assert rate_row[6] == "active organisations" and rate_row[7] == "否"
    assert defs["ratings.by_credit.A"][2] == "信用评价：A"
    assert set(defs) == set(metric_keys(report))


# ------------------------------------------------------------------ JSON and list exports


def test_json_keeps_chinese_readable(report: DivisionReport) -> None:
    data = report_json(report)
    assert "示范县".encode() in data
    assert json.loads(data) == canonical(report)


COLUMNS = [
    ("name", "组织名称"),
    ("village_code", "村（社区）代码"),
    ("reasons", "原因"),
    ("score", "得分"),
    ("last_activity_on", "最后活动日期"),
]
LIST_ROWS = [
    {
        "name": "夕阳红舞蹈队",
        "village_code": "330699001001",
        "reasons": ["无活动", "未报年报"],
        "score": 81.5,
        "last_activity_on": None,
    },
    {
        "name": "邻里互助社",
        "village_code": "330699002001",
        "reasons": [],
        "score": 3,
        "last_activity_on": "2025-05-01",
        "ignored": "not a column",
    },
]


def test_table_csv_round_trips_rows() -> None:
    rows = _csv_rows(table_csv(COLUMNS, LIST_ROWS))
    assert rows == [
        ["组织名称", "村（社区）代码", "原因", "得分", "最后活动日期"],
        ["夕阳红舞蹈队", "330699001001", "无活动；未报年报", "81.5", ""],
        ["邻里互助社", "330699002001", "", "3", "2025-05-01"],
    ]


def test_table_xlsx_round_trips_rows() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(table_xlsx("僵尸组织名单", COLUMNS, LIST_ROWS)))
    assert wb.sheetnames == ["僵尸组织名单"]
    rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
    assert rows == [
        ["组织名称", "村（社区）代码", "原因", "得分", "最后活动日期"],
        ["夕阳红舞蹈队", "330699001001", "无活动；未报年报", 81.5, None],
        ["邻里互助社", "330699002001", None, 3, "2025-05-01"],
    ]
    assert wb.active["A1"].font.bold


def test_table_xlsx_sanitises_the_sheet_title() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(table_xlsx("排名 2026/H1 [县级]", COLUMNS, [])))
    assert wb.sheetnames == ["排名 2026_H1 _县级_"]


# ------------------------------------------------------------------ HTML


VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr", "source", "area", "base"}


class Checker(HTMLParser):
    """Checks that every element is closed in order and collects the SVG bars."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.svgs = 0
        self.figure: str | None = None
        self.bars: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "svg":
            self.svgs += 1
        if tag == "figure":
            self.figure = a.get("id")
        if tag == "rect" and "bar" in a.get("class", "").split():
            self.bars.append({**a, "figure": self.figure or ""})
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
            return
        self.stack.pop()


def parse(html: str) -> Checker:
    checker = Checker()
    checker.feed(html)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    return checker


def bars(checker: Checker, figure: str, series: str | None = None) -> dict[str, float]:
    return {
        b["data-category"]: float(b["width"])
        for b in checker.bars
        if b["figure"] == figure and (series is None or b["data-series"] == series)
    }


def test_html_is_a_self_contained_report_with_charts(report: DivisionReport) -> None:
    html = report_html(report)
    checker = parse(html)
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>示范县 社区社会组织发展情况报告</title>" in html
    assert "@media print" in html and "size: A4" in html
    assert re.search(r"<(script|link)\b", html) is None  # nothing external, no scripts
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert checker.svgs >= 6
    for figure in (
        "chart-organisations-by-division",
        "chart-organisations-by-field",
        "chart-density",
        "chart-party-building",
        "chart-activity",
        "chart-zombies",
        "chart-funding",
        "chart-grades",
    ):
        assert f'id="{figure}"' in html
    for text in ("2026年6月30日", "2026-H1", "density/2017-national/v1", "1234"):
        assert text in html
    # one numbered section per group, names from the catalogue
    assert "一、组织数量" in html and "十、服务平台" in html
    assert "组织总数" in html and "党建入章率" in html and "30.0%" in html
    assert "—" in html  # the None compliance rate


def test_html_bars_are_proportional(report: DivisionReport) -> None:
    checker = parse(report_html(report))
    zombies = bars(checker, "chart-zombies")
    assert set(zombies) == {"甲镇", "乙镇"}
    assert zombies["乙镇"] == pytest.approx(2 * zombies["甲镇"], abs=0.02)
    assert zombies["甲镇"] > 0
    registered = bars(checker, "chart-organisations-by-division", "登记")
    assert registered["乙镇"] == pytest.approx(2 * registered["甲镇"], abs=0.02)
    rates = bars(checker, "chart-party-building", "党建入章率")
    assert rates["乙镇"] == pytest.approx(2 * rates["甲镇"], abs=0.02)


def test_html_escapes_division_names() -> None:
    html = report_html(make_report(first_child='<script>alert("x")</script>村'))
    parse(html)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;村" in html


def test_bar_chart_handles_zero_none_and_empty() -> None:
    zero = parse(bar_chart("z", "全零", ["甲", "乙"], [Series("数", [0, 0])]))
    assert [float(b["width"]) for b in zero.bars] == [0.0, 0.0]
    none = bar_chart("n", "缺值", ["甲", "乙"], [Series("率", [None, 0.5])], percent=True)
    checker = parse(none)
    assert "—" in none and "50.0%" in none
    widths = {b["data-category"]: float(b["width"]) for b in checker.bars}
    assert widths["甲"] == 0 and widths["乙"] > 0
    empty = bar_chart("e", "无子区划", [], [Series("数", [])])
    parse(empty)
    assert "无数据" in empty
    vertical = parse(
        bar_chart("v", "纵向", ["5A级", "4A级"], [Series("数", [4, 2])], horizontal=False)
    )
    heights = {b["data-category"]: float(b["height"]) for b in vertical.bars}
    assert heights["5A级"] == pytest.approx(2 * heights["4A级"], abs=0.02)
    long_name = "某某县某某镇某某街道某某社区居民委员会" * 3
    long = bar_chart("l", "长名", [long_name], [Series("数", [1])])
    parse(long)
    assert f'data-category="{long_name}"' in long  # whole in the bar and its tooltip
    assert f">{long_name}</text>" not in long and "…</text>" in long  # cut on the axis


def test_html_for_a_division_without_children(report: DivisionReport) -> None:
    report.children = []
    checker = parse(report_html(report))
    assert bars(checker, "chart-zombies") == {
        "示范县": pytest.approx(bars(checker, "chart-zombies")["示范县"])
    }
    assert checker.svgs >= 6
