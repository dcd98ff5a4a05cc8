"""A volunteer's number in a village register is a pseudonym (ADR 0021): this refuses numbers
that would be personal data the register must not hold."""

from __future__ import annotations

import re

from shared.kernel.domain import InvalidInput

# 11 digits is a mainland mobile number, 15 or 18 (the last possibly X) an ID-card number; a
# register's own numbering never needs that many digits in a row.
_PERSONAL = re.compile(r"\d{11,}|\d{17}[\dXx]")


def check_pseudonym(number: str) -> None:
    """422 ``volunteer_id_personal`` if ``number`` looks like a phone or ID-card number."""
    if _PERSONAL.search(number):
        raise InvalidInput(
            "volunteer_id_personal",
            "志愿者编号不得使用手机号码或身份证号码，请使用本村（社区）名册编号 / a volunteer "
            "number must not be a phone or ID-card number; use the register's own number",
        )
