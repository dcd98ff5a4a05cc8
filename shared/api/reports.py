"""Read routes every tier serves from its own read model: reports, drill-down, exports,
zombie list, ranking, reconciliation, the metric catalogue, and organisations."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from shared.api import models
from shared.api.deps import Operator, Runtime, check_reads
from shared.api.versions import VERSIONED, send_version, version_before_read
from shared.capabilities.divisions.history import check_division, moved_out, tree_from
from shared.capabilities.divisions.history import describe as describe_tree
from shared.infrastructure.projector import SourceReader
from shared.kernel.domain import CHINA, InvalidInput, NotFound, check_aware, check_not_future
from shared.kernel.jurisdiction import Jurisdiction
from shared.kernel.periods import Period, resolve
from shared.kernel.rules import RuleNotInForce, RuleSet
from shared.kernel.themes import known_codes
from shared.reporting import catalogue, ranking, report
from shared.reporting.model import DivisionReport, OrganisationReport
from shared.reporting.reconcile import reconcile_division
from shared.reporting.zombies import zombie_list

router = APIRouter(prefix="/api/v1", tags=["reports 报表"])

Code = Annotated[str, Path(pattern=r"^\d{12}$", description="区划代码 / 12-digit division code")]
AsOf = Annotated[
    date | None, Query(description="截至日期 / as-of date for state figures (default: period end)")
]
PeriodName = Annotated[
    str | None,
    Query(
        description="统计期间 / period: YYYY, YYYY-Qn, YYYY-Hn or YYYY-MM (default: year to date)"
    ),
]
From = Annotated[date | None, Query(alias="from", description="自定义期间起 / custom period start")]
To = Annotated[date | None, Query(alias="to", description="自定义期间止 / custom period end")]
TreeBasis = Annotated[
    Literal["as_of", "current"],
    Query(
        description="区划树 / division tree: as_of = as it was on the as-of date (default),"
        " current = in force today (retired divisions' records count under their successors)"
    ),
]
KnownAt = Annotated[
    datetime | None,
    Query(
        description="已知时点 / as known at this recorded instant (ISO 8601 with offset): the"
        " report rebuilt from the events recorded up to then (bitemporal with as_of)"
    ),
]
Format = Literal["json", "csv", "xlsx"]
MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}
FILE = {"schema": {"type": "string", "format": "binary"}}
# A download: CSV, XLSX or HTML bytes; the JSON export has the report's own schema.
FILES = {m: FILE for f, m in MEDIA.items() if f != "json"}
# Lists that also export: ?format=csv|xlsx answers a file instead of the JSON body.
TABLES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA["csv"]: FILE, MEDIA["xlsx"]: FILE}}
}


@dataclass(frozen=True)
class Moment:
    """What a report request is about in time: as-of day, period, and the rules then."""

    as_of: date
    period: Period
    rules: RuleSet
    tree: str = "as_of"  # which division tree: as on the as-of date, or the current one
    today: date | None = None
    known_at: datetime | None = None  # as known at a past recorded instant (issue 5)


def moment_of(
    runtime: Runtime,
    as_of: date | None,
    period: str | None,
    start: date | None,
    end: date | None,
    tree: str = "as_of",
) -> Moment:
    today = runtime.app.clock().astimezone(CHINA).date()
    day, p = resolve(today, as_of, period, start, end)
    return Moment(day, p, runtime.rules.for_report(day), tree, today)


async def _moment(
    runtime: Runtime,
    as_of: AsOf = None,
    period: PeriodName = None,
    start: From = None,
    end: To = None,
    tree: TreeBasis = "as_of",
    known_at: KnownAt = None,
) -> Moment:
    moment = moment_of(runtime, as_of, period, start, end, tree)
    if known_at is None:
        return moment
    check_aware("known_at", known_at)
    check_not_future("known_at", known_at, runtime.app.clock())
    return replace(moment, known_at=known_at)


When = Annotated[Moment, Depends(_moment)]


def report_tree(runtime: Runtime, when: Moment) -> Jurisdiction:
    """The division tree a report uses (ADR 0005): in force on its as-of date, or today."""
    return tree_from(runtime.db, runtime.jurisdiction, _tree_day(when))


def _tree_day(when: Moment) -> date:
    return when.as_of if when.tree == "as_of" or when.today is None else when.today


def _sources(runtime: Runtime) -> SourceReader:
    if runtime.projector.sources is None:
        raise RuntimeError(f"the {runtime.tier} service has no read access to the event stores")
    return runtime.projector.sources


def scoped_division(j: Jurisdiction, operator: Operator, code: str) -> None:
    check_division(j, code)
    check_reads(operator, code)


def download(body: bytes | str, fmt: str, filename: str) -> Response:
    return Response(
        content=body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )


def table_bytes(fmt: str, title: str, columns: list[tuple[str, str]], rows: list[dict]) -> bytes:
    from shared.reporting import export

    if fmt == "csv":
        return export.table_csv(columns, rows)
    return export.table_xlsx(title, columns, rows)


@router.get("/metrics", response_model=models.CatalogueOut)
def metrics(operator: Operator) -> dict[str, Any]:
    """指标目录 / The metric catalogue: definition, unit, denominator, additivity of each figure."""
    return {
        "groups": [asdict(g) for g in catalogue.GROUPS],
        "metrics": [{**asdict(m), "group": m.group} for m in catalogue.METRICS],
        "assessment": [{**asdict(m), "group": m.group} for m in catalogue.ASSESSMENT_METRICS],
        "points": [{**asdict(m), "group": m.group} for m in catalogue.POINTS_METRICS],
    }


@router.get(
    "/reports/organisations/{organisation_id}",
    response_model=OrganisationReport,
    response_model_exclude_unset=True,  # known_at only when asked for
)
def organisation_report(
    organisation_id: str, runtime: Runtime, operator: Operator, when: When
) -> OrganisationReport:
    """组织报表 / One organisation: figures, rank with explanation, zombie reasons."""
    facts = runtime.app.lookup.get(organisation_id)
    if facts is None:
        raise NotFound("unknown_organisation", f"no organisation {organisation_id}")
    check_reads(operator, facts.village_code, runtime)
    if when.known_at is not None:
        from shared.api.history import history_of
        from shared.audit.issued import replayed

        sources = _sources(runtime)
        scope = runtime.jurisdiction.county.code
        history = history_of(runtime, sources)
        with replayed(sources, scope, when.known_at, history) as db:
            j = tree_from(db, runtime.jurisdiction, _tree_day(when))
            body = report.organisation_report(
                db, j, organisation_id, when.as_of, when.period, when.rules, when.tree
            )
        return body.model_copy(update={"known_at": when.known_at.isoformat()})
    j = report_tree(runtime, when)
    return report.organisation_report(
        runtime.db, j, organisation_id, when.as_of, when.period, when.rules, when.tree
    )


@router.get(
    "/reports/{division_code}", response_model_exclude_unset=True
)  # known_at only when asked for
def division_report(
    division_code: Code,
    runtime: Runtime,
    operator: Operator,
    when: When,
    theme: Annotated[
        list[str] | None,
        Query(
            description="活动主题 / keep only these themes in ``by_theme`` (repeatable; codes of"
            " GET /api/v1/rules/activity-themes)"
        ),
    ] = None,
) -> DivisionReport:
    """区划报表 / All ten figure groups for a division, one line per child (drill-down:
    county → townships → villages → organisations), with watermarks, rule versions, the
    division tree used (``tree``) and the activity figures by theme (``by_theme``)."""
    wanted = _themes(runtime, theme)
    data = division_report_for(runtime, operator, division_code, when)
    if wanted is None or data.by_theme is None:
        return data
    return data.model_copy(update={"by_theme": [r for r in data.by_theme if r.code in wanted]})


def _themes(runtime: Runtime, theme: list[str] | None) -> set[str] | None:
    """The themes asked for, each a code some vocabulary version has listed (else 422)."""
    if not theme:
        return None
    unknown = sorted(set(theme) - known_codes(runtime.rules))
    if unknown:
        raise InvalidInput(
            "unknown_theme",
            f"未知的活动主题：{'、'.join(unknown)} / unknown activity themes: {unknown}",
        )
    return set(theme)


def division_report_for(
    runtime: Runtime, operator: Operator, code: str, when: Moment
) -> DivisionReport:
    j = report_tree(runtime, when)
    scoped_division(j, operator, code)
    if when.known_at is not None:
        # What the platform knew then: rebuilt from the stores (shared/audit/issued.py).
        from shared.api.history import history_of
        from shared.audit.issued import known_at_report, tree_label

        sources = _sources(runtime)
        return known_at_report(
            sources,
            runtime.jurisdiction,
            code,
            when.as_of,
            when.period,
            when.rules,
            tree_label(when.tree, when.today or when.as_of),
            when.known_at,
            history_of(runtime, sources),
        )
    return report.division_report(
        runtime.db, j, code, when.as_of, when.period, when.rules, when.tree
    )


@router.get(
    "/reports/{division_code}/export.{fmt}",
    responses={200: {"model": DivisionReport, "content": FILES}},
)
def export_report(
    division_code: Code,
    fmt: Literal["csv", "xlsx", "json", "html"],
    runtime: Runtime,
    operator: Operator,
    when: When,
) -> Response:
    """报表导出 / The report as CSV or XLSX (Chinese headers), JSON, or a printable HTML page
    with charts (for a people's-congress review)."""
    from shared.reporting import export, html

    data = division_report_for(runtime, operator, division_code, when)
    day = when.as_of
    if fmt == "html":
        return Response(content=html.report_html(data), media_type=MEDIA["html"])
    render = {"csv": export.report_csv, "xlsx": export.report_xlsx, "json": export.report_json}
    return download(render[fmt](data), fmt, f"report-{division_code}-{day.isoformat()}")


ZOMBIE_COLUMNS = [
    ("org_id", "组织ID"),
    ("name", "组织名称"),
    ("village_code", "村（社区）代码"),
    ("village_in_tree", "现属村（社区）"),
    ("kind", "登记/备案"),
    ("entered_on", "成立（登记/备案）日期"),
    ("last_activity_on", "最近活动日期"),
    ("months_since_activity", "距最近活动（月）"),
    ("reason_text", "列入原因"),
]


# exclude_unset: ``not_applicable`` only when a rule was not in force (lists keep their shape).
@router.get(
    "/reports/{division_code}/zombies",
    response_model=models.ZombiesOut,
    response_model_exclude_unset=True,
    responses=TABLES,
)
def zombies(
    division_code: Code,
    runtime: Runtime,
    operator: Operator,
    as_of: AsOf = None,
    format: Format = "json",
    tree: TreeBasis = "as_of",
) -> Any:
    """僵尸组织名单 / Active organisations with no activity in the trailing window, each with
    the reasons that apply — the list the exit process starts from."""
    moment = moment_of(runtime, as_of, None, None, None, tree)
    j = report_tree(runtime, moment)
    scoped_division(j, operator, division_code)
    day, rules = moment.as_of, moment.rules
    with runtime.db.snapshot() as tx:
        marks = report.watermarks(tx)
        # No zombie rule in force: no organisation is a zombie by it, and the count is unknown.
        withheld = "zombie" in rules.withheld
        rows = [] if withheld else zombie_list(tx, division_code, day, rules, j)
    if format != "json":
        flat = [{**r, "reason_text": [x["zh"] for x in r["reasons"]]} for r in rows]
        body = table_bytes(format, "僵尸组织名单", ZOMBIE_COLUMNS, flat)
        return download(body, format, f"zombies-{division_code}-{day.isoformat()}")
    return {
        "division_code": division_code,
        "as_of": day.isoformat(),
        "rule_versions": rules.versions,
        "window_months": None if withheld else rules.zombie_window_months,
        "watermarks": marks,
        "tree": describe_tree(j, tree),
        "count": None if withheld else len(rows),
        "organisations": rows,
        **_rule_not_in_force(rules, "zombie", day),
    }


RANKING_COLUMNS = [
    ("rank_in_county", "全县排名"),
    ("rank_in_township", "乡镇（街道）内排名"),
    ("name", "组织名称"),
    ("village_code", "村（社区）代码"),
    ("village_in_tree", "现属村（社区）"),
    ("total", "综合得分"),
    ("activity", "活跃度"),
    ("standardisation", "规范化"),
    ("coverage", "覆盖率"),
    ("influence", "影响力"),
    ("org_id", "组织ID"),
]


@router.get(
    "/reports/{division_code}/ranking",
    response_model=models.RankingOut,
    response_model_exclude_unset=True,
    responses=TABLES,
)
def ranking_list(
    division_code: Code,
    runtime: Runtime,
    operator: Operator,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    format: Format = "json",
    tree: TreeBasis = "as_of",
) -> Any:
    """四维排名 / Organisations ranked on activity, standardisation, coverage and influence,
    with ranks within township and county, the weights used and an explanation each."""
    moment = moment_of(runtime, as_of, None, None, None, tree)
    j = report_tree(runtime, moment)
    scoped_division(j, operator, division_code)
    day, rules = moment.as_of, moment.rules
    with runtime.db.snapshot() as tx:
        marks = report.watermarks(tx)
        withheld = "ranking" in rules.withheld  # no weights in force: nobody is ranked
        entries = [] if withheld else ranking.rank(tx, j, division_code, day, rules)
    page = entries[offset : offset + limit]
    if format != "json":
        flat = [{**e, **e["scores"]} for e in page]
        body = table_bytes(format, "四维排名", RANKING_COLUMNS, flat)
        return download(body, format, f"ranking-{division_code}-{day.isoformat()}")
    return {
        "division_code": division_code,
        "as_of": day.isoformat(),
        "rule_versions": rules.versions,
        "weights": None if withheld else rules.ranking.parameters["weights"],
        "watermarks": marks,
        "tree": describe_tree(j, tree),
        "total": None if withheld else len(entries),
        "organisations": page,
        **_rule_not_in_force(rules, "ranking", day),
    }


def _rule_not_in_force(rules: RuleSet, family: str, day: date) -> dict[str, Any]:
    """A list that needs a rule not in force on ``day`` says so beside its empty rows (issue
    12); the key is absent otherwise, so lists from before keep their shape."""
    if family not in rules.withheld:
        return {}
    return {"not_applicable": RuleNotInForce(family, day).as_reason()}


@router.get("/reconciliation/{division_code}", response_model=models.ReconciliationOut)
def reconciliation(
    division_code: Code, runtime: Runtime, operator: Operator, when: When
) -> dict[str, Any]:
    """对账 / Proof that parent = Σ children for every additive figure at one snapshot of this
    tier's read model; any mismatch names the divisions involved. Across tiers: the CLI
    ``python -m services reconcile``."""
    j = report_tree(runtime, when)
    scoped_division(j, operator, division_code)
    return reconcile_division(
        runtime.db, j, division_code, when.as_of, when.period, when.rules, when.tree
    )


OrgState = Literal["pending", "filed", "registered", "rejected", "exited"]

# An organisation's state from its row, the same order of precedence as the console's
# ``status_of`` (shared/console/labels.py): ended beats registered beats filed beats rejected.
_EXITED = (
    "(filing_ended_on IS NOT NULL OR registration_ended_on IS NOT NULL OR exit_kind IS NOT NULL)"
)
_REGISTERED = "(registered_on IS NOT NULL OR usci IS NOT NULL)"
_FILED = "(filed_on IS NOT NULL OR filing_number IS NOT NULL)"
_REJECTED = "(rejected_on IS NOT NULL)"
STATE_SQL: dict[str, str] = {
    "exited": _EXITED,
    "registered": f"NOT {_EXITED} AND {_REGISTERED}",
    "filed": f"NOT {_EXITED} AND NOT {_REGISTERED} AND {_FILED}",
    "rejected": f"NOT {_EXITED} AND NOT {_REGISTERED} AND NOT {_FILED} AND {_REJECTED}",
    "pending": f"NOT {_EXITED} AND NOT {_REGISTERED} AND NOT {_FILED} AND NOT {_REJECTED}",
}


def _villages_of(
    runtime: Runtime, operator: Operator, division: str | None, tree: str
) -> tuple[str, Jurisdiction, str, tuple[str, ...]]:
    """The division asked for (default: the account's), the tree in force today, and an SQL
    condition on ``village_code`` with its parameters selecting that division's villages."""
    code = division or operator.division
    moment = moment_of(runtime, None, None, None, None, tree)
    j = report_tree(runtime, replace(moment, as_of=moment.today or moment.as_of))
    scoped_division(j, operator, code)
    patterns, excluded = j.patterns(code), moved_out(j, code)
    where = " OR ".join(["village_code LIKE %s"] * len(patterns))
    if excluded:
        where = f"({where}) AND village_code NOT IN ({', '.join(['%s'] * len(excluded))})"
    return code, j, f"({where})", (*patterns, *excluded)


@router.get("/organisations", response_model=models.OrganisationsOut)
def list_organisations(
    runtime: Runtime,
    operator: Operator,
    division: Annotated[str | None, Query(description="区划代码 / division code")] = None,
    state: Annotated[
        OrgState | None,
        Query(
            description="状态 / only organisations in this state: pending 待备案, filed 已备案,"
            " registered 已登记, rejected 未予备案, exited 已退出"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    tree: TreeBasis = "as_of",
) -> dict[str, Any]:
    """组织列表 / Organisations known to this tier within a division (of the tree in force
    today; ``as_of`` has no other meaning here), each with the village it counts in;
    ``state`` narrows it to one state (e.g. the filing applications awaiting a decision)."""
    code, j, where, params = _villages_of(runtime, operator, division, tree)
    if state is not None:
        where = f"{where} AND {STATE_SQL[state]}"
    with runtime.db.snapshot() as tx:
        rows = tx.all(
            f"SELECT * FROM org WHERE {where} ORDER BY village_code, org_id LIMIT %s OFFSET %s",
            (*params, limit, offset),
        )
    for row in rows:
        row["village_in_tree"] = j.resolve(row["village_code"])
    return {"division_code": code, "tree": describe_tree(j, tree), "organisations": rows}


@router.get("/volunteers", response_model=models.VolunteersOut)
def list_volunteers(
    runtime: Runtime,
    operator: Operator,
    division: Annotated[str | None, Query(description="区划代码 / division code")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """志愿者名册 / The volunteer registers of the villages within a division (ADR 0021): each
    volunteer's number in its village's register, the day it was entered and, for one who has
    left and not come back, the day and coded reason of leaving; nothing else is held."""
    code, _, where, params = _villages_of(runtime, operator, division, "as_of")
    with runtime.db.snapshot() as tx:
        rows = tx.all(
            "SELECT volunteer.*, a.left_on, a.reason AS left_reason FROM volunteer"
            " LEFT JOIN volunteer_absence a ON a.village_code = volunteer.village_code"
            " AND a.volunteer_id = volunteer.volunteer_id AND a.rejoined_on IS NULL"
            f" WHERE {where.replace('village_code', 'volunteer.village_code')}"
            " ORDER BY volunteer.village_code, volunteer.volunteer_id LIMIT %s OFFSET %s",
            (*params, limit, offset),
        )
    return {"division_code": code, "volunteers": rows}


@router.get("/inspections", response_model=models.InspectionsOut)
def list_inspections(
    runtime: Runtime,
    operator: Operator,
    division: Annotated[str | None, Query(description="区划代码 / division code")] = None,
    state: Annotated[
        Literal["open", "rectified"] | None,
        Query(
            description="整改状态 / open: rectification ordered and not yet completed;"
            " rectified: completed"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """检查记录列表 / Inspections of the organisations within a division, newest first, with
    the organisation's name; ``state=open`` lists the rectifications still to be completed."""
    code, _, where, params = _villages_of(runtime, operator, division, "as_of")
    where = where.replace("village_code", "i.village_code")
    if state == "open":
        where += " AND i.result = 'rectification_ordered' AND i.rectified_on IS NULL"
    elif state == "rectified":
        where += " AND i.rectified_on IS NOT NULL"
    with runtime.db.snapshot() as tx:
        rows = tx.all(
            "SELECT i.*, o.name FROM inspection i LEFT JOIN org o ON o.org_id = i.org_id"
            f" WHERE {where} ORDER BY i.inspected_on DESC, i.inspection_id LIMIT %s OFFSET %s",
            (*params, limit, offset),
        )
    return {"division_code": code, "inspections": rows}


@router.get(
    "/organisations/{organisation_id}", response_model=models.OrganisationRow, responses=VERSIONED
)
def get_organisation(
    organisation_id: str, runtime: Runtime, operator: Operator, response: Response
) -> dict[str, Any]:
    """组织详情 / One organisation as this tier's read model knows it; ``ETag``: the version
    of this tier's own record of it (the village's group, the township's filing, the county's
    registration; none if this tier records nothing of it), for ``If-Match`` (ADR 0035)."""
    tag = version_before_read(runtime, organisation_id)
    with runtime.db.snapshot() as tx:
        row = tx.one("SELECT * FROM org WHERE org_id = %s", (organisation_id,))
    if row is None:
        raise NotFound("unknown_organisation", f"no organisation {organisation_id}")
    check_reads(operator, row["village_code"], runtime)
    send_version(response, tag)
    return row
