"""Activity themes (活动主题): a versioned vocabulary, rules family ``activity_themes`` (ADR 0019).

Counties report activities by theme (疫情防控, 防汛救灾, 乡村振兴, 矛盾调解 …). The list changes
over the years (疫情防控 came in 2020 and went in 2023), so it is rule data with versions like
every other rule: each version lists the themes in force from its ``effective_from`` until the
next version, and the themes retired before it with the day each was retired. An activity may
carry several themes, each of which must be in the version in force on the activity's own
date: a theme retired later stays valid for activities dated while it was in force, and a
report over a period has a row for every theme in force on some day of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from shared.kernel.domain import Conflict, InvalidInput
from shared.kernel.rules import RuleNotInForce, Rules, RuleVersion

FAMILY = "activity_themes"
# Far more than any activity has; bounds what one request can make the projection write.
MAX_THEMES = 20


@dataclass(frozen=True)
class Theme:
    code: str
    zh: str


def themes_of(version: RuleVersion) -> tuple[Theme, ...]:
    """The themes a version lists, in its order."""
    return tuple(Theme(str(t["code"]), str(t["zh"])) for t in version.parameters.get("themes", ()))


def known_codes(rules: Rules) -> set[str]:
    """Every theme any version ever listed."""
    return {t.code for v in rules.families.get(FAMILY, ()) for t in themes_of(v)}


def in_force(rules: Rules, on: date) -> tuple[RuleVersion, tuple[Theme, ...]]:
    """The vocabulary version in force on ``on`` and its themes (``RuleNotInForce`` before the
    first version)."""
    version = rules.version_on(FAMILY, on)
    return version, themes_of(version)


def retired_of(version: RuleVersion) -> tuple[tuple[Theme, date], ...]:
    """The themes earlier versions listed and this one no longer does, each with the day it was
    retired: a version names them so a report needs only the version in force on its day."""
    return tuple(
        (Theme(str(t["code"]), str(t["zh"])), date.fromisoformat(str(t["retired_on"])))
        for t in version.parameters.get("retired", ())
    )


def for_period(version: RuleVersion, start: date) -> list[Theme]:
    """The rows of a report by theme under ``version`` (the one in force on its as-of day) for a
    period from ``start``: the themes in force, then those retired after the period began (an
    activity inside the period may carry them). A theme retired before the period began can
    carry no activity in it and has no row."""
    retired = [theme for theme, on in retired_of(version) if on > start]
    return [*themes_of(version), *retired]


def check(rules: Rules, themes: Sequence[str], on: date) -> str | None:
    """Refuse themes an activity on ``on`` cannot carry; answer the vocabulary version that
    allowed them (None when there are none). Unknown or repeated: 422; a known theme not in
    force on that day (retired, or not yet introduced): 409 ``theme_not_in_force``."""
    if not themes:
        return None
    if len(themes) > MAX_THEMES:
        raise InvalidInput(
            "too_many_themes",
            f"活动主题最多 {MAX_THEMES} 个 / at most {MAX_THEMES} themes per activity",
        )
    repeated = sorted({t for t in themes if themes.count(t) > 1})
    if repeated:
        raise InvalidInput(
            "duplicate_theme", f"活动主题重复：{'、'.join(repeated)} / repeated themes: {repeated}"
        )
    unknown = [t for t in themes if t not in known_codes(rules)]
    if unknown:
        raise InvalidInput(
            "unknown_theme",
            f"未知的活动主题：{'、'.join(unknown)} / unknown activity themes: {unknown}",
        )
    names = {t.code: t.zh for v in rules.families.get(FAMILY, ()) for t in themes_of(v)}
    try:
        version, allowed = in_force(rules, on)
    except RuleNotInForce as e:
        raise _not_in_force(list(themes), names, on, None) from e
    codes = {t.code for t in allowed}
    outside = [t for t in themes if t not in codes]
    if outside:
        raise _not_in_force(outside, names, on, version.version)
    return version.version


def _not_in_force(
    themes: list[str], names: dict[str, str], on: date, version: str | None
) -> Conflict:
    named = f"（{version}）" if version else "（当日尚无主题目录）"
    zh = "、".join(f"“{names.get(t, t)}”（{t}）" for t in themes)
    return Conflict(
        "theme_not_in_force",
        f"活动主题{zh}在 {on.isoformat()} 不在生效的主题目录中{named} / "
        f"themes {themes} are not in the vocabulary in force on {on.isoformat()}",
    )
