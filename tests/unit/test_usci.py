"""USCI check character (GB 32100-2015, domain.md §2) and civil-affairs legal forms."""

from __future__ import annotations

import pytest

from shared.kernel.usci import (
    CHARSET,
    WEIGHTS,
    LegalForm,
    USCIError,
    civil_affairs_legal_form,
    is_valid,
)

# The rule as the brief states it, written out independently of shared.kernel.usci.
RULE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
RULE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def reference_check(first17: str) -> str:
    total = sum(RULE_CHARSET.index(c) * w for c, w in zip(first17, RULE_WEIGHTS, strict=True))
    return RULE_CHARSET[(31 - total % 31) % 31]


def test_charset_and_weights_follow_the_rule() -> None:
    assert CHARSET == RULE_CHARSET
    assert len(CHARSET) == 31 and not set("IOSVZ") & set(CHARSET)
    assert WEIGHTS == RULE_WEIGHTS


@pytest.mark.parametrize("code", ["91110000600037341L", "91350100M000100Y43"])
def test_published_valid_examples(code: str) -> None:
    assert is_valid(code)
    assert reference_check(code[:17]) == code[17]


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y4Z",  # the brief's invalid example: wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y433",  # 19 characters
        "91350100m000100Y43",  # lower case is not in the set
        "91350100O000100Y43",  # O is excluded from the set
        "",
    ],
)
def test_invalid_codes(code: str) -> None:
    assert not is_valid(code)


def test_every_single_character_change_is_detected() -> None:
    code = "91350100M000100Y43"
    for i in range(17):
        for c in CHARSET:
            if c != code[i]:
                assert not is_valid(code[:i] + c + code[i + 1 :]), (i, c)


@pytest.mark.parametrize(
    ("code", "form"),
    [
        ("51330699MJ0000001B", LegalForm.SOCIAL_GROUP),
        ("52330699MJ00000018", LegalForm.PRIVATE_NON_ENTERPRISE),
        ("53330699MJ00000015", LegalForm.FOUNDATION),
        ("59330699MJ0000001J", LegalForm.OTHER),
    ],
)
def test_civil_affairs_legal_forms(code: str, form: LegalForm) -> None:
    assert reference_check(code[:17]) == code[17]
    assert civil_affairs_legal_form(code) is form


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y4Z", "usci_invalid"),
        ("51330699MJ0000001C", "usci_invalid"),
        (
            "91110000600037341L",
            "usci_not_civil_affairs",
        ),  # valid, but issued by industry & commerce
        ("91350100M000100Y43", "usci_not_civil_affairs"),
    ],
)
def test_civil_affairs_rejections(code: str, reason: str) -> None:
    with pytest.raises(USCIError) as raised:
        civil_affairs_legal_form(code)
    assert raised.value.code == reason


def test_unknown_civil_affairs_category() -> None:
    first17 = "54330699MJ0000001"
    with pytest.raises(USCIError) as raised:
        civil_affairs_legal_form(first17 + reference_check(first17))
    assert raised.value.code == "usci_unknown_category"
