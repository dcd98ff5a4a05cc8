"""Audit routes every tier serves: an organisation's timeline across the three tiers, issued
reports (record, list, reproduce), the integrity of the event logs, and the signed checkpoints
(anchors) a higher authority polls and keeps, with the public key that checks them."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from shared.api.deps import CommandMeta, Operator, RequestIn, Runtime, check_reads
from shared.api.history import history_of
from shared.api.models import (
    AnchorsOut,
    IntegrityOut,
    IssuedListOut,
    IssuedOut,
    IssuedReproductionOut,
    IssuedRow,
    PublicKeyOut,
    TimelineOut,
)
from shared.api.reports import FILE, MEDIA, Code, Moment, When, _sources, division_report_for
from shared.api.text import Name
from shared.audit import timeline
from shared.audit.issued import content_hash, reproduce, tree_label
from shared.audit.verify import verify_stores
from shared.kernel.domain import Actor, Meta, NotFound, OutOfJurisdiction
from shared.kernel.jurisdiction import contains
from shared.kernel.signing import read_anchors

router = APIRouter(prefix="/api/v1", tags=["audit 审计"])


def _timeline(runtime: Runtime, operator: Operator, organisation_id: str) -> dict[str, Any]:
    # Same rule as the organisation report: readable within the operator's division.
    facts = runtime.app.lookup.get(organisation_id)
    if facts is None:
        raise NotFound("unknown_organisation", f"no organisation {organisation_id}")
    check_reads(operator, facts.village_code, runtime)
    sources = runtime.projector.sources
    if sources is None:
        raise RuntimeError(f"the {runtime.tier} service has no read access to the event stores")
    return timeline.organisation_timeline(
        runtime.db, sources, organisation_id, runtime.jurisdiction
    )


@router.get("/organisations/{organisation_id}/timeline", response_model=TimelineOut)
def organisation_timeline(
    organisation_id: str, runtime: Runtime, operator: Operator
) -> dict[str, Any]:
    """组织时间线 / Every event about one organisation from all three tiers, in recorded order:
    tier, actor, recorded and effective time, rule version, hash-chain link and payload, read
    from the event stores; as complete as this tier's read model (its watermarks)."""
    return _timeline(runtime, operator, organisation_id)


@router.get(
    "/organisations/{organisation_id}/timeline/export.{fmt}",
    response_class=Response,  # a file only: no JSON body to document
    responses={200: {"content": {MEDIA["csv"]: FILE, MEDIA["xlsx"]: FILE}}},
)
def export_timeline(
    organisation_id: str, fmt: Literal["csv", "xlsx"], runtime: Runtime, operator: Operator
) -> Response:
    """组织时间线导出 / The timeline as CSV or XLSX with Chinese headers, one row per event."""
    data = _timeline(runtime, operator, organisation_id)
    name = f"timeline-{data['organisation']['org_id']}.{fmt}"
    return Response(
        content=timeline.render(data, fmt),
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ------------------------------------------------------------------ issued reports


class IssueIn(RequestIn):
    title: Name = Field(description="标题 / what is published, e.g. 2025年度报表")


ReportId = Annotated[str, Path(description="发布记录ID / issued report id")]


@router.post("/reports/{division_code}/issue", status_code=201, response_model=IssuedOut)
def issue_report(
    division_code: Code, body: IssueIn, runtime: Runtime, meta: CommandMeta, when: When
) -> dict[str, Any]:
    """发布报表 / Issue (publish) a division's report: records an event with its watermarks,
    rule versions, division tree and content hash, so the figures can be reproduced exactly
    later (``/issued-reports/{id}/reproduction``)."""
    report = division_report_for(runtime, meta.actor, division_code, when)
    tree = tree_label(when.tree, when.today or when.as_of)
    known_at = when.known_at.isoformat() if when.known_at else None
    where = (division_code, when, tree)
    issued = record_issue(runtime, meta, body.title, where, report, content_hash(report), known_at)
    return {**issued, "tree": tree, "report": report}


class Issuable(Protocol):
    """What is issued: a division's report, or a scorecard computed from one."""

    watermarks: dict[str, int]
    rule_versions: dict[str, str]


def record_issue(
    runtime: Runtime,
    meta: Meta,
    title: str,
    where: tuple[str, Moment, str],
    issued: Issuable,
    digest: str,
    known_at: str | None = None,
) -> dict[str, Any]:
    """Record an issued report (``/reports/…/issue``) or scorecard (``/assessments/…/issue``,
    shared/api/assessment.py) with what reproduces it — ``where``: the division, the moment
    and the division tree; the watermarks and rule versions of ``issued``; its content hash
    ``digest`` — and answer the fields both responses share."""
    division_code, when, tree = where
    result = runtime.app.issue_report(
        meta,
        title=title,
        division_code=division_code,
        as_of=when.as_of,
        period_from=when.period.start,
        period_to=when.period.end,
        period_label=when.period.label,
        tree=tree,
        known_at=known_at,
        watermarks=issued.watermarks,
        rule_versions=issued.rule_versions,
        content_hash=digest,
    )
    return {
        "report_id": str(result.id),
        "replayed": result.replayed,
        "content_hash": digest,
        "watermarks": issued.watermarks,
        "rule_versions": issued.rule_versions,
    }


def _issued(runtime: Runtime, operator: Operator, report_id: str) -> dict[str, Any]:
    with runtime.db.transaction() as tx:
        row = tx.one("SELECT * FROM issued_report WHERE report_id = %s", (report_id,))
    if row is None:
        raise NotFound("unknown_issued_report", f"no issued report {report_id} (yet) here")
    check_reads(operator, row["division_code"])
    return row


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "watermarks": json.loads(row["watermarks"]),
        "rule_versions": json.loads(row["rule_versions"]),
    }


