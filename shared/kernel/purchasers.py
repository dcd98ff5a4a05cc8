"""Purchasing departments (购买主体) of government purchase of services: a versioned code list,
rules family ``purchasers`` (ADR 0021 addendum), like the activity themes (ADR 0019).

A county names the departments that buy services (民政局, 财政局, 团委 …); departments are
renamed with each reform, so the list is rule data with versions, and a purchase is checked
against the version in force on its own date. A department is given by its code, its Chinese
name or one of the version's aliases (区民政局, 县民政局 …); ``other`` (其他) needs the
department's name as text. What is stored is the code and the text shown for it (the Chinese
name, or the text given for 其他), so an older reader still finds a department name in
``purchaser``.

A rules file without the family (one written before it) keeps the old behaviour: free text,
no code. Awards recorded before the list existed carry their text and no code; reports put
them under :data:`UNCLASSIFIED` with their text as recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.kernel.domain import Conflict, InvalidInput
from shared.kernel.rules import RuleNotInForce, Rules, RuleVersion

FAMILY = "purchasers"
OTHER = "other"
# Where a report puts a purchase recorded as free text before the code list existed.
UNCLASSIFIED = "unclassified"
UNCLASSIFIED_ZH = "其他/未分类"
# The read model's and the events' limit on the department's text (ADR 0021).
MAX_TEXT = 50


@dataclass(frozen=True)
class Purchaser:
    code: str
    zh: str
    aliases: tuple[str, ...] = ()


def purchasers_of(version: RuleVersion) -> tuple[Purchaser, ...]:
    return tuple(
        Purchaser(str(p["code"]), str(p["zh"]), tuple(str(a) for a in p.get("aliases", ())))
        for p in version.parameters.get("purchasers", ())
    )


def names(rules: Rules) -> dict[str, str]:
    """Every code any version listed, with its Chinese name (the latest version's wins)."""
    versions = sorted(rules.families.get(FAMILY, ()), key=lambda v: v.effective_from)
    return {p.code: p.zh for v in versions for p in purchasers_of(v)}


def resolve(
    rules: Rules, given: str | None, other: str | None, on: date
) -> tuple[str | None, str | None]:
    """``(code, text)`` for the department ``given`` (code, name or alias) on day ``on``;
    ``other`` is the department's name when ``given`` is 其他. ``(None, None)`` when nothing is
    given; ``(None, given)`` when the rules file has no list (free text, as before it).

    Refusals: 422 ``unknown_purchaser`` (in no version), ``purchaser_other_required`` (其他
    without a name), ``purchaser_other_not_allowed`` (a name beside a listed department),
    ``purchaser_too_long``; 409 ``purchaser_not_in_force`` (listed, but not on that day)."""
    given = (given or "").strip() or None
    other = (other or "").strip() or None
    if given is None:
        if other is not None:
            raise _other_not_allowed()
        return None, None
    if FAMILY not in rules.families:
        return None, _text(given)
    try:
        version = rules.version_on(FAMILY, on)
        listed = purchasers_of(version)
    except RuleNotInForce:
        version, listed = None, ()
    match = next((p for p in listed if given in (p.code, p.zh, *p.aliases)), None)
    if match is None:
        every = [p for v in rules.families[FAMILY] for p in purchasers_of(v)]
        if any(given in (p.code, p.zh, *p.aliases) for p in every):
            named = f"（{version.version}）" if version else "（当日尚无购买主体目录）"
            raise Conflict(
                "purchaser_not_in_force",
                f"购买主体“{given}”在 {on.isoformat()} 不在生效的购买主体目录中{named} / "
                f"purchaser {given!r} is not in the list in force on {on.isoformat()}",
            )
        allowed = "、".join(p.zh for p in listed)
        raise InvalidInput(
            "unknown_purchaser",
            f"未知的购买主体“{given}”，应为：{allowed}（不在目录中的部门请选“其他”并填写部门名称）"
            f" / unknown purchaser {given!r}: give a listed department, or other with its name",
        )
    if match.code == OTHER:
        if other is None:
            raise InvalidInput(
                "purchaser_other_required",
                "购买主体选“其他”时须填写部门名称 / purchaser other needs the department's name",
            )
        return OTHER, _text(other)
    if other is not None:
        raise _other_not_allowed()
    return match.code, match.zh


def _text(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            "purchaser_too_long",
            f"购买主体最多 {MAX_TEXT} 字 / the purchaser is at most {MAX_TEXT} characters",
        )
    return text


def _other_not_allowed() -> InvalidInput:
    return InvalidInput(
        "purchaser_other_not_allowed",
        "只有购买主体为“其他”时填写部门名称 / a department name goes with purchaser other only",
    )
