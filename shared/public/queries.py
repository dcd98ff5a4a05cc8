"""The public surface's reads of the county's read model (ADR 0023).

Each query names the columns it reads (never ``SELECT *``) and turns them into the models of
``models.py``, which forbid anything else. The tables read are ``org`` (identity, status,
dates, charter, grade), ``credit_listing`` (entries in force), ``annual_report`` (filed or not)
and the division changes (the tree in force today). Inspections, activities, volunteers,
funding, accounts, returns, proceedings and the access log are never read here.

Only organisations a tier has filed or registered are disclosed: an application still pending
or refused is a residents' group's private matter, not a public record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import Any

from shared.capabilities.divisions.history import tree_from
from shared.console.labels import CREDIT_LIST_ZH, FIELD_ZH, LEGAL_FORM_ZH
from shared.infrastructure.store import Database, Tx
from shared.kernel.jurisdiction import Division, Jurisdiction, contains
from shared.public.models import (
    PublicAnnualReport,
    PublicCharter,
    PublicChild,
    PublicCommendation,
    PublicCounts,
    PublicCreditEntry,
    PublicDivision,
    PublicDivisionPage,
    PublicGrade,
    PublicOrganisation,
    PublicOrganisationPage,
    PublicSearch,
)

# The statuses the public sees, as the national platform names them.
STATUS_ZH = {
    "registered": "已登记",
    "filed": "已备案",
    "deregistered": "已注销登记",
    "revoked": "已撤销登记",
    "filing_cancelled": "已注销备案",
}
IN_FORCE = ("registered", "filed")

# The columns a list line needs, and the few more an organisation's page needs. Nothing else
# of ``org`` is read.
LINE = (
    "org_id, village_code, name, usci, filing_number, filed_on, registered_on,"
    " filing_ended_on, registration_ended_on, exit_kind, grade, grade_valid_until"
)
DETAIL = LINE + ", legal_form, field, charter_at, party_clause, integrity_clause"
DISCLOSED = "(filed_on IS NOT NULL OR registered_on IS NOT NULL)"

PAGE_SIZE = 50
SEARCH_LIMIT = 50
MAX_QUERY = 60  # characters: longer than any name, USCI (18) or filing number (20)
# Control characters, lone surrogates and bidi overrides (as shared/api/text.py refuses them).
FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
CODE = re.compile(r"^[0-9A-Z]{10,20}$")  # shaped like a USCI or a filing number
UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DIVISION_CODE = re.compile(r"^[0-9]{12}$")


class BadQuery(ValueError):
    """A search text the page refuses (400), with the Chinese reason."""


def clean_query(raw: str) -> str:
    """The search text as searched: NFC, trimmed; refused when too long or holding characters
    no name, USCI or filing number has."""
    text = unicodedata.normalize("NFC", raw).strip()
    if len(text) > MAX_QUERY:
        raise BadQuery(
            f"查询内容过长（最多 {MAX_QUERY} 个字符）。请输入组织名称、统一社会信用代码或备案编号。"
        )
    if FORBIDDEN.search(text):
        raise BadQuery(
            "查询内容含有不可见的控制字符。请重新输入组织名称、统一社会信用代码或备案编号。"
        )
    return text


def tree(db: Database, base: Jurisdiction, today: date) -> Jurisdiction:
    """The division tree in force today (ADR 0005): where each organisation counts now."""
    return tree_from(db, base, today)


def search(db: Database, j: Jurisdiction, today: date, text: str) -> PublicSearch:
    """Organisations whose USCI or filing number is ``text`` (an index lookup), else whose
    name contains it (a scan of one table's few columns: milliseconds for thousands)."""
    if not text:
        return PublicSearch(query="", organisations=[], more=False)
    code = text.upper()
    with db.snapshot() as tx:
        rows: list[dict[str, Any]] = []
        if CODE.match(code):
            rows = tx.all(
                f"SELECT {LINE} FROM org WHERE {DISCLOSED} AND usci = %s"
                f" UNION SELECT {LINE} FROM org WHERE {DISCLOSED} AND filing_number = %s",
                (code, code),
            )
        if not rows:
            pattern = "%" + re.sub(r"([!%_])", r"!\1", text.lower()) + "%"
            rows = tx.all(
                f"SELECT {LINE} FROM org WHERE {DISCLOSED} AND LOWER(name) LIKE %s ESCAPE '!'"
                " ORDER BY name, org_id LIMIT %s",
                (pattern, SEARCH_LIMIT + 1),
            )
        listed = _listed(tx, today)
    lines = [_line(row, j, today, listed) for row in rows[:SEARCH_LIMIT]]
    return PublicSearch(query=text, organisations=lines, more=len(rows) > SEARCH_LIMIT)


def organisation(
    db: Database, j: Jurisdiction, today: date, org_id: str
) -> PublicOrganisationPage | None:
    """One disclosed organisation's page, or None (unknown, or never filed nor registered)."""
    if not UUID_TEXT.match(org_id):
        return None
    with db.snapshot() as tx:
        row = tx.one(f"SELECT {DETAIL} FROM org WHERE org_id = %s AND {DISCLOSED}", (org_id,))
        if row is None:
            return None
        credit = tx.all(
            "SELECT credit_list, entered_on, reason FROM credit_listing"
            " WHERE org_id = %s AND left_on IS NULL AND entered_on <= %s"
            " ORDER BY entered_on, credit_list",
            (org_id, today.isoformat()),
        )
        reports = tx.all("SELECT year, filed_on FROM annual_report WHERE org_id = %s", (org_id,))
        honours = commendations(tx, j, org_id)
    line = _line(row, j, today, {org_id} if credit else set())
    township = j.get(j.township_of(row["village_code"])) if line.village else None
    return PublicOrganisationPage(
        organisation=line,
        legal_form_zh=LEGAL_FORM_ZH.get(str(row["legal_form"] or ""), "社区社会组织"),
        field_zh=FIELD_ZH.get(str(row["field"] or ""), "—"),
        township=_division(township) if township else None,
        filed_on=_day(row["filed_on"]),
        registered_on=_day(row["registered_on"]),
        ended_on=_day(row["registration_ended_on"] or row["filing_ended_on"]),
        charter=_charter(row),
        credit_entries=[
            PublicCreditEntry(
                credit_list=str(c["credit_list"]),
                credit_list_zh=CREDIT_LIST_ZH.get(str(c["credit_list"]), str(c["credit_list"])),
                entered_on=_day(c["entered_on"]) or today,
                reason=str(c["reason"]),
            )
            for c in credit
        ],
        grade=_grade(row, today),
        annual_reports=_annual_reports(row, reports, today),
        commendations=honours,
    )


def commendations(tx: Tx, j: Jurisdiction, org_id: str) -> list[PublicCommendation]:
    """The organisation's published commendations (表彰, ADR 0024), newest first: year, the
    commending division and the publication day — never candidates, rankings, scores or
    decisions not yet published (only published rounds have ``commendation`` rows)."""
    rows = tx.all(
        "SELECT division_code, year, published_on FROM commendation WHERE org_id = %s"
        " ORDER BY year DESC, published_on DESC",
        (org_id,),
    )
    out = []
    for r in rows:
        body = j.get(r["division_code"])
        name = body.name if body is not None else str(r["division_code"])
        out.append(
            PublicCommendation(
                year=int(r["year"]),
                title=f"{r['year']}年度优秀社区社会组织",
                awarded_by=name,
                published_on=_day(r["published_on"]),
            )
        )
    return out


def division(
    db: Database, j: Jurisdiction, today: date, code: str, page: int
) -> PublicDivisionPage | None:
    """A division of the tree in force today: its counts, its children's, and one page of
    its disclosed organisations (in force first, then by village and name). None for an
    unknown code."""
    here = j.get(code) if DIVISION_CODE.match(code) else None
    if here is None:
        return None
    patterns = j.patterns(code)
    where = " OR ".join(["village_code LIKE %s"] * len(patterns))
    with db.snapshot() as tx:
        rows = tx.all(f"SELECT {LINE} FROM org WHERE {DISCLOSED} AND ({where})", patterns)
        listed = _listed(tx, today)
    # Rows of a retired code that now counts elsewhere (ADR 0005) are not this division's.
    rows = [r for r in rows if contains(code, j.resolve(str(r["village_code"])))]
    lines = [_line(r, j, today, listed) for r in rows]
    lines.sort(
        key=lambda o: (o.status not in IN_FORCE, o.village.code if o.village else "", o.name, o.id)
    )
    children = [j.divisions[c] for c in j.children.get(code, []) if c in j.divisions]
    pages = max(1, -(-len(lines) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return PublicDivisionPage(
        division=_division(here),
        parents=[_division(d) for d in _parents(j, here)],
        counts=_counts(lines),
        children=[
            PublicChild(
                division=_division(child),
                counts=_counts(
                    o for o in lines if o.village and contains(child.code, o.village.code)
                ),
            )
            for child in sorted(children, key=lambda d: d.code)
        ],
        organisations=lines[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        page=page,
        pages=pages,
    )


# ------------------------------------------------------------------ from rows to models


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).split("|")[0][:10])
    except ValueError:
        return None


def _status(row: dict[str, Any]) -> str:
    if row["registered_on"]:
        if row["registration_ended_on"]:
            return "revoked" if row["exit_kind"] == "revoked" else "deregistered"
        return "registered"
    return "filing_cancelled" if row["filing_ended_on"] else "filed"


def _grade(row: dict[str, Any], today: date) -> PublicGrade | None:
    """The grade in force today: a registered organisation's, within its validity."""
    if _status(row) != "registered" or not row["grade"]:
        return None
    until = _day(row["grade_valid_until"])
    if until is not None and until < today:
        return None
    return PublicGrade(grade=int(row["grade"]), valid_until=until)


def _charter(row: dict[str, Any]) -> PublicCharter | None:
    approved = _day(row["charter_at"])
    if approved is None:
        return None
    return PublicCharter(
        approved_on=approved,
        party_clause=bool(row["party_clause"]),
        integrity_clause=bool(row["integrity_clause"]),
    )


def _annual_reports(
    row: dict[str, Any], reports: list[dict[str, Any]], today: date
) -> list[PublicAnnualReport]:
    """Each year a registered organisation owed a report, filed or not, newest first; and any
    other year filed. A report is owed for a year when the organisation was registered on its
    31 December (the catalogue's ``supervision.annual_reports_due``): from its registration
    year to last year, or to the year before the one it ended in (registration holds until
    its end date exclusive, so an end on 31 December is already not registered that day)."""
    registered = _day(row["registered_on"])
    if registered is None:
        return []
    filed = {int(r["year"]): _day(r["filed_on"]) for r in reports}
    ended = _day(row["registration_ended_on"])
    last = min(today.year - 1, ended.year - 1 if ended else today.year - 1)
    years = set(range(registered.year, last + 1)) | set(filed)
    return [
        PublicAnnualReport(year=y, filed=y in filed, filed_on=filed.get(y))
        for y in sorted(years, reverse=True)
    ]


def _line(
    row: dict[str, Any], j: Jurisdiction, today: date, listed: set[str]
) -> PublicOrganisation:
    status = _status(row)
    village = j.located(str(row["village_code"]))
    grade = _grade(row, today)
    return PublicOrganisation(
        id=str(row["org_id"]),
        name=str(row["name"] or "（未命名）"),
        usci=row["usci"] or None,
        filing_number=row["filing_number"] or None,
        status=status,
        status_zh=STATUS_ZH[status],
        village=_division(village) if village else None,
        grade=grade.grade if grade else None,
        on_credit_list=str(row["org_id"]) in listed,
    )


def _listed(tx: Tx, today: date) -> set[str]:
    """Organisations with a credit-list entry in force today."""
    rows = tx.all(
        "SELECT DISTINCT org_id FROM credit_listing WHERE left_on IS NULL AND entered_on <= %s",
        (today.isoformat(),),
    )
    return {str(r["org_id"]) for r in rows}


def _counts(lines: Iterable[PublicOrganisation]) -> PublicCounts:
    lines = list(lines)
    return PublicCounts(
        organisations=len(lines),
        registered=sum(o.status == "registered" for o in lines),
        filed=sum(o.status == "filed" for o in lines),
        ended=sum(o.status not in IN_FORCE for o in lines),
        on_credit_list=sum(o.on_credit_list for o in lines),
        graded=sum(o.grade is not None for o in lines),
    )


def _division(d: Division) -> PublicDivision:
    return PublicDivision(code=d.code, name=d.name, tier=str(d.tier))


def _parents(j: Jurisdiction, d: Division) -> list[Division]:
    out: list[Division] = []
    parent = j.get(d.parent) if d.parent else None
    while parent is not None:
        out.insert(0, parent)
        parent = j.get(parent.parent) if parent.parent else None
    return out
