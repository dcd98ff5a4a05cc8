"""Read model of commendation rounds (ADR 0024): tables, handlers, queries.

``commendation_round`` holds each round with its candidates and decision as recorded;
``commendation`` one row per organisation commended in a published round, at its village,
which the figures count and an organisation's page lists. Publication moves the versions of
the commended organisations' villages (the counter cache, ADR 0004).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from shared.infrastructure.store import Row, Tx
from shared.infrastructure.versions import touch
from shared.kernel.domain import legal_date
from shared.kernel.integration import events as ev
from shared.kernel.integration.envelope import Envelope

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS commendation_round (
        round_id TEXT PRIMARY KEY, source TEXT NOT NULL, division_code TEXT NOT NULL,
        year INTEGER NOT NULL, opened_on TEXT NOT NULL, ranked_on TEXT NOT NULL,
        rule_version TEXT, candidates TEXT NOT NULL, passed_over TEXT NOT NULL,
        decided_on TEXT, decision TEXT, note TEXT, published_on TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS commendation (
        round_id TEXT NOT NULL, org_id TEXT NOT NULL, village_code TEXT NOT NULL,
        division_code TEXT NOT NULL, year INTEGER NOT NULL, published_on TEXT NOT NULL,
        PRIMARY KEY (round_id, org_id)
    )""",
    "CREATE INDEX IF NOT EXISTS commendation_village ON commendation (village_code, published_on)",
    "CREATE INDEX IF NOT EXISTS commendation_org ON commendation (org_id)",
]
TABLES = {"commendation_round": "round_id", "commendation": "round_id, org_id"}

Handler = Callable[[Tx, Envelope, Any], None]


def _json(items: list[Any]) -> str:
    return json.dumps([i.model_dump(mode="json") for i in items], ensure_ascii=False)


def opened(tx: Tx, env: Envelope, p: ev.CommendationOpenedV1) -> None:
    tx.execute(
        "INSERT INTO commendation_round (round_id, source, division_code, year, opened_on,"
        " ranked_on, rule_version, candidates, passed_over) VALUES"
        " (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (round_id) DO NOTHING",
        (
            str(p.round_id),
            env.source,
            p.division_code,
            p.year,
            legal_date(env.effective_at).isoformat(),
            p.ranked_on.isoformat(),
            env.rule_version,
            _json(p.candidates),
            _json(p.passed_over),
        ),
    )


def decided(tx: Tx, env: Envelope, p: ev.CommendationDecidedV1) -> None:
    tx.execute(
        "UPDATE commendation_round SET decided_on = %s, decision = %s, note = %s"
        " WHERE round_id = %s",
        (legal_date(env.effective_at).isoformat(), _json(p.commended), p.note, str(p.round_id)),
    )


def published(tx: Tx, env: Envelope, p: ev.CommendationPublishedV1) -> None:
    on = legal_date(env.effective_at).isoformat()
    tx.execute(
        "UPDATE commendation_round SET published_on = %s WHERE round_id = %s",
        (on, str(p.round_id)),
    )
    for c in p.commended:
        tx.execute(
            "INSERT INTO commendation (round_id, org_id, village_code, division_code, year,"
            " published_on) VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (round_id, org_id) DO NOTHING",
            (str(p.round_id), str(c.organisation_id), c.village_code, p.division_code, p.year, on),
        )
    touch(tx, *sorted({c.village_code for c in p.commended}))


HANDLERS: dict[str, Handler] = {}
for _tier in ("county", "township"):
    HANDLERS[f"sanji.{_tier}.commendation.opened.v1"] = opened
    HANDLERS[f"sanji.{_tier}.commendation.decided.v1"] = decided
    HANDLERS[f"sanji.{_tier}.commendation.published.v1"] = published


# ------------------------------------------------------------------ queries


def _round(row: Row) -> Row:
    for key in ("candidates", "passed_over", "decision"):
        row[key] = json.loads(row[key]) if row.get(key) else ([] if key != "decision" else None)
    return row


def round_of(tx: Tx, round_id: str) -> Row | None:
    row = tx.one("SELECT * FROM commendation_round WHERE round_id = %s", (round_id,))
    return _round(row) if row else None


def rounds(tx: Tx, like: str, year: int | None) -> list[Row]:
    """Rounds of divisions within ``like`` (the caller adds those above it)."""
    where, params = ("AND year = %s", (year,)) if year is not None else ("", ())
    rows = tx.all(
        "SELECT round_id, source, division_code, year, opened_on, ranked_on, rule_version,"
        " decided_on, published_on, (SELECT COUNT(*) FROM commendation c"
        " WHERE c.round_id = r.round_id) AS commended FROM commendation_round r"
        f" WHERE division_code LIKE %s {where} ORDER BY year DESC, division_code",
        (like, *params),
    )
    return rows


def of_organisation(tx: Tx, org_id: str) -> list[Row]:
    """Published commendations of one organisation: which tier's round, year, day. Public facts
    only (no candidates, scores or decisions not yet published): the read function the public
    disclosure page uses, as ``GET /api/v1/organisations/{id}/commendations`` does."""
    return tx.all(
        "SELECT c.round_id, c.division_code, c.year, c.published_on, r.source"
        " FROM commendation c JOIN commendation_round r ON r.round_id = c.round_id"
        " WHERE c.org_id = %s ORDER BY c.year DESC, c.published_on DESC",
        (org_id,),
    )


# ------------------------------------------------------------------ the participation rule


def governance_activities(tx: Tx, org_id: str, themes: list[str], start: date, end: date) -> int:
    """Activities of the organisation between ``start`` and ``end`` with a governance theme."""
    if not themes:
        return 0
    marks = ", ".join(["%s"] * len(themes))
    row = tx.one(
        "SELECT COUNT(DISTINCT a.activity_id) AS n FROM activity a JOIN activity_theme t"
        f" ON t.activity_id = a.activity_id WHERE a.org_id = %s AND t.theme IN ({marks})"
        " AND a.occurred_on BETWEEN %s AND %s",
        (org_id, *themes, start.isoformat(), end.isoformat()),
    )
    return int(row["n"]) if row else 0


def on_lists(tx: Tx, org_id: str, lists: list[str], day: date) -> list[str]:
    """The credit lists among ``lists`` the organisation is on on ``day``."""
    if not lists:
        return []
    marks = ", ".join(["%s"] * len(lists))
    rows = tx.all(
        "SELECT DISTINCT credit_list FROM credit_listing WHERE org_id = %s"
        f" AND credit_list IN ({marks}) AND entered_on <= %s"
        " AND (left_on IS NULL OR left_on > %s)",
        (org_id, *lists, day.isoformat(), day.isoformat()),
    )
    return sorted(r["credit_list"] for r in rows)
