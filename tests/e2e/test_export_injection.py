"""Exports are data, never formulas, and never fail on a stored string (issue 12 item 3)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any
from uuid import UUID

from openpyxl import load_workbook

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.e2e.test_errors import apply
from tests.helpers import VILLAGE, Api, apps, meta, township_op, village_op

FORMULA = '=HYPERLINK("http://x","点击查看")'
# Stored before input checks existed (or by a path that bypasses the API).
CONTROLLED = "控制\x07字符\x00组"
CLEANED = "控制\ufffd字符\ufffd组"
SNEAKY_OPERATOR = "@SUM(1+1)"


def seed(api: Api) -> tuple[str, str]:
    formula = apply(api, name=FORMULA)
    v, t, _ = apps(api.platform)
    operator = Actor("v-sneaky", Tier.VILLAGE, VILLAGE, name=SNEAKY_OPERATOR)
    stored = str(
        v.apply_for_filing(
            VILLAGE, CONTROLLED, "culture_sports", date(2025, 1, 1), meta(operator)
        ).id
    )
    api.settle()
    for org in (formula, stored):
        t.decide_filing(UUID(org), True, "", meta(township_op()))
    api.settle()
    return formula, stored


def csv_cells(content: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for c in row]


def xlsx_cells(content: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(content))
    return [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row]


def assert_inert(cells_csv: list[str], cells_xlsx: list[Any], text: str) -> None:
    assert "'" + text in cells_csv
    assert text not in cells_csv
    assert not [c for c in cells_csv if c[:1] in ("=", "@")]
    matching = [c for c in cells_xlsx if c.value == text]
    assert matching, text
    for cell in matching:
        assert cell.data_type == "s"  # a string, not a formula
        assert cell.quotePrefix
    assert not [c for c in cells_xlsx if c.data_type == "f"]


def test_village_export_is_inert_and_survives_stored_control_characters(api: Api) -> None:
    seed(api)
    auth = api.auth(village_op())
    path = f"/api/v1/reports/{VILLAGE}/export"
    as_csv = api.village.get(f"{path}.csv", headers=auth)
    as_xlsx = api.village.get(f"{path}.xlsx", headers=auth)
    assert as_csv.status_code == as_xlsx.status_code == 200, (as_csv.text, as_xlsx.text)
    cells_csv, cells_xlsx = csv_cells(as_csv.content), xlsx_cells(as_xlsx.content)
    assert_inert(cells_csv, cells_xlsx, FORMULA)
    assert CLEANED in [c.value for c in cells_xlsx]
    assert CONTROLLED.replace("\x00", "\ufffd").replace("\x07", "\ufffd") in cells_csv


def test_timeline_export_is_inert_and_survives_stored_control_characters(api: Api) -> None:
    _, stored = seed(api)
    path = f"/api/v1/organisations/{stored}/timeline/export"
    auth = api.auth(village_op())
    as_csv = api.village.get(f"{path}.csv", headers=auth)
    as_xlsx = api.village.get(f"{path}.xlsx", headers=auth)
    assert as_csv.status_code == as_xlsx.status_code == 200, (as_csv.text, as_xlsx.text)
    assert_inert(csv_cells(as_csv.content), xlsx_cells(as_xlsx.content), SNEAKY_OPERATOR)


def test_formula_name_in_its_own_timeline_export(api: Api) -> None:
    formula, _ = seed(api)
    path = f"/api/v1/organisations/{formula}/timeline/export"
    auth = api.auth(village_op())
    as_csv = api.village.get(f"{path}.csv", headers=auth)
    as_xlsx = api.village.get(f"{path}.xlsx", headers=auth)
    assert as_csv.status_code == as_xlsx.status_code == 200
    # The name travels inside the event's JSON: present, but never at the start of a cell.
    assert any("HYPERLINK" in c for c in csv_cells(as_csv.content))
    assert not [c for c in csv_cells(as_csv.content) if c[:1] in ("=", "+", "@")]
    assert not [c for c in xlsx_cells(as_xlsx.content) if c.data_type == "f"]
