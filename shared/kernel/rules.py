"""Rules as versioned data (domain.md: "treat exact numbers in rules as configurable data").

Rules come in families (density standard, zombie window, ranking weights, credit lists,
evaluation grades), each with its own versions and effective dates. A report asks for the rules in force on its as-of date and names
the version of every family it used, so a figure can be explained and reproduced later.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from shared.kernel.domain import Conflict

DEFAULT_RULES = Path(__file__).parents[1] / "data" / "rules.json"
FAMILIES = (
    "density",
    "zombie",
    "ranking",
    "credit",
    "evaluation",
    "activity_themes",
    "coverage",
    "training",
    "third_party_evaluation",
)
# Families every rules file has had since the start; the others were added later (issue 6) and
# are optional in a ``Rules``, so a report issued before them names, and reproduces with, only
# the families it used (ADR 0006).
REQUIRED = ("density", "zombie", "ranking")
# Families only decisions use (each decision records its version, ADR 0009); reports name none.
DECISION_FAMILIES = ("zombie_exit", "sampling", "funding", "commendation")
# Code lists commands check against the version in force on their date; reports name none
# (the purchasing departments of purchase of services, ADR 0021 addendum).
VOCABULARIES = ("purchasers",)
# The assessment of the tiers below (考核, issue 16 item 4, ADR 0025): indicators, targets and
# weights per year. A scorecard names the version it used beside its report's rule versions;
# reports themselves name none, so no report's content or hash changes with this family.
ASSESSMENT = "assessment"
DIRECTIONS = ("higher", "lower")
# Resident points (积分制, issue 16 item 6, ADR 0027): what a registered volunteer earns for
# serving at an activity of a community piloting the scheme. Only the points ledger reads it
# (each entry names the version that computed it); reports name none.
POINTS = "resident_points"
POINTS_AMOUNTS = (
    "per_activity",
    "per_hour",
    "cap_per_activity",
    "cap_per_month",
    "max_adjustment",
)
SCORING_METHODS = ("linear",)
# What a report's ``rule_versions`` names for a family that had no version in force on its
# as-of date (issue 12): the figures depending on it are withheld, and naming it there (rather
# than leaving the family out, which means "added to the file after the report was issued")
# lets ``by_versions`` reproduce the report exactly.
NOT_IN_FORCE = "rule_not_in_force"
# What a version is (issue 14, ADR 0018): unstated for the national rules shipped so far;
# ``legacy`` for a county's own version in force before the national rule (its history from
# 2016), which must carry a Chinese label so every report printing it says so; ``local`` for a
# county's own choice that is no national rule at all (coverage definitions).
KINDS = ("", "national", "legacy", "local")
# Coverage definitions (issue 14 item 3, family ``coverage``): the villages and communities a
# coverage rate is divided by. Without a ``coverage`` version (a report issued before the family
# existed) the rates keep the definitions Sanji always used, given here.
COVERAGE_BASES = ("all", "urban", "rural")
COVERAGE_DEFAULTS = {"incubator_coverage": "all", "sage_council_coverage": "rural"}


class RuleNotInForce(Conflict, LookupError):
    """No version of a family was in force on a day: a command needing it is refused with 409
    ``rule_not_in_force``; a LookupError too, so callers that look a rule up and fall back keep
    working."""

    def __init__(self, family: str, on: date, first: date | None = None) -> None:
        since = f"（最早版本自 {first.isoformat()} 起生效）" if first else ""
        since_en = f" (its first version takes effect on {first.isoformat()})" if first else ""
        super().__init__(
            NOT_IN_FORCE,
            f"{on.isoformat()} 没有生效的 {family} 规则版本{since}"
            f" / no {family} rule version in force on {on.isoformat()}{since_en}",
        )
        self.family, self.on, self.first = family, on, first

    def as_reason(self) -> dict[str, str]:
        """How a report states it beside a figure it makes not applicable."""
        return {
            "reason": NOT_IN_FORCE,
            "family": self.family,
            "as_of": self.on.isoformat(),
            "message": self.message,
        }


class RuleVersionUnknown(Conflict, LookupError):
    """A report named a rule version the rules file no longer (or never) held: it cannot be
    reproduced with this file, 409 ``rule_version_unknown`` (never a 500)."""

    def __init__(self, family: str, version: str) -> None:
        super().__init__(
            "rule_version_unknown",
            f"规则文件中没有 {family} 规则的版本 {version}，无法按原规则重算 / rule version "
            f"{version} of {family} is not in the rules file: the report cannot be reproduced",
        )


@dataclass(frozen=True)
class RuleVersion:
    family: str
    version: str
    effective_from: date
    parameters: dict[str, Any]
    source: str = ""
    kind: str = ""  # KINDS
    label_zh: str = ""  # how reports name a legacy or local version, e.g. 本县试行规则

    @property
    def legacy(self) -> bool:
        return self.kind == "legacy"


@dataclass(frozen=True)
class RuleSet:
    """The version of every family in force on one day."""

    density: RuleVersion
    zombie: RuleVersion
    ranking: RuleVersion
    credit: RuleVersion | None = None  # credit lists (MCA order 60, 2018), ADR 0007
    evaluation: RuleVersion | None = None  # grades 1A–5A and local stars, ADR 0007
    coverage: RuleVersion | None = None  # coverage denominators a county chooses, ADR 0018
    # Families with no version in force on the report's day (``Rules.for_report``). A required
    # family's field then holds its first version only so the counters keep one query shape;
    # every figure depending on a withheld family is replaced by "not applicable" before it
    # leaves the report (shared/reporting/applicability.py), so no such number is ever shown.
    withheld: tuple[str, ...] = ()
    # The vocabulary of activity themes (issue 14, ADR 0019): named by a report, which then
    # carries its by-theme figures; a report issued before the family existed reproduces
    # without them (``by_versions`` leaves it out), so its content hash is unchanged.
    activity_themes: RuleVersion | None = None
    # The kinds of training course (issue 16, ADR 0024): named by a report, which then carries
    # the training and commendation figures; one issued before the family reproduces without.
    training: RuleVersion | None = None
    # The kinds of third-party evaluation and the bureau's outcomes (issue 16, ADR 0026
    # addendum): named by a report, which then carries the evaluation figures; one issued
    # before the family reproduces without them, with its former content hash.
    third_party_evaluation: RuleVersion | None = None

    def present(self) -> list[RuleVersion]:
        return [
            v for f in FAMILIES if f not in self.withheld and (v := getattr(self, f)) is not None
        ]

    @property
    def versions(self) -> dict[str, str]:
        named = {v.family: v.version for v in self.present()}
        return {f: named.get(f, NOT_IN_FORCE) for f in FAMILIES if f in named or f in self.withheld}

    @property
    def version(self) -> str:
        return " + ".join(self.versions.values())

    @property
    def urban_min_per_community(self) -> int:
        return int(self.density.parameters["urban_min_per_community"])

    @property
    def rural_min_per_village(self) -> int:
        return int(self.density.parameters["rural_min_per_village"])

    @property
    def zombie_window_months(self) -> int:
        return int(self.zombie.parameters["window_months"])

    def zombie_cutoff(self, as_of: date) -> date:
        """The day before the trailing window starts: activity after it counts as recent."""
        return months_before(as_of, self.zombie_window_months)

    def coverage_basis(self, metric: str) -> str:
        """``all`` / ``urban`` / ``rural``: what ``platforms.<metric>`` is divided by under the
        coverage version in force (Sanji's former definition when the report has none)."""
        chosen = (self.coverage.parameters.get("denominators") or {}) if self.coverage else {}
        return str(chosen.get(metric, COVERAGE_DEFAULTS[metric]))

    def describe(self) -> dict[str, dict[str, Any]]:
        """What a report prints about its rules: version, start and parameters per family, and
        the kind and Chinese label of a legacy or local version (left out for the national
        versions, so a report under them keeps its former content and hash)."""
        return {
            v.family: {
                "version": v.version,
                "effective_from": v.effective_from.isoformat(),
                "parameters": v.parameters,
                **({"kind": v.kind} if v.kind else {}),
                **({"label_zh": v.label_zh} if v.label_zh else {}),
            }
            for v in self.present()
        }


@dataclass(frozen=True)
class Rules:
    families: dict[str, tuple[RuleVersion, ...]] = field(default_factory=dict)

    def in_force(self, on: date) -> RuleSet:
        chosen = {f: self.version_on(f, on) for f in REQUIRED}
        for f in FAMILIES:
            if f not in REQUIRED and any(v.effective_from <= on for v in self.families.get(f, ())):
                chosen[f] = self.version_on(f, on)  # a later family, once in force
        return _rule_set(chosen)

    def for_report(self, on: date) -> RuleSet:
        """The rules of a report on ``on``, which answers even before a family's first version:
        such a family is ``withheld`` and the figures depending on it are not applicable."""
        chosen: dict[str, RuleVersion] = {}
        withheld = []
        for f in FAMILIES:
            versions = self.families.get(f, ())
            if any(v.effective_from <= on for v in versions):
                chosen[f] = self.version_on(f, on)
            elif f in REQUIRED or versions:
                withheld.append(f)
                if f in REQUIRED:
                    chosen[f] = min(versions, key=lambda v: v.effective_from)
        return _rule_set(chosen, tuple(withheld))

    def by_versions(self, versions: dict[str, str]) -> RuleSet:
        """The rule set a report named (``rule_versions``): to reproduce it exactly later,
        even after newer versions came into force."""
        chosen: dict[str, RuleVersion] = {}
        withheld = []
        for f in FAMILIES:
            if f not in REQUIRED and f not in versions:
                continue  # a family added after the report was issued
            if versions.get(f) == NOT_IN_FORCE:
                withheld.append(f)
                if f in REQUIRED:  # the same stand-in ``for_report`` used
                    chosen[f] = min(self.families[f], key=lambda v: v.effective_from)
                continue
            match = [v for v in self.families.get(f, ()) if v.version == versions.get(f)]
            if not match:
                raise RuleVersionUnknown(f, str(versions.get(f)))
            chosen[f] = match[0]
        return _rule_set(chosen, tuple(withheld))

    def named(self, family: str, version: str) -> RuleVersion:
        """A version by its name (an issued scorecard's assessment version), else 409."""
        for v in self.families.get(family, ()):
            if v.version == version:
                return v
        raise RuleVersionUnknown(family, version)

    def version_on(self, family: str, on: date) -> RuleVersion:
        candidates = [v for v in self.families.get(family, ()) if v.effective_from <= on]
        if not candidates:
            first = min((v.effective_from for v in self.families.get(family, ())), default=None)
            raise RuleNotInForce(family, on, first)
        return max(candidates, key=lambda v: v.effective_from)


def _rule_set(chosen: dict[str, RuleVersion], withheld: tuple[str, ...] = ()) -> RuleSet:
    return RuleSet(
        chosen["density"],
        chosen["zombie"],
        chosen["ranking"],
        chosen.get("credit"),
        chosen.get("evaluation"),
        chosen.get("coverage"),
        withheld,
        chosen.get("activity_themes"),
        chosen.get("training"),
        chosen.get("third_party_evaluation"),
    )


def load_rules(path: Path = DEFAULT_RULES) -> Rules:
    raw = json.loads(path.read_text(encoding="utf-8"))
    families: dict[str, tuple[RuleVersion, ...]] = {}
    for family in (*FAMILIES, *DECISION_FAMILIES, ASSESSMENT, POINTS, *VOCABULARIES):
        versions = []
        for v in raw.get(family, []):
            params = {k: val for k, val in v.items() if k not in _ENTRY_KEYS}
            kind, label = str(v.get("kind", "")), str(v.get("label_zh", ""))
            if kind not in KINDS:
                raise ValueError(f"{path}: {v['version']}: kind {kind!r} is not one of {KINDS}")
            if kind in ("legacy", "local") and not label:
                # A legacy version printed without its label would pass for the national rule.
                raise ValueError(f"{path}: {v['version']}: a {kind} version needs a label_zh")
            if family == "coverage":
                _check_coverage(path, v["version"], params)
            if family == ASSESSMENT:
                _check_assessment(path, v["version"], params)
            if family == POINTS:
                _check_points(path, v["version"], params)
            versions.append(
                RuleVersion(
                    family,
                    v["version"],
                    date.fromisoformat(v["effective_from"]),
                    params,
                    v.get("source", ""),
                    kind,
                    label,
                )
            )
        if not versions and family not in REQUIRED:
            continue  # a rules file from before the family existed
        if not versions:
            raise ValueError(f"{path}: no versions for rule family {family!r}")
        if len({v.version for v in versions}) != len(versions):
            raise ValueError(f"{path}: duplicate version names in rule family {family!r}")
        if len({v.effective_from for v in versions}) != len(versions):
            # Which one is in force would depend on the file's order (a county adding its own
            # version on the day of the demo's legacy one, ADR 0018): say so at start instead.
            raise ValueError(f"{path}: two versions of rule family {family!r} start on one day")
        families[family] = tuple(versions)
    return Rules(families)


_ENTRY_KEYS = ("version", "effective_from", "source", "kind", "label_zh")


def _check_coverage(path: Path, version: str, params: dict[str, Any]) -> None:
    """A coverage version chooses, per coverage rate, ``all``, ``urban`` or ``rural``; a typo
    would silently fall back to the default, so it stops the service at start instead."""
    chosen = params.get("denominators")
    if not isinstance(chosen, dict):
        raise ValueError(f"{path}: {version}: a coverage version needs a denominators map")
    for metric, basis in chosen.items():
        if metric not in COVERAGE_DEFAULTS:
            raise ValueError(
                f"{path}: {version}: unknown coverage rate {metric!r}"
                f" (one of {sorted(COVERAGE_DEFAULTS)})"
            )
        if basis not in COVERAGE_BASES:
            raise ValueError(
                f"{path}: {version}: {metric} denominator {basis!r} is not one of {COVERAGE_BASES}"
            )


def _check_assessment(path: Path, version: str, params: dict[str, Any]) -> None:
    """An assessment version lists indicators whose weights make 100, each scored linearly
    from ``zero_at`` (score 0) to ``target`` (full weight). A typo here would score every
    township wrongly for a year, so it stops the service at start instead. Whether each
    ``figure`` is a catalogue key is checked by the reporting layer (the kernel does not know
    the catalogue) and by a unit test over the rules file."""
    indicators = params.get("indicators")
    if not isinstance(indicators, list) or not indicators:
        raise ValueError(f"{path}: {version}: an assessment version needs a list of indicators")
    codes: set[str] = set()
    total = 0.0
    for i in indicators:
        code = i.get("code") if isinstance(i, dict) else None
        if not isinstance(code, str) or not code or code in codes:
            raise ValueError(f"{path}: {version}: indicator code missing or repeated: {code!r}")
        codes.add(code)
        where = f"{path}: {version}: indicator {code}"
        if not i.get("zh") or not isinstance(i.get("figure"), str):
            raise ValueError(f"{where}: needs zh and figure (a catalogue key)")
        if "per" in i and not isinstance(i["per"], str):
            raise ValueError(f"{where}: per must be a catalogue key")
        if i.get("direction") not in DIRECTIONS:
            raise ValueError(f"{where}: direction must be one of {DIRECTIONS}")
        if i.get("method", "linear") not in SCORING_METHODS:
            raise ValueError(f"{where}: method must be one of {SCORING_METHODS}")
        target, zero_at, weight = i.get("target"), i.get("zero_at"), i.get("weight")
        # A bool is an int to Python and NaN or infinity a float: none scores anything.
        if not all(
            isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
            for x in (target, zero_at, weight)
        ):
            raise ValueError(f"{where}: target, zero_at and weight must be finite numbers")
        assert isinstance(target, int | float) and isinstance(zero_at, int | float)
        assert isinstance(weight, int | float)
        if weight <= 0:
            raise ValueError(f"{where}: weight must be positive")
        # zero_at == target would divide by zero in every score (either direction).
        if zero_at == target or (i["direction"] == "higher") != (zero_at < target):
            raise ValueError(f"{where}: zero_at must lie on the worse side of the target")
        total += weight
    if abs(total - 100) > 1e-9:
        raise ValueError(f"{path}: {version}: indicator weights sum to {total}, not 100")


def _check_points(path: Path, version: str, params: dict[str, Any]) -> None:
    """A points version states whole, non-negative amounts and caps, and a bonus per theme
    code; a missing or fractional amount would award points no one can explain, so it stops
    the service at start. Whether each bonus names a known theme is checked by a unit test over
    the rules file (the themes are another family)."""
    for key in POINTS_AMOUNTS:
        value = params.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{path}: {version}: {key} must be a whole number ≥ 0")
    bonus = params.get("theme_bonus", {})
    if not isinstance(bonus, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in bonus.values()
    ):
        raise ValueError(f"{path}: {version}: theme_bonus maps theme codes to whole numbers ≥ 0")
    if params["max_adjustment"] < 1:
        raise ValueError(f"{path}: {version}: max_adjustment must be at least 1")


def months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in (day.day, 30, 29, 28):  # clamp 31 March - 1 month to 28/29 February
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")
