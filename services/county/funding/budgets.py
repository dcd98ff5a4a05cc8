"""A programme's yearly budget at the county (年度预算, issue 14, ADR 0021).

Its own module, not ``domain``: events of ``domain`` once lived under the module path
``services.county.funding`` and must still resolve there (see the package's docstring); a
budget's events never did. Event class paths are a storage contract (ADR 0002).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.kernel.domain import Meta
from shared.kernel.domain import SanjiAggregate as Agg


def budget_id_for(programme: str, year: int) -> UUID:
    """One budget per programme and year; setting it again revises it."""
    return uuid5(NAMESPACE_URL, f"sanji:programme-budget:{programme}:{year}")


class ProgrammeBudget(Agg):
    """A programme's budget for one year at the county (年度预算, issue 14, ADR 0021): the
    figure "average yearly investment" divides by it. Set once, then revised as the county's
    budget is adjusted; the latest amount counts."""

    if TYPE_CHECKING:
        county: str
        programme: str
        year: int
        amount: Decimal

    class Event(Agg.Event):
        ID_NAME = "budget_id"
        ABOUT_ORGANISATION = False

    class Set(Event, Agg.Created):
        division_code: str  # the county
        programme: str
        year: int
        amount: Decimal

        def apply(self, budget: Any) -> None:
            budget.county = self.division_code
            budget.programme, budget.year, budget.amount = self.programme, self.year, self.amount

    class Revised(Event):
        division_code: str
        programme: str
        year: int
        amount: Decimal

        def apply(self, budget: Any) -> None:
            budget.amount = self.amount

    @classmethod
    def set_for(cls, meta: Meta, county: str, programme: str, year: int, amount: Decimal) -> Any:
        return cls._create(
            cls.Set,
            id=budget_id_for(programme, year),
            meta=meta,
            division_code=county,
            programme=programme,
            year=year,
            amount=amount,
        )

    def revise(self, amount: Decimal, meta: Meta) -> None:
        self.trigger_event(
            self.Revised,
            division_code=self.county,
            programme=self.programme,
            year=self.year,
            amount=amount,
            meta=meta,
        )
