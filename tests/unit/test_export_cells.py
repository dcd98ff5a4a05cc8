"""Export cells (shared/reporting/cells.py): formula-leading text inert, numbers untouched,
unstorable characters replaced."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from shared.reporting import export
from shared.reporting.cells import csv_cell, storable


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1", "=", "-"])
def test_formula_leading_text_gets_the_owasp_prefix(text: str) -> None:
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-3", "+1.5", "-1,234.50", "12%", "文昌社区", "", 5, None, -2.5])
def test_numbers_and_plain_text_are_left_alone(value: object) -> None:
    assert csv_cell(value) == value


def test_unstorable_characters_become_replacement_characters() -> None:
    assert storable("a\x00b\x1fc\ud800d\ne\tf") == "a\ufffdb\ufffdc\ufffdd\ne\tf"


def test_table_exports_hold_any_stored_string() -> None:
    columns = [("name", "名称"), ("n", "数量")]
    rows = [{"name": "=1+1", "n": -3}, {"name": "坏\x0b名\ud800", "n": 1}]
    lines = list(csv.reader(io.StringIO(export.table_csv(columns, rows).decode("utf-8-sig"))))
    assert lines[1:] == [["'=1+1", "-3"], ["坏\ufffd名\ufffd", "1"]]
    sheet = load_workbook(io.BytesIO(export.table_xlsx("名单", columns, rows))).active
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == -3
    assert sheet["A3"].value == "坏\ufffd名\ufffd"
