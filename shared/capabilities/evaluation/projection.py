"""Read model of third-party evaluation (ADR 0026): evaluators, bound accounts, assignments and
their targets, findings and decisions, each with who recorded it (the envelope's actor), so
the bureau's pages show who evaluated and who decided. Every event of one evaluator or
assignment comes from the county's store in order, so an update never precedes its row.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from shared.infrastructure.projector import stamp
from shared.infrastructure.store import Tx
from shared.kernel.domain import legal_date
from shared.kernel.integration import events as ev
from shared.kernel.integration.envelope import Envelope

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS evaluator (
        evaluator_id TEXT PRIMARY KEY, county_code TEXT NOT NULL, name TEXT NOT NULL,
        identifier TEXT NOT NULL, contact_role TEXT NOT NULL, state TEXT NOT NULL,
        registered_on TEXT NOT NULL, changed_on TEXT, reason TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS evaluator_member (
        member_id TEXT PRIMARY KEY, evaluator_id TEXT NOT NULL, account_id TEXT NOT NULL,
        bound_on TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS evaluation_assignment (
        assignment_id TEXT PRIMARY KEY, county_code TEXT NOT NULL, evaluator_id TEXT NOT NULL,
        kind TEXT NOT NULL, title TEXT NOT NULL, due_on TEXT NOT NULL, assigned_on TEXT NOT NULL,
        assigned_by TEXT NOT NULL, closed_on TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS evaluation_assignment_evaluator"
    " ON evaluation_assignment (evaluator_id)",
    # award_key: the award's id, '' for a grade evaluation (a key column cannot be NULL).
    """CREATE TABLE IF NOT EXISTS evaluation_target (
        assignment_id TEXT NOT NULL, org_id TEXT NOT NULL, award_key TEXT NOT NULL,
        village_code TEXT NOT NULL, PRIMARY KEY (assignment_id, org_id, award_key)
    )""",
    """CREATE TABLE IF NOT EXISTS evaluation_finding (
        finding_id TEXT PRIMARY KEY, assignment_id TEXT NOT NULL, org_id TEXT NOT NULL,
        village_code TEXT NOT NULL, evaluator_id TEXT NOT NULL, award_id TEXT, stage TEXT,
        grade INTEGER, score_centi BIGINT, text TEXT NOT NULL, evaluated_on TEXT NOT NULL,
        recorded_on TEXT NOT NULL, recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL,
        corrects TEXT, superseded_by TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS evaluation_finding_assignment"
    " ON evaluation_finding (assignment_id)",
    """CREATE TABLE IF NOT EXISTS evaluation_decision (
        finding_id TEXT PRIMARY KEY, assignment_id TEXT NOT NULL, org_id TEXT NOT NULL,
        award_id TEXT, outcome TEXT NOT NULL, grade INTEGER, score_centi BIGINT,
        reason TEXT NOT NULL, decided_on TEXT NOT NULL, decided_by TEXT NOT NULL
    )""",
]
TABLES = {
    "evaluator": "evaluator_id",
    "evaluator_member": "member_id",
    "evaluation_assignment": "assignment_id",
    "evaluation_target": "assignment_id, org_id, award_key",
    "evaluation_finding": "finding_id",
    "evaluation_decision": "finding_id",
}

Handler = Callable[[Tx, Envelope, Any], None]
HANDLERS: dict[str, Handler] = {}


