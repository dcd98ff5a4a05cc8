"""A commendation round (评先评优): one per tier, division and year.

Opening the round records its candidates, proposed from the four-dimension ranking with each
one's explanation and eligibility under the ``commendation`` rule in force (its version on the
event), and the organisations ranked above the last candidate that the rule passed over, with
why. The decision names the organisations commended, only eligible candidates; publication
(公示/表彰) makes it public, and only published commendations count. The class paths are a
storage contract in the county's and the townships' stores (ADR 0002).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.kernel.domain import Conflict, InvalidInput, Meta
from shared.kernel.domain import SanjiAggregate as Agg
from shared.kernel.jurisdiction import Tier


def round_id(tier: Tier, division_code: str, year: int) -> UUID:
    """One round per tier, division and year: a second attempt collides (409)."""
    return uuid5(NAMESPACE_URL, f"sanji:commendation-round:{tier}:{division_code}:{year}")


class CommendationRound(Agg):
    if TYPE_CHECKING:
        division_code: str
        year: int
        eligible: dict[str, str]  # organisation id → village, of the eligible candidates
        commended: list[dict[str, str]] | None
        published: bool

    class Event(Agg.Event):
        ID_NAME = "round_id"
        ABOUT_ORGANISATION = False

    class Opened(Event, Agg.Created):
        division_code: str
        year: int
        ranked_on: str  # the day of the ranking the candidates come from (ISO date)
        candidates: list[dict[str, Any]]
        passed_over: list[dict[str, Any]]

        def apply(self, r: Any) -> None:
            r.division_code, r.year = self.division_code, self.year
            r.eligible = {
                c["organisation_id"]: c["village_code"] for c in self.candidates if c["eligible"]
            }
            r.commended, r.published = None, False

    class Decided(Event):
        division_code: str
        year: int
        commended: list[dict[str, str]]  # [{organisation_id, village_code}]
        note: str

        def apply(self, r: Any) -> None:
            r.commended = self.commended

    class Published(Event):
        division_code: str
        year: int
        commended: list[dict[str, str]]

        def apply(self, r: Any) -> None:
            r.published = True

    @classmethod
    def open(cls, id: UUID, meta: Meta, **fields: Any) -> CommendationRound:
        return cls._create(cls.Opened, id=id, meta=meta, **fields)

    def decide(self, organisation_ids: list[str], note: str, meta: Meta) -> None:
        if self.published:
            raise Conflict("round_published", f"round {self.id} is published")
        if self.commended is not None:
            raise Conflict("round_decided", f"round {self.id} is decided")
        if len(set(organisation_ids)) != len(organisation_ids):
            raise InvalidInput("duplicate_organisation", "an organisation is named twice")
        outside = [o for o in organisation_ids if o not in self.eligible]
        if outside:
            raise Conflict(
                "commendation_ineligible",
                f"不是本次符合资格的候选组织：{'、'.join(outside)} / not an eligible candidate of"
                f" this round: {outside}",
            )
        commended = [
            {"organisation_id": o, "village_code": self.eligible[o]} for o in organisation_ids
        ]
        self.trigger_event(
            self.Decided,
            division_code=self.division_code,
            year=self.year,
            commended=commended,
            note=note,
            meta=meta,
        )

    def publish(self, meta: Meta) -> None:
        if self.published:
            raise Conflict("round_published", f"round {self.id} is published")
        if self.commended is None:
            raise Conflict("round_not_decided", f"round {self.id} has no decision yet")
        self.trigger_event(
            self.Published,
            division_code=self.division_code,
            year=self.year,
            commended=self.commended,
            meta=meta,
        )


def commendation_events(tier: str) -> dict[type, str]:
    """A tier application's ``published`` entries for its commendation rounds."""
    return {
        CommendationRound.Opened: f"sanji.{tier}.commendation.opened.v1",
        CommendationRound.Decided: f"sanji.{tier}.commendation.decided.v1",
        CommendationRound.Published: f"sanji.{tier}.commendation.published.v1",
    }
