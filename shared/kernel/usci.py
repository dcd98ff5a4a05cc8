"""Unified social credit code (统一社会信用代码), GB 32100-2015.

Check character rule as stated in the domain brief (§2): 31-symbol set without I O S V Z,
weights 3^(i-1) mod 31, check value (31 - Σ value·weight mod 31) mod 31. Web pages that describe
"mod 11" or naive letter values are wrong; the test vectors in tests/unit/test_usci.py pin this.
"""

from __future__ import annotations

from enum import StrEnum

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]

CIVIL_AFFAIRS = "5"  # registration-authority code for civil affairs (民政)


class LegalForm(StrEnum):
    """Legal form of a civil-affairs organisation, from USCI position 2; filed groups have none."""

    SOCIAL_GROUP = "social_group"  # 社会团体
    PRIVATE_NON_ENTERPRISE = "private_non_enterprise"  # 民办非企业单位 / 社会服务机构
    FOUNDATION = "foundation"  # 基金会
    OTHER = "other"
    FILED_GROUP = "filed_group"  # 备案社区社会组织 (no legal person, no USCI)


_FORMS = {
    "1": LegalForm.SOCIAL_GROUP,
    "2": LegalForm.PRIVATE_NON_ENTERPRISE,
    "3": LegalForm.FOUNDATION,
    "9": LegalForm.OTHER,
}


class USCIError(ValueError):
    """Invalid code; ``code`` is a machine-readable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_character(first17: str) -> str:
    """The 18th character for the first 17 characters of a code."""
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """True if ``code`` is 18 characters from the set with a correct check character."""
    return (
        len(code) == 18
        and all(c in VALUES for c in code)
        and check_character(code[:17]) == code[17]
    )


def civil_affairs_legal_form(code: str) -> LegalForm:
    """Validate a civil-affairs USCI and return the legal form it encodes, or raise USCIError."""
    if not is_valid(code):
        raise USCIError("usci_invalid", f"{code!r} is not a valid unified social credit code")
    if code[0] != CIVIL_AFFAIRS:
        raise USCIError(
            "usci_not_civil_affairs",
            f"{code!r} was not issued by civil affairs (first character must be 5)",
        )
    form = _FORMS.get(code[1])
    if form is None:
        raise USCIError("usci_unknown_category", f"{code!r} has unknown category {code[1]!r}")
    return form
