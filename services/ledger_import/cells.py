"""One cell of a ledger row parsed by its column's kind, or a row error in Chinese.

Clerks type dates every way a spreadsheet lets them: ``2026-03-01``, ``2026/3/1``,
``2026年3月1日``, or an Excel date (a ``datetime`` from openpyxl, or a serial number from a CSV
saved by Excel). Text goes through the API's own text types (``shared/api/text.py``: NFC, no
control characters, lengths), so an imported name is refused exactly where the API would
refuse it. Text that starts like a formula (``=``, ``+``, ``-``, ``@``) is data: it is kept as
typed, and the report writer stores it as text (``shared/reporting/cells.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import TypeAdapter, ValidationError

from services.ledger_import.sheets import (
    CHOICE,
    CODE,
    COURSE_KIND,
    DATE,
    HOURS,
    IDS,
    INT,
    KEY,
    MONEY,
    NAME,
    NAMES,
    SCORE,
    TEXT,
    THEMES,
    USCI,
    Column,
)
from shared.api.text import LongText, Name, ShortText
from shared.kernel.usci import USCIError, civil_affairs_legal_form

_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_SERIAL = re.compile(r"^\d{5}(\.0+)?$")  # an Excel day number that a CSV kept as a number
_EXCEL_EPOCH = date(1899, 12, 30)
_SPLIT = re.compile(r"[、,，;；/\s]+")
_THEMES_SPLIT = re.compile(r"[、,，;；\s]+")
_NAME, _SHORT, _LONG = TypeAdapter(Name), TypeAdapter(ShortText), TypeAdapter(LongText)
MAX_KEY = 64
MAX_COUNT = 10_000_000  # as services/village/api.py: keeps sums inside integer columns


@dataclass(frozen=True)
class CellError(Exception):
    code: str
    message: str  # 中文


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse(column: Column, value: Any) -> Any:
    """The cell's value for the recorder (None when blank), or raise :class:`CellError`."""
    if blank(value):
        if column.required:
            raise CellError("required", f"“{column.header}”为必填项")
        return None
    kind = column.kind
    if kind == DATE:
        return parse_date(value)
    if kind in (INT, MONEY, HOURS, SCORE):
        return parse_number(kind, value)
    text = _text(value)
    if kind == CHOICE:
        if text not in column.choices:
            raise CellError("invalid_choice", f"“{text}”不是可选值，应为：{column.allowed()}")
        return column.choices[text]
    if kind == CODE:
        if not re.fullmatch(r"\d{12}", text):
            raise CellError("invalid_code", f"“{text}”不是 12 位区划代码")
        return text
    if kind == USCI:
        code = text.upper()
        try:
            civil_affairs_legal_form(code)
        except USCIError as e:
            raise CellError(e.code, _USCI_ZH.get(e.code, "统一社会信用代码不正确")) from None
        return code
    if kind == KEY:
        if len(text) > MAX_KEY:
            raise CellError("key_too_long", f"编号不能超过 {MAX_KEY} 个字符")
        return _checked(_SHORT if len(text) <= 50 else _NAME, text)
    if kind == NAME:
        return _checked(_NAME, text)
    if kind in (NAMES, IDS):
        names = [n for n in _SPLIT.split(text) if n]
        return [_checked(_SHORT, n) for n in names]
    if kind == THEMES:
        # Names or codes as typed: which vocabulary they belong to depends on the activity's
        # date, so the recorder resolves them and the command checks them (ADR 0019).
        return [_checked(_SHORT, n) for n in _THEMES_SPLIT.split(text) if n]
    if kind == COURSE_KIND:
        # A name or code as typed: the recorder resolves it against the training rules of the
        # course's first day, and the command refuses what is not in force (ADR 0024).
        return _checked(_SHORT, text)
    assert kind == TEXT
    return _checked(_LONG, text)


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(float(value))
    text = str(value).strip()
    if _SERIAL.fullmatch(text):
        return _serial(float(text))
    if m := _DATE.fullmatch(text):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    raise CellError(
        "invalid_date", f"“{text}”不是有效日期（应如 2026-03-01、2026/3/1、2026年3月1日）"
    )


def _serial(days: float) -> date:
    if not 1 <= days < 2_958_466:  # Excel's range: 1900-01-01 to 9999-12-31
        raise CellError("invalid_date", f"“{days:g}”不是有效的 Excel 日期")
    return _EXCEL_EPOCH + timedelta(days=int(days))


def parse_number(kind: str, value: Any) -> int | Decimal:
    text = str(value).strip().replace(",", "").replace("，", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError("invalid_number", f"“{text}”不是数字") from None
    if not number.is_finite() or number < 0:
        raise CellError("invalid_number", f"“{text}”应为非负数")
    if kind == INT:
        if number != number.to_integral_value() or number > MAX_COUNT:
            raise CellError("invalid_number", f"“{text}”应为不超过 {MAX_COUNT} 的整数")
        return int(number)
    cents = number.quantize(Decimal("0.01"))
    if cents != number:
        raise CellError("invalid_number", f"“{text}”最多两位小数")
    if number >= Decimal(10) ** (12 if kind == MONEY else 8):
        raise CellError("invalid_number", f"“{text}”超出范围")
    return cents


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 2020 typed in a text column, stored by Excel as 2020.0
    return str(value).strip()


def _checked(adapter: TypeAdapter[str], text: str) -> str:
    try:
        return adapter.validate_python(text)
    except ValidationError as e:
        error = e.errors()[0]
        if error["type"] == "string_too_long":
            raise CellError("text_too_long", "内容过长") from None
        raise CellError("invalid_text", "内容含控制字符、不可见字符或为空") from None


_USCI_ZH = {
    "usci_invalid": "统一社会信用代码校验不通过，请核对后重新填写",
    "usci_not_civil_affairs": "不是民政部门登记的统一社会信用代码（首位应为 5）",
    "usci_unknown_category": "统一社会信用代码的机构类别不正确",
}
