"""The printable report in Chinese (issue 12 item 7)."""

from __future__ import annotations

import re

from shared.reporting import catalogue
from shared.reporting.html import report_html
from shared.reporting.zh import definition_zh, parameters_text
from tests.unit.test_export import make_report

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_metric_has_a_chinese_definition() -> None:
    english = [m.key for m in catalogue.METRICS if definition_zh(m.key) == m.definition]
    assert english == []
    assert all(CJK.search(definition_zh(m.key)) for m in catalogue.METRICS)
    assert definition_zh("density.share_meeting_standard") == "达标村（社区）数 ÷ 村（社区）数"
    assert definition_zh("organisations.by_field.mediation").count("矛盾调处") == 1


def test_the_appendix_and_rules_read_in_chinese() -> None:
    html = report_html(make_report())
    appendix = html[html.index('<section class="appendix">') :]
    assert definition_zh("organisations.active") in appendix
    assert catalogue.lookup("organisations.active").definition not in html
    assert "<th>定义（口径）</th>" in appendix and "<th>分母</th>" in appendix
    assert "<td>组织总数</td>" in appendix  # a denominator, in Chinese
    # rule parameters in words, not raw mappings
    assert "权重：活跃度 0.35、规范化 0.25" in html
    assert "城市社区最低组织数：10；行政村最低组织数：5" in html
    assert "weights=" not in html and "{" not in html[html.index("<body>") :].split("<svg")[0]


def test_parameters_text_handles_nesting_lists_and_booleans() -> None:
    text = parameters_text({"quotas": {"county": {"rate": 0.03}}, "x": [1, 2], "on": True})
    assert text == "抽查比例：县级 比例 0.03；x：1、2；on：是"


def cells_of_row(html: str, metric_zh: str) -> list[str]:
    row = re.search(rf'<th class="metric" scope="row">{re.escape(metric_zh)}</th>(.*?)</tr>', html)
    assert row, metric_zh
    return re.findall(r'<td class="num">(.*?)</td>', row.group(1))


def test_a_count_nobody_holds_is_zero_and_only_not_applicable_is_a_dash() -> None:
    html = report_html(make_report())
    # child 甲镇 has no entry for credit value B: none of its organisations holds it → 0
    county, first, second = cells_of_row(html, "信用评价：B")
    assert first == "0" and county != "—" and second != "—"
    # its compliance rate is null (no inspections): not applicable → —
    assert cells_of_row(html, "抽查合规率")[1] == "—"
