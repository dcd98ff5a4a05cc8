"""A volunteer's number in a village register is a pseudonym (ADR 0021): this refuses numbers
that would be personal data the register must not hold."""

from __future__ import annotations

import re

from shared.kernel.domain import InvalidInput

# 11 digits is a mainland mobile number, 15 or 18 (the last possibly X) an ID-card number; a
# register's own numbering never needs that many digits in a row.
_PERSONAL = re.compile(r"\d{11,}|\d{17}[\dXx]")
# What a register number looks like (the API's request model says the same): letters, digits
# and hyphens, at most 16, starting with a letter or digit.
NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,15}")


def check_number(number: str) -> None:
    """422 unless ``number`` is a register number and no personal data: for callers that do
    not come through the API's request model (the ledger import)."""
    if not NUMBER.fullmatch(number):
        raise InvalidInput(
            "invalid_volunteer_id",
            "志愿者编号只能由字母、数字和连字符组成，最多 16 位 / a volunteer number is 1–16"
            " letters, digits and hyphens",
        )
    check_pseudonym(number)


def check_pseudonym(number: str) -> None:
    """422 ``volunteer_id_personal`` if ``number`` looks like a phone or ID-card number."""
    if _PERSONAL.search(number):
        raise InvalidInput(
            "volunteer_id_personal",
            "志愿者编号不得使用手机号码或身份证号码，请使用本村（社区）名册编号 / a volunteer "
            "number must not be a phone or ID-card number; use the register's own number",
        )