@router.get("/issued-reports", response_model=IssuedListOut)
def issued_reports(runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """已发布报表 / Reports issued within the operator's division, newest first."""
    with runtime.db.transaction() as tx:
        rows = tx.all("SELECT * FROM issued_report ORDER BY issued_at DESC, report_id")
    return {"issued": [_public(r) for r in rows if contains(operator.division, r["division_code"])]}


@router.get("/issued-reports/{report_id}", response_model=IssuedRow)
def issued_report(report_id: ReportId, runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """发布记录 / What was recorded when a report was issued."""
    return _public(_issued(runtime, operator, report_id))


@router.get("/issued-reports/{report_id}/reproduction", response_model=IssuedReproductionOut)
def reproduce_issued(report_id: ReportId, runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """复核 / Recompute an issued report from the event stores at its watermarks with its rule
    versions, and compare the content hash with the recorded one (``reproduced``)."""
    row = _issued(runtime, operator, report_id)
    sources = _sources(runtime)
    return reproduce(
        sources, runtime.jurisdiction, runtime.rules, row, history_of(runtime, sources)
    )


# ------------------------------------------------------------------ integrity


@router.get("/integrity", response_model=IntegrityOut)
def integrity(runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """完整性校验 / Check every event log this service can read against its hash chain and the
    chain heads held by checkpoints and this read model; findings name each altered event."""
    check_reads(operator, runtime.jurisdiction.county.code)
    sources = _sources(runtime)
    apps = getattr(sources, "apps", {})
    anchors = read_anchors(sorted(runtime.settings.anchor_path().glob("*.jsonl")))
    return verify_stores(apps, {str(runtime.tier): runtime.db}, anchors=anchors).to_dict()


# ------------------------------------------------------------------ anchors (ADR 0006)


def _auditor(operator: Actor) -> None:
    # Anchors reveal nothing about organisations, but polling them is the province's audit
    # duty, not a clerk's: auditors and admins only.
    if not (operator.has("auditor") or operator.has("admin")):
        raise OutOfJurisdiction(
            "role_forbidden",
            f"需要审计员或管理员角色 / the auditor or admin role is required ({operator.id})",
        )


@router.get("/audit/anchors", response_model=AnchorsOut)
def anchors(
    runtime: Runtime,
    operator: Operator,
    after: Annotated[
        int, Query(ge=0, description="只取此位置之后 / only anchors after this log position")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> dict[str, Any]:
    """签名检查点 / This tier's signed checkpoints (anchors), oldest first, after log position
    ``after``. Each lists the chain heads the tier held then, signed with the install's Ed25519
    key over the canonical JSON of ``statement``. A province polls with ``after`` = the last
    ``position`` it kept and keeps every anchor: a later rewrite of the logs, even by someone
    with every database credential, disagrees with what it kept (``python -m services verify
    --anchors FILE``)."""
    _auditor(operator)
    found = runtime.app.anchors(after, limit)
    return {
        "tier": str(runtime.tier),
        "key_id": runtime.app.signer.key_id if runtime.app.signer else None,
        "anchors": found,
        "next_after": found[-1]["position"] if found else after,
    }


@router.get("/audit/public-key", response_model=PublicKeyOut)
def public_key(runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """验签公钥 / The Ed25519 public key that checks this install's link and anchor signatures.
    A province fetches it once, over a channel it trusts, and pins it."""
    _auditor(operator)
    signer = runtime.app.signer
    if signer is None:
        raise NotFound("no_signing_key", "本服务未配置签名密钥 / this service signs nothing")
    return {"algorithm": "Ed25519", "key_id": signer.key_id, "public_key_pem": signer.public_pem}
