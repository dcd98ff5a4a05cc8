"""Credit lists and grades as clock-driven rules (domain.md §3, MCA order 60; ADR 0007).

The registration aggregate keeps, per credit list it is on, the clocks the rules need; this
module says how events move them and what is due on a day. It decides nothing by itself: the
county's timer step (``CountyApplication.run_due``) asks :func:`due` what the rules in force
make due by today and records it as events with the rule version, effective on the day each
one fell due (a late run backdates nothing it should not: the effective date is the rule's).

- abnormal list (活动异常名录): ``since`` (entry), ``clock_from`` (the last trigger, which
  restarts the 6 months), ``open`` (triggers still needing a verified rectification),
  ``removal_due`` (set by a verified rectification: the 5th working day after it).
- serious list (严重违法失信名单): ``since`` and ``clean_from`` (the last trigger since entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from shared.kernel.domain import CHINA, Meta, legal_date
from shared.kernel.integration.events import CreditList
from shared.kernel.rules import RuleVersion, months_before

ABNORMAL, SERIOUS = str(CreditList.ABNORMAL), str(CreditList.SERIOUS)

# Reason codes of the removals and entries the rules make (CreditListLeft/Entered ``reason``).
RECTIFIED = "rectification_verified"
SIX_MONTHS = "no_new_trigger_for_removal_period"
ESCALATED = "escalated_to_serious_list"
TWO_YEARS_ABNORMAL = "on_abnormal_list_for_escalation_period"
CLEAN = "clean_for_removal_period"
OBJECTION_UPHELD = "objection_upheld"


# ------------------------------------------------------------------ state (events' apply)


def entered(
    reg: Any,
    credit_list: str,
    trigger: str | None,
    fix: bool,
    meta: Meta,
    clock_from: date | None = None,
) -> None:
    # ``clock_from``: the recording day of an entry dated back (ADR 0013); the clocks run
    # from it so that backdating makes nothing fall due sooner.
    day = clock_from or legal_date(meta.effective_at)
    listing: dict[str, Any] = {"since": day, "objection": False}
    if credit_list == ABNORMAL:
        listing.update(clock_from=day, open=[], removal_due=None)
        _open(listing, trigger, fix)
        _dirty(reg, day)
    else:
        listing["clean_from"] = day
    reg.listings[credit_list] = listing


def triggered(
    reg: Any,
    credit_list: str,
    trigger: str,
    fix: bool,
    meta: Meta,
    clock_from: date | None = None,
) -> None:
    day = clock_from or legal_date(meta.effective_at)
    listing = reg.listings[credit_list]
    listing.update(clock_from=day, removal_due=None)
    _open(listing, trigger, fix)
    _dirty(reg, day)


def _open(listing: dict[str, Any], trigger: str | None, fix: bool) -> None:
    if fix:
        listing["open"] = sorted({*listing["open"], trigger or "unspecified"})


def _dirty(reg: Any, day: date) -> None:
    """A trigger while on the serious list: its clean years start again."""
    if SERIOUS in reg.listings:
        reg.listings[SERIOUS]["clean_from"] = day


# ------------------------------------------------------------------ rules


@dataclass(frozen=True)
class CreditRules:
    version: str
    removal_months: int
    removal_working_days: int
    escalation_months: int
    clean_months: int
    triggers: dict[str, bool]  # trigger → rectification required

    @classmethod
    def of(cls, rule: RuleVersion) -> CreditRules:
        p = rule.parameters
        return cls(
            rule.version,
            int(p["abnormal_removal_months"]),
            int(p["rectified_removal_working_days"]),
            int(p["escalation_months"]),
            int(p["serious_clean_months"]),
            {t: bool(spec["rectification_required"]) for t, spec in p["triggers"].items()},
        )


def months_after(day: date, months: int) -> date:
    return months_before(day, -months)


@dataclass(frozen=True)
class Due:
    """One thing a rule makes due: leave (or escalate from) a list on ``day``."""

    day: date
    action: str  # "leave" | "escalate"
    credit_list: str
    reason: str

    @property
    def effective_at(self) -> datetime:
        return start_of(self.day)


def start_of(day: date) -> datetime:
    """00:00 China time of a legal date: when a deadline's consequence takes effect."""
    return datetime.combine(day, time.min, CHINA)


def due_on_abnormal(listing: dict[str, Any], rules: CreditRules) -> list[Due]:
    candidates = [
        Due(
            months_after(listing["since"], rules.escalation_months),
            "escalate",
            ABNORMAL,
            ESCALATED,
        )
    ]
    if listing["removal_due"] is not None:
        candidates.append(Due(listing["removal_due"], "leave", ABNORMAL, RECTIFIED))
    elif not listing["open"]:
        day = months_after(listing["clock_from"], rules.removal_months)
        candidates.append(Due(day, "leave", ABNORMAL, SIX_MONTHS))
    return candidates


def due(reg: Any, today: date, rules: CreditRules) -> Due | None:
    """The earliest thing due on or before ``today`` (a removal before an escalation on the
    same day: the organisation gets the benefit), or None."""
    candidates: list[Due] = []
    if ABNORMAL in reg.listings:
        candidates += due_on_abnormal(reg.listings[ABNORMAL], rules)
    if SERIOUS in reg.listings:
        day = months_after(reg.listings[SERIOUS]["clean_from"], rules.clean_months)
        candidates.append(Due(day, "leave", SERIOUS, CLEAN))
    ready = [d for d in candidates if d.day <= today]
    return min(ready, key=lambda d: (d.day, d.action != "leave")) if ready else None


def grade_expiry(reg: Any, today: date) -> date | None:
    """The first day without the grade, if it has come: the day after its last valid day."""
    until = getattr(reg, "grade_valid_until", None)
    if getattr(reg, "grade", None) is None or until is None or until >= today:
        return None
    return date.fromordinal(until.toordinal() + 1)
