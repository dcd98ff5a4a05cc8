"""Read model of the funding lifecycle (ADR 0011): calls, applications, what each award
recorded at its decision, evaluations and closure; and the totals of a programme and round.

Awards and tranches stay in ``funding`` and ``disbursement`` (shared/tier/readmodel.py,
which adds these tables and handlers to its own and calls :func:`award_recorded` for every
award). Every event of one call, application or award comes from the county's store, in order,
so an update never arrives before the row it updates.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from shared.infrastructure.store import Tx
from shared.kernel.domain import legal_date
from shared.kernel.integration import events as ev
from shared.kernel.integration.envelope import Envelope

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS funding_call (
        call_id TEXT PRIMARY KEY, county_code TEXT NOT NULL, programme TEXT NOT NULL,
        round TEXT NOT NULL, title TEXT NOT NULL, budget_fen BIGINT NOT NULL,
        deadline TEXT NOT NULL, opened_on TEXT NOT NULL, closed_on TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS funding_application (
        application_id TEXT PRIMARY KEY, call_id TEXT NOT NULL, org_id TEXT NOT NULL,
        village_code TEXT NOT NULL, programme TEXT NOT NULL, round TEXT NOT NULL,
        project TEXT NOT NULL, requested_fen BIGINT NOT NULL, host_org_id TEXT,
        applied_on TEXT NOT NULL, state TEXT NOT NULL, decided_on TEXT, award_id TEXT,
        amount_fen BIGINT, reason TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS funding_application_call ON funding_application (call_id)",
    # One row per award (direct or through a call): what it recorded at the decision, and its
    # closure; the award itself is the ``funding`` row.
    """CREATE TABLE IF NOT EXISTS funding_award_lifecycle (
        award_id TEXT PRIMARY KEY, call_id TEXT, application_id TEXT, snapshot TEXT,
        rule_version TEXT, closed_on TEXT, final_grade TEXT, released_fen BIGINT
    )""",
    """CREATE TABLE IF NOT EXISTS funding_evaluation (
        award_id TEXT NOT NULL, stage TEXT NOT NULL, score_centi BIGINT NOT NULL,
        grade TEXT NOT NULL, evaluated_on TEXT NOT NULL, rule_version TEXT,
        PRIMARY KEY (award_id, stage)
    )""",
    # Funding details (issue 14, ADR 0021): who purchased a service, the beneficiaries planned
    # at the award and reached at closure. A table of its own, so a read model built before
    # it needs no migration (its awards stated neither).
    """CREATE TABLE IF NOT EXISTS funding_detail (
        award_id TEXT PRIMARY KEY, org_id TEXT, village_code TEXT NOT NULL, programme TEXT NOT NULL,
        awarded_on TEXT NOT NULL, amount_fen BIGINT NOT NULL, purchaser TEXT,
        beneficiaries_planned BIGINT, beneficiaries_reached BIGINT, closed_on TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS funding_detail_village ON funding_detail (village_code)",
    # The purchaser's code in the ``purchasers`` list (ADR 0021 addendum), for awards that
    # have one: its own table, so a read model built before the list needs no migration.
    """CREATE TABLE IF NOT EXISTS funding_purchaser (
        award_id TEXT PRIMARY KEY, purchaser_code TEXT NOT NULL
    )""",
    # A programme's yearly budget at the county (ADR 0021): the latest set or revision counts.
    """CREATE TABLE IF NOT EXISTS programme_budget (
        programme TEXT NOT NULL, year INTEGER NOT NULL, county_code TEXT NOT NULL,
        amount_fen BIGINT NOT NULL, set_on TEXT NOT NULL, PRIMARY KEY (programme, year)
    )""",
]
TABLES = {
    "funding_call": "call_id",
    "funding_application": "application_id",
    "funding_award_lifecycle": "award_id",
    "funding_evaluation": "award_id, stage",
    "funding_detail": "award_id",
    "funding_purchaser": "award_id",
    "programme_budget": "programme, year",
}

