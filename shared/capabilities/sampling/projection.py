"""Read model of inspection draws (ADR 0010): tables, handlers, queries.

``sample_draw`` holds each draw with its full record (the integration payload), so any tier
can show and reproduce it; ``sample_selection`` one row per drawn organisation with its village
(the figures count them where they are); ``sample_inspection`` the inspections that fulfil a
draw. Every tier projects the whole county, so a county draw reaches every read model; its
rows count under the drawn organisations' villages, whose versions the handler moves (the
counter cache, ADR 0004). ``shared/tier/readmodel.py`` adds these to its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date
from typing import Any

from shared.infrastructure.store import Row, Tx
from shared.infrastructure.versions import touch
from shared.kernel.domain import legal_date
from shared.kernel.integration import events as ev
from shared.kernel.integration.envelope import Envelope
from shared.kernel.jurisdiction import contains

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS sample_draw (
        draw_id TEXT PRIMARY KEY, source TEXT NOT NULL, division_code TEXT NOT NULL,
        year INTEGER NOT NULL, drawn_on TEXT NOT NULL, population_kind TEXT NOT NULL,
        population_size INTEGER NOT NULL, quota INTEGER NOT NULL, supplementary INTEGER NOT NULL,
        rule_version TEXT, actor TEXT NOT NULL, recorded_at TEXT NOT NULL, record TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS sample_selection (
        draw_id TEXT NOT NULL, org_id TEXT NOT NULL, village_code TEXT NOT NULL,
        rank INTEGER NOT NULL, drawn_on TEXT NOT NULL, PRIMARY KEY (draw_id, org_id)
    )""",
    "CREATE INDEX IF NOT EXISTS sample_selection_village ON sample_selection"
    " (village_code, drawn_on)",
    """CREATE TABLE IF NOT EXISTS sample_inspection (
        inspection_id TEXT PRIMARY KEY, draw_id TEXT NOT NULL, org_id TEXT NOT NULL,
        village_code TEXT NOT NULL, inspected_on TEXT NOT NULL, result TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS sample_inspection_draw ON sample_inspection (draw_id, org_id)",
]
TABLES = {
    "sample_draw": "draw_id",
    "sample_selection": "draw_id, org_id",
    "sample_inspection": "inspection_id",
}

Handler = Callable[[Tx, Envelope, Any], None]


def sample_drawn(tx: Tx, env: Envelope, p: ev.SampleDrawnV1) -> None:
    on = legal_date(env.effective_at).isoformat()
    tx.write(
        "INSERT INTO sample_draw (draw_id, source, division_code, year, drawn_on,"
        " population_kind, population_size, quota, supplementary, rule_version, actor,"
        " recorded_at, record) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (draw_id) DO NOTHING",
        (
            str(p.draw_id),
            env.source,
            env.division_code,
            p.year,
            on,
            p.population_kind,
            len(p.population),
            p.quota,
            int(p.supplementary),
            env.rule_version,
            env.actor.id,
            env.recorded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            json.dumps(p.model_dump(mode="json"), sort_keys=True, ensure_ascii=False),
        ),
    )
    for rank, s in enumerate(p.selected, 1):
        tx.write(
            "INSERT INTO sample_selection (draw_id, org_id, village_code, rank, drawn_on)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (draw_id, org_id) DO NOTHING",
            (str(p.draw_id), str(s.organisation_id), s.village_code, rank, on),
        )
    for village in sorted({s.village_code for s in p.selected}):
        touch(tx, village)


def inspection_linked(tx: Tx, env: Envelope, p: ev.InspectionRecordedV1) -> None:
    """An inspection that fulfils a draw (called by the inspection handler)."""
    tx.write(
        "INSERT INTO sample_inspection (inspection_id, draw_id, org_id, village_code,"
        " inspected_on, result) VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (inspection_id) DO NOTHING",
        (
            str(p.inspection_id),
            str(p.draw_id),
            str(env.organisation_id),
            env.division_code,
            legal_date(env.effective_at).isoformat(),
            str(p.result),
        ),
    )


HANDLERS: dict[str, Handler] = {
    f"sanji.{tier}.sample.drawn.v1": sample_drawn for tier in ("county", "township")
}


# ------------------------------------------------------------------ queries

POPULATION_SQL = {
    "registered": "registered_on <= %s AND (registration_ended_on IS NULL"
    " OR registration_ended_on > %s)",
    "filed": "filed_on <= %s AND (filing_ended_on IS NULL OR filing_ended_on > %s)"
    " AND (registered_on IS NULL OR registered_on > %s)",
}


def population(tx: Tx, kind: str, like: str, day: date) -> dict[str, str]:
    """Organisations of ``kind`` (registered / filed) on ``day`` under ``like``: id → village."""
    clause = POPULATION_SQL[kind]
    params = (like, *(day.isoformat(),) * clause.count("%s"))
    rows = tx.all(
        f"SELECT org_id, village_code FROM org WHERE village_code LIKE %s AND {clause}", params
    )
    return {r["org_id"]: r["village_code"] for r in rows}


def drawn_before(tx: Tx, source: str, division_code: str, year: int) -> set[str]:
    """Organisations already drawn by ``source`` for this division and year."""
    rows = tx.all(
        "SELECT s.org_id FROM sample_selection s JOIN sample_draw d ON d.draw_id = s.draw_id"
        " WHERE d.source = %s AND d.division_code = %s AND d.year = %s",
        (source, division_code, year),
    )
    return {r["org_id"] for r in rows}


def draw(tx: Tx, draw_id: str) -> Row | None:
    row = tx.one("SELECT * FROM sample_draw WHERE draw_id = %s", (draw_id,))
    if row is not None:
        row["record"] = json.loads(row["record"])
    return row


def selected(tx: Tx, draw_id: str, org_id: str) -> bool:
    row = tx.one(
        "SELECT 1 AS x FROM sample_selection WHERE draw_id = %s AND org_id = %s",
        (draw_id, org_id),
    )
    return row is not None


def fulfilled(tx: Tx, draw_id: str, org_id: str) -> bool:
    row = tx.one(
        "SELECT 1 AS x FROM sample_inspection WHERE draw_id = %s AND org_id = %s",
        (draw_id, org_id),
    )
    return row is not None


def listed(tx: Tx, code: str, like: str, year: int | None) -> list[Row]:
    """Draws made for ``code``, for a division within it or for one containing it, with their
    progress counted over the drawn organisations under ``like`` (the division asked about)."""
    where, params = ("WHERE year = %s", (year,)) if year is not None else ("", ())
    rows = tx.all(
        "SELECT draw_id, source, division_code, year, drawn_on, population_kind,"
        f" population_size, quota, supplementary, rule_version, actor FROM sample_draw {where}"
        " ORDER BY year, drawn_on, division_code, draw_id",
        params,
    )
    out = []
    for r in rows:
        if not (contains(code, r["division_code"]) or contains(r["division_code"], code)):
            continue
        progress = tx.one(
            "SELECT (SELECT COUNT(*) FROM sample_selection WHERE draw_id = %s"
            " AND village_code LIKE %s) AS drawn, (SELECT COUNT(DISTINCT org_id) FROM"
            " sample_inspection WHERE draw_id = %s AND village_code LIKE %s) AS inspected",
            (r["draw_id"], like, r["draw_id"], like),
        )
        assert progress is not None
        drawn, inspected = int(progress["drawn"]), int(progress["inspected"])
        r["supplementary"] = bool(r["supplementary"])
        r["progress"] = {
            "drawn": drawn,
            "inspected": inspected,
            "completion_rate": round(inspected / drawn, 4) if drawn else None,
        }
        out.append(r)
    return out
