"""Audit records every tier keeps in its own log: chain checkpoints and issued reports.

Both are events like any other, so they are chained, relayed and projected like any other:
a checkpoint puts every chain head a tier holds into its own log once a day (a later rewrite of
another tier's log, even with its chain table rewritten to match, then disagrees with a
recorded head), and an issued report records what is needed to reproduce a published figure
exactly: the division, dates and tree, the read model's watermarks, the rule versions and the
hash of the content. The class paths below are a storage contract in all three stores.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.domain import Actor, Meta
from shared.domain import SanjiAggregate as Agg
from shared.jurisdiction import Tier

SYSTEM_ROLE = "system"


def system_actor(tier: Tier, county_code: str) -> Actor:
    """Who records what the platform does by itself (checkpoints)."""
    return Actor(id=f"sanji-{tier}", tier=tier, division=county_code, role=SYSTEM_ROLE)


def checkpoint_id(tier: Tier, day: date) -> UUID:
    """One checkpoint per tier and day: a second attempt the same day collides (409)."""
    return uuid5(NAMESPACE_URL, f"sanji:checkpoint:{tier}:{day.isoformat()}")


class ChainCheckpoint(Agg):
    if TYPE_CHECKING:
        day: date
        heads: list[dict[str, Any]]

    class Event(Agg.Event):
        ID_NAME = "checkpoint_id"
        ABOUT_ORGANISATION = False

    class Recorded(Event, Agg.Created):
        day: date
        heads: list[dict[str, Any]]  # [{source, position, link}]

        def apply(self, checkpoint: Any) -> None:
            checkpoint.day = self.day
            checkpoint.heads = self.heads

    @classmethod
    def record(
        cls, tier: Tier, day: date, heads: list[dict[str, Any]], meta: Meta
    ) -> ChainCheckpoint:
        return cls._create(
            cls.Recorded, id=checkpoint_id(tier, day), meta=meta, day=day, heads=heads
        )


class IssuedReport(Agg):
    if TYPE_CHECKING:
        content_hash: str

    class Event(Agg.Event):
        ID_NAME = "report_id"
        ABOUT_ORGANISATION = False

    class Issued(Event, Agg.Created):
        title: str
        division_code: str
        as_of: date
        period_from: date
        period_to: date
        period_label: str
        tree: str
        known_at: str | None
        watermarks: dict[str, int]
        rule_versions: dict[str, str]
        content_hash: str

        def apply(self, report: Any) -> None:
            report.content_hash = self.content_hash

    @classmethod
    def issue(cls, id: UUID, meta: Meta, **fields: Any) -> IssuedReport:
        return cls._create(cls.Issued, id=id, meta=meta, **fields)


def ledger_events(tier: str) -> dict[type, str]:
    """A tier application's ``published`` entries for its audit records."""
    return {
        ChainCheckpoint.Recorded: f"sanji.{tier}.chain.checkpointed.v1",
        IssuedReport.Issued: f"sanji.{tier}.report.issued.v1",
    }