Handler = Callable[[Tx, Envelope, Any], None]
HANDLERS: dict[str, Handler] = {}


def _handles(type_name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[f"sanji.county.{type_name}.v1"] = fn
        return fn

    return register


def _on(env: Envelope) -> str:
    return legal_date(env.effective_at).isoformat()


def _fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def award_recorded(tx: Tx, env: Envelope, p: ev.FundingAwardedV1) -> None:
    """Every award: its call and application (if any), snapshot and rule version."""
    snapshot = p.snapshot.model_dump(mode="json") if p.snapshot else None
    tx.write(
        "INSERT INTO funding_award_lifecycle (award_id, call_id, application_id, snapshot,"
        " rule_version) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (award_id) DO NOTHING",
        (
            str(p.award_id),
            str(p.call_id) if p.call_id else None,
            str(p.application_id) if p.application_id else None,
            json.dumps(snapshot, sort_keys=True) if snapshot else None,
            env.rule_version,
        ),
    )
    tx.write(
        "INSERT INTO funding_detail (award_id, org_id, village_code, programme, awarded_on,"
        " amount_fen, purchaser, beneficiaries_planned) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (award_id) DO NOTHING",
        (
            str(p.award_id),
            str(env.organisation_id) if env.organisation_id else None,
            env.division_code,
            str(p.programme),
            _on(env),
            _fen(p.amount),
            p.purchaser,
            p.beneficiaries_planned,
        ),
    )
    if p.purchaser_code is not None:
        tx.write(
            "INSERT INTO funding_purchaser (award_id, purchaser_code) VALUES (%s, %s)"
            " ON CONFLICT (award_id) DO NOTHING",
            (str(p.award_id), p.purchaser_code),
        )


@_handles("funding_call.opened")
def call_opened(tx: Tx, env: Envelope, p: ev.FundingCallOpenedV1) -> None:
    tx.write(
        "INSERT INTO funding_call (call_id, county_code, programme, round, title, budget_fen,"
        " deadline, opened_on) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (call_id) DO NOTHING",
        (
            str(p.call_id),
            env.division_code,
            str(p.programme),
            p.round,
            p.title,
            _fen(p.budget),
            p.deadline.isoformat(),
            _on(env),
        ),
    )


@_handles("funding_call.committed")
def call_committed(tx: Tx, env: Envelope, p: ev.FundingCallCommittedV1) -> None:
    # The approval carries the same award and amount (funding_application); the commitment is
    # the call's guard against two approvals spending one budget (ADR 0011).
    return None


@_handles("funding_call.closed")
def call_closed(tx: Tx, env: Envelope, p: ev.FundingCallClosedV1) -> None:
    tx.write(
        "UPDATE funding_call SET closed_on = %s WHERE call_id = %s", (_on(env), str(p.call_id))
    )


@_handles("funding_application.submitted")
def application_submitted(tx: Tx, env: Envelope, p: ev.FundingApplicationSubmittedV1) -> None:
    host = str(p.host_organisation_id) if p.host_organisation_id else None
    tx.write(
        "INSERT INTO funding_application (application_id, call_id, org_id, village_code,"
        " programme, round, project, requested_fen, host_org_id, applied_on, state)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'submitted')"
        " ON CONFLICT (application_id) DO NOTHING",
        (
            str(p.application_id),
            str(p.call_id),
            str(env.organisation_id),
            env.division_code,
            str(p.programme),
            p.round,
            p.project,
            _fen(p.requested),
            host,
            _on(env),
        ),
    )


@_handles("funding_application.approved")
def application_approved(tx: Tx, env: Envelope, p: ev.FundingApplicationApprovedV1) -> None:
    tx.write(
        "UPDATE funding_application SET state = 'approved', decided_on = %s, award_id = %s,"
        " amount_fen = %s WHERE application_id = %s",
        (_on(env), str(p.award_id), _fen(p.amount), str(p.application_id)),
    )


@_handles("funding_application.rejected")
def application_rejected(tx: Tx, env: Envelope, p: ev.FundingApplicationRejectedV1) -> None:
    tx.write(
        "UPDATE funding_application SET state = 'rejected', decided_on = %s, reason = %s"
        " WHERE application_id = %s",
        (_on(env), p.reason, str(p.application_id)),
    )


@_handles("funding.evaluated")
def award_evaluated(tx: Tx, env: Envelope, p: ev.FundingEvaluatedV1) -> None:
    tx.write(
        "INSERT INTO funding_evaluation (award_id, stage, score_centi, grade, evaluated_on,"
        " rule_version) VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (award_id, stage) DO NOTHING",
        (str(p.award_id), p.stage, _fen(p.score), p.grade, _on(env), env.rule_version),
    )


@_handles("funding.closed")
def award_closed(tx: Tx, env: Envelope, p: ev.FundingClosedV1) -> None:
    tx.write(
        "UPDATE funding_award_lifecycle SET closed_on = %s, final_grade = %s, released_fen = %s"
        " WHERE award_id = %s",
        (_on(env), p.final_grade, _fen(p.released), str(p.award_id)),
    )
    tx.write(
        "UPDATE funding_detail SET closed_on = %s, beneficiaries_reached = %s WHERE award_id = %s",
        (_on(env), p.beneficiaries_reached, str(p.award_id)),
    )


@_handles("programme_budget.set")
@_handles("programme_budget.revised")
def budget_set(tx: Tx, env: Envelope, p: ev.ProgrammeBudgetV1) -> None:
    # Events of one budget arrive in order: the last one written is the latest revision.
    tx.write(
        "INSERT INTO programme_budget (programme, year, county_code, amount_fen, set_on)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (programme, year) DO UPDATE SET"
        " amount_fen = excluded.amount_fen, set_on = excluded.set_on",
        (str(p.programme), p.year, env.division_code, _fen(p.amount), _on(env)),
    )


# ------------------------------------------------------------------ queries


def award_view(tx: Tx, award_id: str) -> dict[str, Any] | None:
    """One award as the read model holds it: amount, tranches, decision record, evaluations."""
    row = tx.one(
        "SELECT f.award_id, f.org_id, f.village_code, f.programme, f.round, f.project, f.amount_fen,"
        " f.awarded_on, f.host_org_id, l.call_id, l.application_id, l.snapshot, l.rule_version,"
        " l.closed_on, l.final_grade, l.released_fen, d.purchaser, d.beneficiaries_planned,"
        " d.beneficiaries_reached, pc.purchaser_code FROM funding f"
        " LEFT JOIN funding_award_lifecycle l ON l.award_id = f.award_id"
        " LEFT JOIN funding_detail d ON d.award_id = f.award_id"
        " LEFT JOIN funding_purchaser pc ON pc.award_id = f.award_id WHERE f.award_id = %s",
        (award_id,),
    )
    if row is None:
        return None
    paid = tx.all(
        "SELECT tranche, amount_fen, disbursed_on FROM disbursement WHERE award_id = %s"
        " ORDER BY disbursed_on, tranche",
        (award_id,),
    )
    evaluations = tx.all(
        "SELECT stage, score_centi, grade, evaluated_on, rule_version FROM funding_evaluation"
        " WHERE award_id = %s ORDER BY evaluated_on, stage",
        (award_id,),
    )
    return {
        **row,
        "snapshot": json.loads(row["snapshot"]) if row["snapshot"] else None,
        "tranches": paid,
        "evaluations": evaluations,
    }


def by_purchaser(tx: Tx, start: str, end: str) -> list[dict[str, Any]]:
    """Purchase of services awarded from ``start`` to ``end`` by purchasing department (ADR
    0021 addendum): one row per code of the purchasers list; for 其他 and for the free text
    recorded before the list (no code: ``None``), one row per department's text as recorded."""
    rows = tx.all(
        "SELECT pc.purchaser_code AS code, CASE WHEN pc.purchaser_code IS NULL"
        " OR pc.purchaser_code = 'other' THEN d.purchaser END AS text,"
        " COUNT(*) AS n, SUM(d.amount_fen) AS fen FROM funding_detail d"
        " LEFT JOIN funding_purchaser pc ON pc.award_id = d.award_id"
        " WHERE d.programme = 'purchase_of_services' AND d.awarded_on BETWEEN %s AND %s"
        " GROUP BY 1, 2",
        (start, end),
    )
    return sorted(rows, key=lambda r: (r["code"] is None, r["code"] or "", r["text"] or ""))


def programme_totals(tx: Tx, programme: str, round: str) -> dict[str, Any]:
    """Budget, applications, awards, tranches, closures and grades of a programme and round,
    in fen; ``award_ids`` for the reconciliation with the event store."""
    call = tx.one(
        "SELECT call_id, title, budget_fen, deadline, opened_on, closed_on FROM funding_call"
        " WHERE programme = %s AND round = %s",
        (programme, round),
    )
    states = tx.all(
        "SELECT state, COUNT(*) AS n FROM funding_application WHERE programme = %s"
        " AND round = %s GROUP BY state",
        (programme, round),
    )
    awards = tx.all(
        "SELECT f.award_id, f.amount_fen, l.call_id, l.closed_on, l.final_grade,"
        " l.released_fen FROM funding f LEFT JOIN funding_award_lifecycle l"
        " ON l.award_id = f.award_id WHERE f.programme = %s AND f.round = %s",
        (programme, round),
    )
    paid = tx.one(
        "SELECT COUNT(*) AS n, COALESCE(SUM(d.amount_fen), 0) AS fen FROM disbursement d"
        " JOIN funding f ON f.award_id = d.award_id WHERE f.programme = %s AND f.round = %s",
        (programme, round),
    )
    grades = tx.all(
        "SELECT e.stage, e.grade, COUNT(*) AS n FROM funding_evaluation e JOIN funding f"
        " ON f.award_id = e.award_id WHERE f.programme = %s AND f.round = %s"
        " GROUP BY e.stage, e.grade",
        (programme, round),
    )
    return {
        "call": call,
        "applications": {r["state"]: int(r["n"]) for r in states},
        "award_ids": sorted(r["award_id"] for r in awards),
        "awarded_fen": sum(int(r["amount_fen"]) for r in awards),
        "through_call_fen": sum(int(r["amount_fen"]) for r in awards if r["call_id"]),
        "closed": sum(1 for r in awards if r["closed_on"]),
        "released_fen": sum(int(r["released_fen"] or 0) for r in awards),
        "tranches": int(paid["n"]) if paid else 0,
        "disbursed_fen": int(paid["fen"]) if paid else 0,
        "grades": [(r["stage"], r["grade"], int(r["n"])) for r in grades],
    }


def calls(tx: Tx) -> list[dict[str, Any]]:
    """Every call, newest round first, each with its applications (and the applicant's name)
    in the order they came: the funding worklist of the county console."""
    rows = tx.all(
        "SELECT call_id, programme, round, title, budget_fen, deadline, opened_on, closed_on"
        " FROM funding_call ORDER BY round DESC, programme, call_id"
    )
    for row in rows:
        row["applications"] = tx.all(
            "SELECT a.application_id, a.org_id, o.name, a.village_code, a.project,"
            " a.requested_fen, a.host_org_id, a.applied_on, a.state, a.decided_on, a.award_id,"
            " a.amount_fen, a.reason FROM funding_application a LEFT JOIN org o"
            " ON o.org_id = a.org_id WHERE a.call_id = %s ORDER BY a.applied_on, a.application_id",
            (row["call_id"],),
        )
    return rows


def budgets(tx: Tx, first_year: int, last_year: int) -> list[dict[str, Any]]:
    """The yearly budgets of every programme for the years ``first_year``–``last_year``."""
    return tx.all(
        "SELECT programme, year, amount_fen FROM programme_budget WHERE year BETWEEN %s AND %s"
        " ORDER BY year, programme",
        (first_year, last_year),
    )
