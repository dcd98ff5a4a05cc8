"""The upward read model: integration events → rows, one handler per event type.

Every tier projects the same events into the same tables, filtered to its scope (a village
service sees its villages, a township its townships, the county everything). Events from
different tiers arrive interleaved in any order (each source is ordered only within itself), so
every handler writes only the columns its fact owns, and the few shared columns (name, field,
charter) are last-writer-wins on the source's recorded time. That makes the result independent
of cross-source arrival order, which the property test in tests/integration checks.

Amounts are stored as integers (fen, hundredths of an hour) so sums are exact on both engines;
BIGINT, because the API accepts 14-digit yuan amounts (PostgreSQL INTEGER stops at 2^31).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from shared.capabilities.approvals import projection as approvals
from shared.capabilities.commendations import projection as commendations
from shared.capabilities.evaluation import projection as evaluation
from shared.capabilities.exits import projection as zombie_exit
from shared.capabilities.funding import projection as funding_lifecycle
from shared.capabilities.identity import projection as accounts
from shared.capabilities.points import projection as points
from shared.capabilities.sampling import projection as sampling
from shared.capabilities.training import projection as training
from shared.infrastructure.projector import Deferred, stamp
from shared.infrastructure.store import Tx
from shared.infrastructure.versions import touch
from shared.kernel.domain import Category, legal_date
from shared.kernel.integration import events as ev
from shared.kernel.integration.envelope import Envelope
from shared.kernel.jurisdiction import contains
from shared.tier import rollups

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS org (
        org_id TEXT PRIMARY KEY,
        village_code TEXT NOT NULL,
        name TEXT, field TEXT, profile_at TEXT,
        legal_form TEXT, category TEXT,
        applied_on TEXT,
        filing_number TEXT, filed_on TEXT, rejected_on TEXT, filing_ended_on TEXT,
        usci TEXT, registered_on TEXT, registration_ended_on TEXT, exit_kind TEXT,
        charter_at TEXT, party_clause INTEGER, integrity_clause INTEGER,
        party_org TEXT, party_org_on TEXT, category_at TEXT,
        grade INTEGER, grade_valid_until TEXT, credit TEXT, stars INTEGER
    )""",
    "CREATE INDEX IF NOT EXISTS org_village ON org (village_code)",
    # The public search finds an organisation by its USCI or filing number (ADR 0023).
    "CREATE INDEX IF NOT EXISTS org_usci ON org (usci)",
    "CREATE INDEX IF NOT EXISTS org_filing_number ON org (filing_number)",
    # What an organisation's field, category and charter were on any day: every statement with
    # its effective date. The org row holds the latest (by effective date, then recording), and
    # a report as of a past day corrects the few organisations that changed after it.
    """CREATE TABLE IF NOT EXISTS org_history (
        org_id TEXT NOT NULL, fact TEXT NOT NULL, source TEXT NOT NULL, position INTEGER NOT NULL,
        village_code TEXT NOT NULL, effective_on TEXT NOT NULL, stamp TEXT NOT NULL,
        value TEXT NOT NULL, PRIMARY KEY (org_id, fact, source, position)
    )""",
    "CREATE INDEX IF NOT EXISTS org_history_village ON org_history (village_code, effective_on)",
    # Index of every event about an organisation, from any tier (its audit timeline,
    # shared/audit/timeline.py): where to find it, not the event itself — the event stores are
    # the audit trail, read back by position.
    """CREATE TABLE IF NOT EXISTS org_event (
        organisation_id TEXT NOT NULL, source TEXT NOT NULL, position BIGINT NOT NULL,
        type TEXT NOT NULL, recorded_at TEXT NOT NULL, effective_at TEXT NOT NULL,
        PRIMARY KEY (organisation_id, source, position)
    )""",
    """CREATE TABLE IF NOT EXISTS activity (
        activity_id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL, village_code TEXT NOT NULL, occurred_on TEXT NOT NULL,
        field TEXT NOT NULL,
        participants INTEGER NOT NULL, volunteers INTEGER NOT NULL,
        volunteer_services INTEGER NOT NULL, volunteer_hours_centi BIGINT NOT NULL,
        beneficiaries INTEGER NOT NULL, money_fen BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS activity_org ON activity (org_id, occurred_on)",
    "CREATE INDEX IF NOT EXISTS activity_village ON activity (village_code, occurred_on)",
    # An activity's themes and mediation cases (issue 14, ADR 0019), written with its activity
    # row. Tables of their own rather than columns of ``activity``: a read model from before
    # them needs no migration (its activities had neither), and a theme's figures are the
    # activity's figures joined through ``activity_theme``.
    """CREATE TABLE IF NOT EXISTS activity_theme (
        activity_id TEXT NOT NULL, theme TEXT NOT NULL,
        village_code TEXT NOT NULL, occurred_on TEXT NOT NULL,
        PRIMARY KEY (activity_id, theme)
    )""",
    "CREATE INDEX IF NOT EXISTS activity_theme_village ON activity_theme (village_code, occurred_on)",
    """CREATE TABLE IF NOT EXISTS activity_cases (
        activity_id TEXT PRIMARY KEY,
        village_code TEXT NOT NULL, occurred_on TEXT NOT NULL,
        cases_taken INTEGER NOT NULL, cases_resolved INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS activity_cases_village ON activity_cases (village_code, occurred_on)",
    # The volunteer register and who served in each activity (issue 14, ADR 0021). A volunteer
    # number means something only with its village: the key is (village_code, volunteer_id).
    """CREATE TABLE IF NOT EXISTS volunteer (
        village_code TEXT NOT NULL, volunteer_id TEXT NOT NULL, registered_on TEXT NOT NULL,
        PRIMARY KEY (village_code, volunteer_id)
    )""",
    """CREATE TABLE IF NOT EXISTS activity_volunteer (
        activity_id TEXT NOT NULL, volunteer_id TEXT NOT NULL,
        village_code TEXT NOT NULL, occurred_on TEXT NOT NULL,
        PRIMARY KEY (activity_id, volunteer_id)
    )""",
    "CREATE INDEX IF NOT EXISTS activity_volunteer_village"
    " ON activity_volunteer (village_code, occurred_on)",
    # Spans a volunteer was off the register (ADR 0021 addendum): its own table, so an older
    # read model needs no migration; rejoined_on is null while the volunteer is away.
    """CREATE TABLE IF NOT EXISTS volunteer_absence (
        village_code TEXT NOT NULL, volunteer_id TEXT NOT NULL, left_on TEXT NOT NULL,
        reason TEXT NOT NULL, rejoined_on TEXT,
        PRIMARY KEY (village_code, volunteer_id, left_on)
    )""",
    """CREATE TABLE IF NOT EXISTS inspection (
        inspection_id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL, village_code TEXT NOT NULL,
        inspected_on TEXT, result TEXT, rectified_on TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS annual_report (
        org_id TEXT NOT NULL, year INTEGER NOT NULL, village_code TEXT NOT NULL,
        filed_on TEXT NOT NULL, PRIMARY KEY (org_id, year)
    )""",
    """CREATE TABLE IF NOT EXISTS funding (
        award_id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL, village_code TEXT NOT NULL, programme TEXT NOT NULL,
        round TEXT NOT NULL, project TEXT NOT NULL, amount_fen BIGINT NOT NULL,
        awarded_on TEXT NOT NULL, host_org_id TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS disbursement (
        award_id TEXT NOT NULL, tranche TEXT NOT NULL,
        org_id TEXT NOT NULL, village_code TEXT NOT NULL, programme TEXT NOT NULL,
        amount_fen BIGINT NOT NULL, disbursed_on TEXT NOT NULL,
        PRIMARY KEY (award_id, tranche)
    )""",
    # Rating history (the org row keeps only the latest): as-of reports need what held then.
    """CREATE TABLE IF NOT EXISTS rating (
        org_id TEXT NOT NULL, position INTEGER NOT NULL, village_code TEXT NOT NULL,
        rated_on TEXT NOT NULL, credit TEXT, grade INTEGER, grade_valid_until TEXT,
        stars INTEGER, PRIMARY KEY (org_id, position)
    )""",
    """CREATE TABLE IF NOT EXISTS credit_listing (
        org_id TEXT NOT NULL, credit_list TEXT NOT NULL, position INTEGER NOT NULL,
        village_code TEXT NOT NULL, entered_on TEXT NOT NULL, reason TEXT NOT NULL,
        left_on TEXT, PRIMARY KEY (org_id, credit_list, position)
    )""",
    """CREATE TABLE IF NOT EXISTS platform (
        platform_id TEXT PRIMARY KEY, division_code TEXT NOT NULL, source_tier TEXT NOT NULL,
        kind TEXT NOT NULL, name TEXT NOT NULL, opened_on TEXT NOT NULL, closed_on TEXT
    )""",
    # Division changes recorded by the county (shared/capabilities/divisions/history.py, ADR 0005): one row per
    # change, keyed by its place in the county's history, so replays and duplicates are no-ops.
    """CREATE TABLE IF NOT EXISTS division_change (
        county_code TEXT NOT NULL, sequence INTEGER NOT NULL, kind TEXT NOT NULL,
        code TEXT NOT NULL, effective_on TEXT NOT NULL, recorded_at TEXT NOT NULL,
        data TEXT NOT NULL, PRIMARY KEY (county_code, sequence)
    )""",
    "CREATE INDEX IF NOT EXISTS inspection_village ON inspection (village_code)",
    "CREATE INDEX IF NOT EXISTS funding_village ON funding (village_code, awarded_on)",
    # Audit (shared/kernel/chain.py, shared/capabilities/ledger/domain.py): the last chain link seen from every source,
    # the heads recorded by every tier's daily checkpoint, and every issued report.
    """CREATE TABLE IF NOT EXISTS chain_head (
        source TEXT PRIMARY KEY, position BIGINT NOT NULL, link TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS chain_checkpoint (
        source TEXT NOT NULL, day TEXT NOT NULL, head_source TEXT NOT NULL,
        position BIGINT NOT NULL, link TEXT NOT NULL, recorded_at TEXT NOT NULL,
        PRIMARY KEY (source, day, head_source))""",
    """CREATE TABLE IF NOT EXISTS issued_report (
        report_id TEXT PRIMARY KEY, source TEXT NOT NULL, division_code TEXT NOT NULL,
        title TEXT NOT NULL, as_of TEXT NOT NULL, period_from TEXT NOT NULL,
        period_to TEXT NOT NULL, period_label TEXT NOT NULL, tree TEXT NOT NULL, known_at TEXT,
        watermarks TEXT NOT NULL, rule_versions TEXT NOT NULL, content_hash TEXT NOT NULL,
        issued_at TEXT NOT NULL, actor TEXT NOT NULL)""",
    # Periodic returns and their approval steps (ADR 0008).
    *approvals.SCHEMA,
    # Zombie-exit proceedings (ADR 0009).
    *zombie_exit.SCHEMA,
    # Inspection draws (ADR 0010).
    *sampling.SCHEMA,
    # Funding calls, applications, evaluations and closures (ADR 0011).
    *funding_lifecycle.SCHEMA,
    # Third-party evaluation (ADR 0026).
    *evaluation.SCHEMA,
    # Operator accounts of every tier (ADR 0012).
    *accounts.SCHEMA,
    # Resident points: pilots and manual adjustments (ADR 0027).
    *points.SCHEMA,
    # Training courses and their attendance (ADR 0024).
    *training.SCHEMA,
    *commendations.SCHEMA,
    # Reads of one organisation's record (ADR 0012): written by the API, not by events, so
    # a rebuild neither makes nor compares it.
    """CREATE TABLE IF NOT EXISTS access_log (
        id TEXT PRIMARY KEY, at TEXT NOT NULL, account_id TEXT NOT NULL, name TEXT NOT NULL,
        tier TEXT NOT NULL, division_code TEXT NOT NULL, method TEXT NOT NULL,
        path TEXT NOT NULL, organisation_id TEXT, address TEXT, status INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS access_log_at ON access_log (at)",
    "CREATE INDEX IF NOT EXISTS access_log_org ON access_log (organisation_id)",
    # Exactly-once bookkeeping, written in the same transaction as the rows above (ADR 0001).
    "CREATE TABLE IF NOT EXISTS tracking (source TEXT PRIMARY KEY, position INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS consumer_offset (
        topic TEXT NOT NULL, part INTEGER NOT NULL, next_offset INTEGER NOT NULL,
        PRIMARY KEY (topic, part))""",
    "CREATE TABLE IF NOT EXISTS relay_position (source TEXT PRIMARY KEY, position INTEGER NOT NULL)",
    # Report counter cache (shared.reporting.counters): a division's version moves with every
    # event applied to it or below it, in the same transaction, so a cached entry computed at
    # an older version is never used.
    "CREATE TABLE IF NOT EXISTS division_version (code TEXT PRIMARY KEY, version BIGINT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS counter_cache (
        key TEXT NOT NULL, code TEXT NOT NULL, version BIGINT NOT NULL, counters TEXT NOT NULL,
        PRIMARY KEY (key, code)
    )""",
    # Poison events (ADR 0003): kept for good; resolved_at marks a replay.
    """CREATE TABLE IF NOT EXISTS dead_letter (
        source TEXT NOT NULL, position INTEGER NOT NULL, type TEXT NOT NULL,
        envelope TEXT NOT NULL, error TEXT NOT NULL, attempts INTEGER NOT NULL,
        failed_at TEXT NOT NULL, resolved_at TEXT,
        PRIMARY KEY (source, position, failed_at)
    )""",
    # Monthly activity rollups kept with the rows (ADR 0030).
    *rollups.SCHEMA,
]

# Tables compared by a canonical dump (rebuild-and-compare); bookkeeping tables excluded.
READ_MODEL_TABLES = {
    "org": "org_id",
    "activity": "activity_id",
    "activity_theme": "activity_id, theme",
    "activity_cases": "activity_id",
    "volunteer": "village_code, volunteer_id",
    "activity_volunteer": "activity_id, volunteer_id",
    "volunteer_absence": "village_code, volunteer_id, left_on",
    "inspection": "inspection_id",
    "annual_report": "org_id, year",
    "org_history": "org_id, fact, source, position",
    "org_event": "organisation_id, source, position",
    "funding": "award_id",
    "disbursement": "award_id, tranche",
    "rating": "org_id, position",
    "credit_listing": "org_id, credit_list, position",
    "platform": "platform_id",
    "division_change": "county_code, sequence",
    "chain_head": "source",
    "chain_checkpoint": "source, day, head_source",
    "issued_report": "report_id",
    **approvals.TABLES,
    **zombie_exit.TABLES,
    **sampling.TABLES,
    **funding_lifecycle.TABLES,
    **evaluation.TABLES,
    **accounts.TABLES,
    **points.TABLES,
    **training.TABLES,
    **commendations.TABLES,
    **rollups.TABLES,
}


def create_schema(tx: Tx) -> None:
    for statement in SCHEMA:
        tx.write(statement)
    rollups.backfill(tx)  # a read model from before the rollup gets it from its rows, once


def effective_date(env: Envelope) -> str:
    return legal_date(env.effective_at).isoformat()


def centi(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


# ------------------------------------------------------------------ handlers

Handler = Callable[[Tx, Envelope, Any], None]
HANDLERS: dict[str, Handler] = {
    **approvals.HANDLERS,
    **zombie_exit.HANDLERS,
    **sampling.HANDLERS,
    **funding_lifecycle.HANDLERS,
    **evaluation.HANDLERS,
    **accounts.HANDLERS,
    **points.HANDLERS,
    **training.HANDLERS,
    **commendations.HANDLERS,
}


def handles(*types: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for t in types:
            HANDLERS[t] = fn
        return fn

    return register


def _org(tx: Tx, env: Envelope) -> str:
    org_id = str(env.organisation_id)
    tx.write(
        "INSERT INTO org (org_id, village_code) VALUES (%s, %s) ON CONFLICT (org_id) DO NOTHING",
        (org_id, env.division_code),
    )
    return org_id


def _set(tx: Tx, org_id: str, **columns: Any) -> None:
    assignments = ", ".join(f"{c} = %s" for c in columns)
    tx.write(f"UPDATE org SET {assignments} WHERE org_id = %s", (*columns.values(), org_id))


def version_stamp(env: Envelope) -> str:
    """Order of statements about one fact: effective date first, then recording time."""
    return f"{effective_date(env)}|{stamp(env.recorded_at)}"


def _history(tx: Tx, env: Envelope, org_id: str, fact: str, value: str) -> None:
    tx.write(
        "INSERT INTO org_history (org_id, fact, source, position, village_code, effective_on,"
        " stamp, value) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (org_id, fact, source, position) DO NOTHING",
        (
            org_id,
            fact,
            env.source,
            env.position,
            env.division_code,
            effective_date(env),
            version_stamp(env),
            value,
        ),
    )


def _profile(tx: Tx, env: Envelope, name: str, field: str, legal_form: str | None) -> None:
    """Name and field: the latest statement (by effective date, then recording time) wins,
    whatever the arrival order; every statement is kept for as-of reports."""
    org_id = _org(tx, env)
    tx.write(
        "UPDATE org SET name = %s, field = %s, profile_at = %s WHERE org_id = %s "
        "AND (profile_at IS NULL OR profile_at < %s)",
        (name, field, version_stamp(env), org_id, version_stamp(env)),
    )
    _history(tx, env, org_id, "field", field)
    if legal_form is not None:
        _set(tx, org_id, legal_form=legal_form)


def _category(tx: Tx, env: Envelope, org_id: str, category: str | None) -> None:
    # Stated at application (village) or registration (county); either may arrive first. A
    # version-1 event states none (None) and "general" is the default: neither overrides a
    # category stated earlier, so only the others are recorded.
    if category is None or category == Category.GENERAL:
        return
    tx.write(
        "UPDATE org SET category = %s, category_at = %s WHERE org_id = %s"
        " AND (category_at IS NULL OR category_at < %s)",
        (category, version_stamp(env), org_id, version_stamp(env)),
    )
    _history(tx, env, org_id, "category", category)


@handles("sanji.village.group.applied.v1")
def group_applied(tx: Tx, env: Envelope, p: ev.GroupAppliedV1) -> None:
    _profile(tx, env, p.name, p.field, None)
    _set(tx, str(env.organisation_id), applied_on=effective_date(env))
    _category(tx, env, str(env.organisation_id), p.category)


ACTIVITY_ROW = (
    "INSERT INTO activity (activity_id, org_id, village_code, occurred_on, field, participants,"
    " volunteers, volunteer_services, volunteer_hours_centi, beneficiaries, money_fen)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (activity_id) DO NOTHING"
)
ACTIVITY_THEME_ROW = (
    "INSERT INTO activity_theme (activity_id, theme, village_code, occurred_on)"
    " VALUES (%s, %s, %s, %s) ON CONFLICT (activity_id, theme) DO NOTHING"
)
ACTIVITY_CASES_ROW = (
    "INSERT INTO activity_cases (activity_id, village_code, occurred_on, cases_taken,"
    " cases_resolved) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (activity_id) DO NOTHING"
)
ACTIVITY_VOLUNTEER_ROW = (
    "INSERT INTO activity_volunteer (activity_id, volunteer_id, village_code, occurred_on)"
    " VALUES (%s, %s, %s, %s) ON CONFLICT (activity_id, volunteer_id) DO NOTHING"
)


def activity_rows(env: Envelope, p: ev.ActivityReportedV1) -> list[tuple[str, tuple[Any, ...]]]:
    """What an activity report writes, as (statement, parameters), its rollup first
    (``rollups.ACTIVITY``: its sums, added unless the activity's row is already there). One
    list for both ways of writing it: one event at a time (:func:`activity_reported`) and a
    batch's worth at once (:func:`finish`)."""
    activity_id, village, occurred_on = str(p.activity_id), env.division_code, p.occurred_on
    day = occurred_on.isoformat()
    org_id = str(env.organisation_id)
    hours, money = centi(p.volunteer_hours), centi(p.money_spent)
    out: list[tuple[str, tuple[Any, ...]]] = [
        (
            rollups.ACTIVITY,
            (
                activity_id,
                village,
                org_id,
                day,
                p.participants,
                p.volunteers,
                p.volunteer_services,
                hours,
                p.beneficiaries,
                money,
                p.cases_taken or 0,  # as activity_cases stores them (no row: none)
                p.cases_resolved or 0,
            ),
        ),
        (
            ACTIVITY_ROW,
            (
                activity_id,
                org_id,
                village,
                day,
                p.field,
                p.participants,
                p.volunteers,
                p.volunteer_services,
                hours,
                p.beneficiaries,
                money,
            ),
        ),
    ]
    out += [(ACTIVITY_THEME_ROW, (activity_id, theme, village, day)) for theme in p.themes]
    if p.cases_taken is not None or p.cases_resolved is not None:
        out.append(
            (
                ACTIVITY_CASES_ROW,
                (activity_id, village, day, p.cases_taken or 0, p.cases_resolved or 0),
            )
        )
    out += [(ACTIVITY_VOLUNTEER_ROW, (activity_id, v, village, day)) for v in p.volunteer_ids]
    return out


@handles("sanji.village.activity.reported.v1")
def activity_reported(tx: Tx, env: Envelope, p: ev.ActivityReportedV1) -> None:
    for sql, params in activity_rows(env, p):
        if sql == rollups.ACTIVITY:
            rollups.add_activity(tx, params[0], params[1], params[2], params[3], params[4:])
        else:
            tx.write(sql, params)


# Held back by a bulk batch (``Deferred.bulk``) and written at its end, a kind at a time:
# only these handlers write these tables, and no handler reads them, so when in the batch
# they are written changes nothing but the number of statements (93% of a county's events
# are activity reports, each four to six statements one at a time).
# Keyed by the handler a row list stands for, so a handler put in its place (a test's broken
# one, a hotfix) is called as it is, in bulk batches too.
BULK: dict[Handler, Callable[[Envelope, Any], list[tuple[str, tuple[Any, ...]]]]] = {
    activity_reported: activity_rows,
}


@handles("sanji.village.volunteer.registered.v1")
def volunteer_registered(tx: Tx, env: Envelope, p: ev.VolunteerRegisteredV1) -> None:
    tx.write(
        "INSERT INTO volunteer (village_code, volunteer_id, registered_on) VALUES (%s, %s, %s)"
        " ON CONFLICT (village_code, volunteer_id) DO NOTHING",
        (p.village_code, p.volunteer_id, effective_date(env)),
    )


@handles("sanji.village.volunteer.left.v1")
def volunteer_left(tx: Tx, env: Envelope, p: ev.VolunteerLeftV1) -> None:
    tx.write(
        "INSERT INTO volunteer_absence (village_code, volunteer_id, left_on, reason)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (village_code, volunteer_id, left_on) DO NOTHING",
        (p.village_code, p.volunteer_id, p.left_on.isoformat(), p.reason),
    )


@handles("sanji.village.volunteer.rejoined.v1")
def volunteer_rejoined(tx: Tx, env: Envelope, p: ev.VolunteerRejoinedV1) -> None:
    # The open span is the one to close: the register allows one at a time.
    tx.write(
        "UPDATE volunteer_absence SET rejoined_on = %s"
        " WHERE village_code = %s AND volunteer_id = %s AND rejoined_on IS NULL",
        (p.rejoined_on.isoformat(), p.village_code, p.volunteer_id),
    )


@handles("sanji.township.filing.filed.v1")
def filing_filed(tx: Tx, env: Envelope, p: ev.FilingFiledV1) -> None:
    _profile(tx, env, p.name, p.field, None)
    org_id = str(env.organisation_id)
    _set(tx, org_id, filing_number=p.filing_number, filed_on=effective_date(env))
    tx.write(
        "UPDATE org SET legal_form = 'filed_group' WHERE org_id = %s AND legal_form IS NULL",
        (org_id,),
    )


@handles("sanji.township.filing.rejected.v1")
def filing_rejected(tx: Tx, env: Envelope, p: ev.FilingRejectedV1) -> None:
    _set(tx, _org(tx, env), rejected_on=effective_date(env))


@handles("sanji.township.filing.cancelled.v1")
def filing_cancelled(tx: Tx, env: Envelope, p: ev.FilingCancelledV1) -> None:
    _set(tx, _org(tx, env), filing_ended_on=effective_date(env))


@handles("sanji.township.charter.approved.v1", "sanji.county.charter.approved.v1")
def charter_approved(tx: Tx, env: Envelope, p: ev.CharterApprovedV1) -> None:
    org_id = _org(tx, env)
    tx.write(
        "UPDATE org SET party_clause = %s, integrity_clause = %s, charter_at = %s "
        "WHERE org_id = %s AND (charter_at IS NULL OR charter_at < %s)",
        (
            int(p.party_clause),
            int(p.integrity_clause),
            version_stamp(env),
            org_id,
            version_stamp(env),
        ),
    )
    _history(tx, env, org_id, "charter", f"{int(p.party_clause)}{int(p.integrity_clause)}")


@handles("sanji.township.inspection.recorded.v1")
def inspection_recorded(tx: Tx, env: Envelope, p: ev.InspectionRecordedV1) -> None:
    tx.write(
        "INSERT INTO inspection (inspection_id, org_id, village_code) VALUES (%s, %s, %s)"
        " ON CONFLICT (inspection_id) DO NOTHING",
        (str(p.inspection_id), str(env.organisation_id), env.division_code),
    )
    tx.write(
        "UPDATE inspection SET inspected_on = %s, result = %s WHERE inspection_id = %s",
        (effective_date(env), p.result, str(p.inspection_id)),
    )
    if p.draw_id is not None:
        sampling.inspection_linked(tx, env, p)


@handles("sanji.township.rectification.completed.v1")
def rectification_completed(tx: Tx, env: Envelope, p: ev.RectificationCompletedV1) -> None:
    tx.write(
        "INSERT INTO inspection (inspection_id, org_id, village_code) VALUES (%s, %s, %s)"
        " ON CONFLICT (inspection_id) DO NOTHING",
        (str(p.inspection_id), str(env.organisation_id), env.division_code),
    )
    tx.write(
        "UPDATE inspection SET rectified_on = %s WHERE inspection_id = %s",
        (effective_date(env), str(p.inspection_id)),
    )


@handles("sanji.county.organisation.registered.v1")
def organisation_registered(tx: Tx, env: Envelope, p: ev.OrganisationRegisteredV1) -> None:
    _profile(tx, env, p.name, p.field, p.legal_form)
    _set(tx, str(env.organisation_id), usci=p.usci, registered_on=effective_date(env))
    _category(tx, env, str(env.organisation_id), p.category)


@handles("sanji.county.usci.claimed.v1")
def usci_claimed(tx: Tx, env: Envelope, p: ev.UsciClaimedV1) -> None:
    """The county's guard on a USCI (ADR 0034), stored with the registration that holds it:
    the org row has the code from ``organisation.registered``; no figure counts claims."""


@handles("sanji.county.party_organisation.set_up.v1")
def party_organisation_set_up(tx: Tx, env: Envelope, p: ev.PartyOrganisationSetUpV1) -> None:
    org_id = _org(tx, env)
    _set(tx, org_id, party_org=p.kind)
    tx.write(
        "UPDATE org SET party_org_on = %s WHERE org_id = %s"
        " AND (party_org_on IS NULL OR party_org_on > %s)",
        (effective_date(env), org_id, effective_date(env)),
    )


@handles("sanji.county.annual_report.filed.v1")
def annual_report_filed(tx: Tx, env: Envelope, p: ev.AnnualReportFiledV1) -> None:
    tx.write(
        "INSERT INTO annual_report (org_id, year, village_code, filed_on) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (org_id, year) DO NOTHING",
        (str(env.organisation_id), p.year, env.division_code, effective_date(env)),
    )


@handles("sanji.county.rating.recorded.v1")
def rating_recorded(tx: Tx, env: Envelope, p: ev.RatingRecordedV1) -> None:
    org_id = _org(tx, env)
    if p.grade is not None:
        valid = p.grade_valid_until.isoformat() if p.grade_valid_until else None
        _set(tx, org_id, grade=p.grade, grade_valid_until=valid)
    if p.credit is not None:
        _set(tx, org_id, credit=p.credit)
    if p.stars is not None:
        _set(tx, org_id, stars=p.stars)
    tx.write(
        "INSERT INTO rating (org_id, position, village_code, rated_on, credit, grade,"
        " grade_valid_until, stars) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (org_id, position) DO NOTHING",
        (
            org_id,
            env.position,
            env.division_code,
            effective_date(env),
            p.credit,
            p.grade,
            p.grade_valid_until.isoformat() if p.grade_valid_until else None,
            p.stars,
        ),
    )


@handles("sanji.county.funding.awarded.v1")
def funding_awarded(tx: Tx, env: Envelope, p: ev.FundingAwardedV1) -> None:
    host = str(p.host_organisation_id) if p.host_organisation_id else None
    tx.write(
        "INSERT INTO funding (award_id, org_id, village_code, programme, round, project,"
        " amount_fen, awarded_on, host_org_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (award_id) DO NOTHING",
        (
            str(p.award_id),
            str(env.organisation_id),
            env.division_code,
            p.programme,
            p.round,
            p.project,
            centi(p.amount),
            effective_date(env),
            host,
        ),
    )
    funding_lifecycle.award_recorded(tx, env, p)


@handles("sanji.county.funding.disbursed.v1")
def funding_disbursed(tx: Tx, env: Envelope, p: ev.FundingDisbursedV1) -> None:
    # The award comes first from the same (ordered) source, so its programme is known.
    tx.write(
        "INSERT INTO disbursement (award_id, tranche, org_id, village_code, programme,"
        " amount_fen, disbursed_on) SELECT %s, %s, %s, %s, programme, %s, %s FROM funding"
        " WHERE award_id = %s ON CONFLICT (award_id, tranche) DO NOTHING",
        (
            str(p.award_id),
            p.tranche,
            str(env.organisation_id),
            env.division_code,
            centi(p.amount),
            effective_date(env),
            str(p.award_id),
        ),
    )


@handles("sanji.county.credit_list.entered.v1")
def credit_list_entered(tx: Tx, env: Envelope, p: ev.CreditListEnteredV1) -> None:
    tx.write(
        "INSERT INTO credit_listing (org_id, credit_list, position, village_code, entered_on,"
        " reason) VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (org_id, credit_list, position) DO NOTHING",
        (
            _org(tx, env),
            str(p.credit_list),
            env.position,
            env.division_code,
            effective_date(env),
            p.reason,
        ),
    )


@handles("sanji.county.credit_list.left.v1")
def credit_list_left(tx: Tx, env: Envelope, p: ev.CreditListLeftV1) -> None:
    tx.write(
        "UPDATE credit_listing SET left_on = %s WHERE org_id = %s AND credit_list = %s"
        " AND left_on IS NULL",
        (effective_date(env), str(env.organisation_id), str(p.credit_list)),
    )


@handles(
    "sanji.county.credit_list.triggered.v1",
    "sanji.county.credit_list.notified.v1",
    "sanji.county.credit_list.objection_lodged.v1",
    "sanji.county.credit_list.objection_decided.v1",
    "sanji.county.credit_list.rectification_verified.v1",
    "sanji.county.credit_list.removal_due_recomputed.v1",
)
def credit_procedure(tx: Tx, env: Envelope, p: ev.Payload) -> None:
    """Steps of a listing's procedure: no figure counts them; the organisation's timeline
    (org_event, written for every event) shows them, read back from the county's store."""


@handles("sanji.county.grade.expired.v1")
def grade_expired(tx: Tx, env: Envelope, p: ev.GradeExpiredV1) -> None:
    # Figures already stop counting a grade after its last valid day (rating table); the org
    # row's latest grade is cleared unless a newer grade replaced it meanwhile.
    tx.write(
        "UPDATE org SET grade = NULL, grade_valid_until = NULL WHERE org_id = %s"
        " AND grade_valid_until = %s",
        (str(env.organisation_id), p.valid_until.isoformat()),
    )


@handles(*(f"sanji.{t}.platform.opened.v1" for t in ("village", "township", "county")))
def platform_opened(tx: Tx, env: Envelope, p: ev.PlatformOpenedV1) -> None:
    tx.write(
        "INSERT INTO platform (platform_id, division_code, source_tier, kind, name, opened_on)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (platform_id) DO NOTHING",
        (
            str(p.platform_id),
            env.division_code,
            str(env.source_tier),
            str(p.kind),
            p.name,
            effective_date(env),
        ),
    )


@handles(*(f"sanji.{t}.platform.closed.v1" for t in ("village", "township", "county")))
def platform_closed(tx: Tx, env: Envelope, p: ev.PlatformClosedV1) -> None:
    tx.write(
        "UPDATE platform SET closed_on = %s WHERE platform_id = %s",
        (effective_date(env), str(p.platform_id)),
    )


@handles("sanji.county.division.changed.v1")
def division_changed(tx: Tx, env: Envelope, p: ev.DivisionChangedV1) -> None:
    data = p.model_dump(mode="json", exclude={"sequence"})
    tx.write(
        "INSERT INTO division_change (county_code, sequence, kind, code, effective_on,"
        " recorded_at, data) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (county_code, sequence) DO NOTHING",
        (
            env.division_code,
            p.sequence,
            str(p.kind),
            p.code,
            effective_date(env),
            stamp(env.recorded_at),
            json.dumps(data, sort_keys=True, ensure_ascii=False),
        ),
    )


@handles("sanji.county.organisation.deregistered.v1", "sanji.county.organisation.revoked.v1")
def organisation_exited(tx: Tx, env: Envelope, p: ev.OrganisationExitedV1) -> None:
    kind = env.type.split(".")[3]
    _set(tx, _org(tx, env), registration_ended_on=effective_date(env), exit_kind=kind)


@handles("sanji.county.organisation.reinstated.v1")
def organisation_reinstated(tx: Tx, env: Envelope, p: ev.OrganisationReinstatedV1) -> None:
    # A reversed exit is annulled (ADR 0009): figures count the organisation as never having
    # left; the exit and its reversal stay in the events, the timeline and zombie_exit.
    _set(tx, _org(tx, env), registration_ended_on=None, exit_kind=None)


@handles("sanji.township.filing.reinstated.v1")
def filing_reinstated(tx: Tx, env: Envelope, p: ev.OrganisationReinstatedV1) -> None:
    _set(tx, _org(tx, env), filing_ended_on=None)


@handles(*(f"sanji.{t}.chain.checkpointed.v1" for t in ("village", "township", "county")))
def chain_checkpointed(tx: Tx, env: Envelope, p: ev.ChainCheckpointedV1) -> None:
    for head in p.heads:
        tx.write(
            "INSERT INTO chain_checkpoint (source, day, head_source, position, link, recorded_at)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (source, day, head_source) DO NOTHING",
            (
                env.source,
                p.day.isoformat(),
                head.source,
                head.position,
                head.link,
                stamp(env.recorded_at),
            ),
        )


@handles(*(f"sanji.{t}.report.issued.v1" for t in ("village", "township", "county")))
def report_issued(tx: Tx, env: Envelope, p: ev.ReportIssuedV1) -> None:
    tx.write(
        "INSERT INTO issued_report (report_id, source, division_code, title, as_of, period_from,"
        " period_to, period_label, tree, known_at, watermarks, rule_versions, content_hash,"
        " issued_at, actor) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (report_id) DO NOTHING",
        (
            str(p.report_id),
            env.source,
            env.division_code,
            p.title,
            p.as_of.isoformat(),
            p.period_from.isoformat(),
            p.period_to.isoformat(),
            p.period_label,
            p.tree,
            p.known_at,
            json.dumps(p.watermarks, sort_keys=True),
            json.dumps(p.rule_versions, sort_keys=True),
            p.content_hash,
            stamp(env.recorded_at),
            env.actor.id,
        ),
    )


def chain_heads(tx: Tx) -> dict[str, tuple[int, str]]:
    """The last chain link this read model received from each source."""
    rows = tx.all("SELECT source, position, link FROM chain_head")
    return {r["source"]: (int(r["position"]), r["link"]) for r in rows}


def note_chain_head(tx: Tx, env: Envelope) -> None:
    """Keep the last link seen from each source: this tier's copy of every child's head."""
    if env.chain is None:
        return
    tx.write(
        "INSERT INTO chain_head (source, position, link) VALUES (%s, %s, %s)"
        " ON CONFLICT (source) DO UPDATE SET position = excluded.position, link = excluded.link"
        " WHERE chain_head.position < excluded.position",
        (env.source, env.position, env.chain),
    )


def project(tx: Tx, scope: str, env: Envelope, deferred: Deferred | None = None) -> None:
    """What one event does to a read model whose scope is ``scope`` (live projector and
    rebuild alike; tracking is the caller's). With ``deferred``, the event's division version
    and its source's chain head are collected there instead of written now: a batch writes
    them once (:func:`finish`), which moves the same versions with far fewer statements."""
    if deferred is None:
        if contains(scope, env.division_code):
            apply(tx, env)
        note_chain_head(tx, env)
        return
    if contains(scope, env.division_code):
        apply(tx, env, deferred)
    if env.chain is not None:
        deferred.heads[env.source] = env  # a batch's events come in each source's order


def finish(tx: Tx, deferred: Deferred) -> None:
    """The writes a batch deferred: the rows a bulk batch held back, each kind with one
    statement; each division's version once, each source's last link."""
    if deferred.rows:
        # The rollup first: an activity whose row is already there (a replay) adds nothing.
        rollups.add_activities(tx, deferred.rows.pop(rollups.ACTIVITY, []))
        for sql, rows in deferred.rows.items():
            tx.write_many(sql, rows)
        deferred.rows.clear()
    touch(tx, *deferred.divisions)
    for env in deferred.heads.values():
        note_chain_head(tx, env)


def apply(tx: Tx, env: Envelope, deferred: Deferred | None = None) -> None:
    """Apply one integration event to the read model (tracking is the projector's job)."""
    handler = HANDLERS[env.type]
    bulk = BULK.get(handler) if deferred is not None and deferred.bulk else None
    if bulk is not None:
        assert deferred is not None
        for sql, params in bulk(env, env.payload()):
            deferred.rows.setdefault(sql, []).append(params)
    else:
        handler(tx, env, env.payload())
    if env.organisation_id is not None:
        if deferred is not None and deferred.bulk:
            deferred.rows.setdefault(ORG_EVENT_ROW, []).append(_org_event(env))
        else:
            tx.write(ORG_EVENT_ROW, _org_event(env))
    if accounts.is_account_event(env.type):
        return
    if deferred is None:
        touch(tx, env.division_code)
    else:
        deferred.divisions.add(env.division_code)


ORG_EVENT_ROW = (
    "INSERT INTO org_event (organisation_id, source, position, type, recorded_at,"
    " effective_at) VALUES (%s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (organisation_id, source, position) DO NOTHING"
)


def _org_event(env: Envelope) -> tuple[Any, ...]:
    return (
        str(env.organisation_id),
        env.source,
        env.position,
        env.type,
        stamp(env.recorded_at),
        stamp(env.effective_at),
    )


def canonical_dump(tx: Tx) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row in a stable order and type, for rebuild-and-compare and tests."""
    dump = {}
    for table, key in READ_MODEL_TABLES.items():
        rows = tx.all(f"SELECT * FROM {table} ORDER BY {key}")
        dump[table] = [tuple(str(v) if v is not None else None for v in r.values()) for r in rows]
    return dump
