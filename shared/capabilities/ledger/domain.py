"""Audit records every tier keeps in its own log: chain checkpoints and issued reports.

Both are events like any other, so they are chained, relayed and projected like any other:
a checkpoint puts every chain head a tier holds into its own log once a day (a later rewrite of
another tier's log, even with its chain table rewritten to match, then disagrees with a
recorded head), and an issued report records what is needed to reproduce a published figure
exactly: the division, dates and tree, the read model's watermarks, the rule versions and the
hash of the content. The class paths below are a storage contract in all three stores.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.kernel.domain import Meta
from shared.kernel.domain import SanjiAggregate as Agg
from shared.kernel.jurisdiction import Tier


def checkpoint_id(tier: Tier, day: date, at: datetime | None = None) -> UUID:
    """One checkpoint per tier and period: a second attempt for the same day (``at`` None, as
    the daily checkpoints before issue 11) or the same period start ``at`` collides (409)."""
    if at is None:
        return uuid5(NAMESPACE_URL, f"sanji:checkpoint:{tier}:{day.isoformat()}")
    return uuid5(NAMESPACE_URL, f"sanji:checkpoint:{tier}:{at.astimezone(UTC).isoformat()}")


def anchor_statement(
    tier: str, checkpoint: UUID, day: date, at: datetime | None, heads: list[dict[str, Any]]
) -> dict[str, Any]:
    """What a checkpoint's signature covers (shared/kernel/signing.py ``canonical``)."""
    return {
        "tier": tier,
        "checkpoint_id": str(checkpoint),
        "day": day.isoformat(),
        "at": at.astimezone(UTC).isoformat() if at is not None else None,
        "heads": [
            {"source": h["source"], "position": int(h["position"]), "link": h["link"]}
            for h in heads
        ],
    }


class ChainCheckpoint(Agg):
    if TYPE_CHECKING:
        day: date
        heads: list[dict[str, Any]]

    class Event(Agg.Event):
        ID_NAME = "checkpoint_id"
        ABOUT_ORGANISATION = False

    class Recorded(Event, Agg.Created):
        # Version 2 (issue 11) added the period start and the Ed25519 signature of the
        # anchor statement; daily checkpoints recorded before it load unsigned.
        class_version = 2

        day: date
        heads: list[dict[str, Any]]  # [{source, position, link}]
        at: datetime | None  # start of the period (hourly by default); None: a whole day
        signature: str | None  # over anchor_statement(...), "ed25519:<key id>:<base64>"

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["at"] = None
            state["signature"] = None

        def apply(self, checkpoint: Any) -> None:
            checkpoint.day = self.day
            checkpoint.heads = self.heads

    @classmethod
    def record(
        cls,
        tier: Tier,
        day: date,
        heads: list[dict[str, Any]],
        meta: Meta,
        at: datetime | None = None,
        sign: Callable[[dict[str, Any]], str] | None = None,
    ) -> ChainCheckpoint:
        id = checkpoint_id(tier, day, at)
        signature = sign(anchor_statement(tier, id, day, at, heads)) if sign else None
        return cls._create(
            cls.Recorded, id=id, meta=meta, day=day, heads=heads, at=at, signature=signature
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