def _handles(*type_names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in type_names:
            HANDLERS[f"sanji.county.{name}.v1"] = fn
        return fn

    return register


def _on(env: Envelope) -> str:
    return legal_date(env.effective_at).isoformat()


def _who(env: Envelope) -> str:
    return env.actor.name or env.actor.id


def _centi(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


@_handles("evaluator.registered")
def evaluator_registered(tx: Tx, env: Envelope, p: ev.EvaluatorRegisteredV1) -> None:
    tx.execute(
        "INSERT INTO evaluator (evaluator_id, county_code, name, identifier, contact_role,"
        " state, registered_on) VALUES (%s, %s, %s, %s, %s, 'active', %s)"
        " ON CONFLICT (evaluator_id) DO NOTHING",
        (str(p.evaluator_id), env.division_code, p.name, p.identifier, p.contact_role, _on(env)),
    )


@_handles("evaluator.suspended", "evaluator.resumed", "evaluator.ended")
def evaluator_changed(tx: Tx, env: Envelope, p: ev.EvaluatorStateV1) -> None:
    state = {"suspended": "suspended", "resumed": "active", "ended": "ended"}
    tx.execute(
        "UPDATE evaluator SET state = %s, changed_on = %s, reason = %s WHERE evaluator_id = %s",
        (state[env.type.split(".")[3]], _on(env), p.reason, str(p.evaluator_id)),
    )


@_handles("evaluator.member_bound")
def member_bound(tx: Tx, env: Envelope, p: ev.EvaluatorMemberBoundV1) -> None:
    tx.execute(
        "INSERT INTO evaluator_member (member_id, evaluator_id, account_id, bound_on)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (member_id) DO NOTHING",
        (str(p.member_id), str(p.evaluator_id), str(p.account_id), _on(env)),
    )


@_handles("evaluation.assigned")
def assigned(tx: Tx, env: Envelope, p: ev.EvaluationAssignedV1) -> None:
    tx.execute(
        "INSERT INTO evaluation_assignment (assignment_id, county_code, evaluator_id, kind,"
        " title, due_on, assigned_on, assigned_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (assignment_id) DO NOTHING",
        (
            str(p.assignment_id),
            env.division_code,
            str(p.evaluator_id),
            p.kind,
            p.title,
            p.due_on.isoformat(),
            _on(env),
            _who(env),
        ),
    )
    for t in p.targets:
        tx.execute(
            "INSERT INTO evaluation_target (assignment_id, org_id, award_key, village_code)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (assignment_id, org_id, award_key) DO NOTHING",
            (
                str(p.assignment_id),
                str(t.organisation_id),
                str(t.award_id) if t.award_id else "",
                t.village_code,
            ),
        )


@_handles("evaluation.finding_recorded")
def finding_recorded(tx: Tx, env: Envelope, p: ev.EvaluationFindingV1) -> None:
    tx.execute(
        "INSERT INTO evaluation_finding (finding_id, assignment_id, org_id, village_code,"
        " evaluator_id, award_id, stage, grade, score_centi, text, evaluated_on, recorded_on,"
        " recorded_at, recorded_by, corrects)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (finding_id) DO NOTHING",
        (
            str(p.finding_id),
            str(p.assignment_id),
            str(p.organisation_id),
            env.division_code,
            str(p.evaluator_id),
            str(p.award_id) if p.award_id else None,
            p.stage,
            p.grade,
            _centi(p.score),
            p.text,
            p.evaluated_on.isoformat(),
            _on(env),
            stamp(env.recorded_at),
            _who(env),
            str(p.corrects) if p.corrects else None,
        ),
    )
    if p.corrects:
        tx.execute(
            "UPDATE evaluation_finding SET superseded_by = %s WHERE finding_id = %s",
            (str(p.finding_id), str(p.corrects)),
        )


@_handles("evaluation.decided")
def decided(tx: Tx, env: Envelope, p: ev.EvaluationDecidedV1) -> None:
    tx.execute(
        "INSERT INTO evaluation_decision (finding_id, assignment_id, org_id, award_id, outcome,"
        " grade, score_centi, reason, decided_on, decided_by)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (finding_id) DO NOTHING",
        (
            str(p.finding_id),
            str(p.assignment_id),
            str(p.organisation_id),
            str(p.award_id) if p.award_id else None,
            p.outcome,
            p.grade,
            _centi(p.score),
            p.reason,
            _on(env),
            _who(env),
        ),
    )


@_handles("evaluation.closed")
def closed(tx: Tx, env: Envelope, p: ev.EvaluationClosedV1) -> None:
    tx.execute(
        "UPDATE evaluation_assignment SET closed_on = %s WHERE assignment_id = %s",
        (_on(env), str(p.assignment_id)),
    )


# ------------------------------------------------------------------ queries


def _score(row: dict[str, Any]) -> dict[str, Any]:
    centi = row.pop("score_centi", None)
    row["score"] = None if centi is None else str(Decimal(centi) / 100)
    return row


def evaluators(tx: Tx) -> list[dict[str, Any]]:
    rows = tx.all("SELECT * FROM evaluator ORDER BY registered_on, name")
    for r in rows:
        r["accounts"] = [
            m["account_id"]
            for m in tx.all(
                "SELECT account_id FROM evaluator_member WHERE evaluator_id = %s ORDER BY bound_on",
                (r["evaluator_id"],),
            )
        ]
    return rows


def assignments(tx: Tx, evaluator_id: str | None) -> list[dict[str, Any]]:
    """Assignments (of one evaluator, or all), newest first, with their progress."""
    where, args = ("WHERE a.evaluator_id = %s", (evaluator_id,)) if evaluator_id else ("", ())
    return tx.all(
        "SELECT a.*, e.name AS evaluator_name,"
        " (SELECT COUNT(*) FROM evaluation_target t WHERE t.assignment_id = a.assignment_id)"
        " AS targets,"
        " (SELECT COUNT(*) FROM evaluation_finding f WHERE f.assignment_id = a.assignment_id"
        "  AND f.superseded_by IS NULL) AS findings,"
        " (SELECT COUNT(*) FROM evaluation_decision d WHERE d.assignment_id = a.assignment_id)"
        " AS decisions"
        f" FROM evaluation_assignment a LEFT JOIN evaluator e ON e.evaluator_id = a.evaluator_id"
        f" {where} ORDER BY a.assigned_on DESC, a.assignment_id",
        args,
    )


def assignment(tx: Tx, assignment_id: str) -> dict[str, Any] | None:
    """One assignment with its targets (name of each organisation), findings and decisions."""
    found = tx.one(
        "SELECT a.*, e.name AS evaluator_name FROM evaluation_assignment a"
        " LEFT JOIN evaluator e ON e.evaluator_id = a.evaluator_id WHERE a.assignment_id = %s",
        (assignment_id,),
    )
    if found is None:
        return None
    found["targets"] = tx.all(
        "SELECT t.org_id, t.award_key, t.village_code, o.name FROM evaluation_target t"
        " LEFT JOIN org o ON o.org_id = t.org_id WHERE t.assignment_id = %s ORDER BY o.name,"
        " t.org_id",
        (assignment_id,),
    )
    found["findings"] = [
        _score(r)
        for r in tx.all(
            "SELECT * FROM evaluation_finding WHERE assignment_id = %s"
            " ORDER BY recorded_at, finding_id",
            (assignment_id,),
        )
    ]
    found["decisions"] = [
        _score(r)
        for r in tx.all(
            "SELECT * FROM evaluation_decision WHERE assignment_id = %s ORDER BY decided_on",
            (assignment_id,),
        )
    ]
    return found


def done_per_year(tx: Tx) -> list[dict[str, Any]]:
    """Assignments made, findings recorded (corrections not counted twice) and decisions per
    year at the county: the bureau's yearly account of outside evaluation."""
    counts: dict[str, dict[str, int]] = {}
    queries = {
        "assignments": "SELECT assigned_on AS day FROM evaluation_assignment",
        "findings": "SELECT evaluated_on AS day FROM evaluation_finding"
        " WHERE superseded_by IS NULL",
        "decisions": "SELECT decided_on AS day FROM evaluation_decision",
    }
    for key, sql in queries.items():
        for r in tx.all(sql):
            year = str(r["day"])[:4]
            counts.setdefault(year, {"assignments": 0, "findings": 0, "decisions": 0})[key] += 1
    return [{"year": int(y), **c} for y, c in sorted(counts.items())]
