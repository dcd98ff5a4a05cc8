"""Text that is data: the one place request text is normalised and refused (issue 12).

Names and free text are NFC-normalised, so one name typed on two keyboards is one name.
Refused with 422 ``invalid_text``: control characters (long text keeps newline and tab), NUL,
lone surrogates and bidi overrides (they can make a name read differently from what is
stored); and text with nothing visible (whitespace or zero-width characters only). The error
names the field; shared/api/errors.py turns it into the envelope.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo
from pydantic_core import PydanticCustomError

INVALID_TEXT = "invalid_text"
# pydantic refuses a lone surrogate before our validators run ("string_unicode"): same fault.
TEXT_ERRORS = frozenset({INVALID_TEXT, "string_unicode"})

# Cc (C0, DEL, C1), lone surrogates, and the bidi embeddings/overrides/isolates.
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_LONG_ALLOWED = frozenset("\n\t")
_INVISIBLE = frozenset("\u200b\u200c\u200d\ufeff\u2060")


def _refuse(info: ValidationInfo, zh: str, en: str) -> PydanticCustomError:
    field = info.field_name or "text"
    return PydanticCustomError(
        INVALID_TEXT, "{field}：{zh} / {field}: {en}", {"field": field, "zh": zh, "en": en}
    )


def clean_text(value: str, info: ValidationInfo, *, multiline: bool) -> str:
    for ch in _FORBIDDEN.findall(value):
        if multiline and ch in _LONG_ALLOWED:
            continue
        raise _refuse(
            info,
            f"含有不可接受的字符 U+{ord(ch):04X}（控制字符、双向覆盖符或代理项）",
            f"contains the character U+{ord(ch):04X} (control, bidi override or surrogate)",
        )
    text = unicodedata.normalize("NFC", value)
    if all(ch.isspace() or ch in _INVISIBLE for ch in text):
        raise _refuse(info, "不能为空或只含空白字符", "must not be blank or only invisible")
    return text


def _single_line(value: str, info: ValidationInfo) -> str:
    # Names are compared and printed on one line: surrounding blanks are noise, not data.
    return clean_text(value, info, multiline=False).strip()


def _multi_line(value: str, info: ValidationInfo) -> str:
    return clean_text(value, info, multiline=True)


def _optional_multi_line(value: str, info: ValidationInfo) -> str:
    # An optional text field may be sent empty (the default); blanks-only is still refused.
    return value if value == "" else _multi_line(value, info)


# A name: of an organisation, a person, a division, a platform, a project, a title.
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_single_line)]
# A short one-line token typed by a person: a round, a tranche, a rating, an inspector.
ShortText = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_single_line)]
# A reason, findings, grounds: may span lines.
LongText = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_multi_line)]
# Optional long text that defaults to "" (findings, a comment, a reason only some cases need).
OptionalLongText = Annotated[str, Field(max_length=2000), AfterValidator(_optional_multi_line)]
