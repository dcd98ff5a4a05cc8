"""Ledger cells (ADR 0020): the date forms clerks type, numbers, code lists, USCI, text."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from services.ledger_import.cells import CellError, parse, parse_date
from services.ledger_import.sheets import BY_NAME
from tests.helpers import usci

ORGS, ACTIVITIES = BY_NAME["组织"], BY_NAME["活动"]


@pytest.mark.parametrize(
    "typed",
    ["2026-03-01", "2026/3/1", "2026年3月1日", " 2026.03.01 ", datetime(2026, 3, 1, 0, 0), 46082],
)
def test_every_date_form_a_clerk_types(typed: object) -> None:
    assert parse_date(typed) == date(2026, 3, 1)


def test_an_excel_serial_kept_as_text_by_a_csv() -> None:
    assert parse_date("46082") == date(2026, 3, 1)


@pytest.mark.parametrize("typed", ["2026-02-30", "2026-13-01", "不详", "3/1/2026", "0"])
def test_what_is_not_a_date_is_refused_in_chinese(typed: object) -> None:
    with pytest.raises(CellError) as e:
        parse_date(typed)
    assert e.value.code == "invalid_date" and "日期" in e.value.message


def test_numbers_counts_and_money() -> None:
    participants = ACTIVITIES.column("participants")
    money = ACTIVITIES.column("money_spent")
    assert parse(participants, "1,200") == 1200
    assert parse(participants, 30.0) == 30
    assert parse(money, "120.5") == Decimal("120.50")
    for bad in ("-1", "2.5", "abc", "NaN", "1e30"):
        with pytest.raises(CellError):
            parse(participants, bad)
    with pytest.raises(CellError):
        parse(money, "1.005")


def test_code_lists_required_usci_and_text() -> None:
    assert parse(ORGS.column("field"), "文体") == "culture_sports"
    with pytest.raises(CellError) as e:
        parse(ORGS.column("field"), "体育")
    assert e.value.code == "invalid_choice" and "为民服务" in e.value.message
    with pytest.raises(CellError) as e:
        parse(ORGS.column("name"), "  ")
    assert e.value.code == "required" and e.value.message == "“组织名称”为必填项"
    assert parse(ORGS.column("usci"), usci(3).lower()) == usci(3)
    with pytest.raises(CellError) as e:
        parse(ORGS.column("usci"), "91330699MA0000001X")
    assert e.value.code in ("usci_invalid", "usci_not_civil_affairs")
    with pytest.raises(CellError) as e:
        parse(ORGS.column("name"), "名\u202e称")  # a bidi override: refused as the API does
    assert e.value.code == "invalid_text"
    formula = '=HYPERLINK("http://x","点击")'
    assert parse(ORGS.column("name"), formula) == formula  # data, kept as typed
    assert parse(ORGS.column("village"), 330699001001.0) == "330699001001"


def test_ledger_keys_cannot_collide_with_another_rows_step() -> None:
    from types import SimpleNamespace
    from typing import Any, cast

    from services.ledger_import.recorder import Recorder

    platform: Any = SimpleNamespace(jurisdiction=SimpleNamespace(county=SimpleNamespace(code="C")))
    r = Recorder(platform, "sha", cast(Any, {}), 30)
    assert r.key("组织", "A", "备案") == "ledger:C:组织:A:备案"
    assert r.key("组织", "A:备案") == "ledger:C:组织:A%3A备案"
    assert r.key("组织", "A%3A备案") == "ledger:C:组织:A%253A备案"
