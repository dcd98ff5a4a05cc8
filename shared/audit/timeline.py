"""One organisation's timeline: every event about it from the three tiers, merged in order.

An auditor asks "what happened to this group, who did it, at which tier, when was it recorded
and when did it take legal effect, under which rule" (domain.md §5). The read model only keeps
an index of where those events are (table ``org_event``, filled by ``readmodel.apply``); the
events themselves are read back from the tiers' event stores, which are the audit trail, each
with its hash-chain link when the store keeps one (shared/kernel/chain.py). The timeline is therefore
as complete as this read model's watermarks, which it names.

Events are merged by recorded time; ties (two stores, one microsecond) by source, then position.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.infrastructure.projector import SourceReader
from shared.infrastructure.store import Database
from shared.kernel.domain import CHINA, NotFound, legal_date
from shared.kernel.integration.envelope import Envelope
from shared.kernel.jurisdiction import Jurisdiction
from shared.reporting import export

# What happened, by the "subject.action" part of an integration type (tier and major version
# left out: the tier is a column of its own). A type missing here shows as itself.
LABELS = {
    "group.applied": "提交备案申请",
    "filing.filed": "准予备案",
    "filing.rejected": "不予备案",
    "filing.cancelled": "撤销备案",
    "charter.approved": "核准章程",
    "activity.reported": "报告活动",
    "inspection.recorded": "抽查",
    "rectification.completed": "整改完成",
    "organisation.registered": "登记",
    "party_organisation.set_up": "建立党组织",
    "annual_report.filed": "报送年报",
    "rating.recorded": "信用评价/等级评估/星级评定",
    "funding.awarded": "资助立项",
    "funding.disbursed": "拨付资金",
    "credit_list.entered": "列入信用名录",
    "credit_list.left": "移出信用名录",
    "organisation.deregistered": "注销登记",
    "organisation.revoked": "撤销登记",
    "platform.opened": "服务平台设立",
    "platform.closed": "服务平台关闭",
    "training.attendance_recorded": "参加培训",
    "training.attendance_corrected": "更正参训记录",
    "evaluation.finding_recorded": "第三方评估意见",
    "evaluation.decided": "局方对评估意见的决定",
}

# Export columns: (key of a flattened line, Chinese header).
COLUMNS = [
    ("seq", "序号"),
    ("tier_text", "层级"),
    ("label", "事项"),
    ("actor_id", "操作员"),
    ("actor_name", "操作员姓名"),
    ("actor_role", "操作员角色"),
    ("actor_division", "操作员所属区划"),
    ("recorded", "记录时间（北京时间）"),
    ("effective_on", "生效日期"),
    ("effective", "生效时间（北京时间）"),
    ("rule_version", "规则版本"),
    ("type", "事件类型"),
    ("source", "来源事件库"),
    ("position", "事件库位置"),
    ("chain", "哈希链值"),
    ("data", "事件内容"),
]


def label(type_name: str) -> str:
    """A short Chinese label of an integration type: sanji.<tier>.<subject>.<action>.v<n>."""
    parts = type_name.split(".")
    return LABELS.get(".".join(parts[2:-1]), type_name)


def china_time(moment: datetime) -> str:
    """An instant as China time, ISO 8601 with offset (microseconds kept: they order events)."""
    return moment.astimezone(CHINA).isoformat()


def organisation_timeline(
    db: Database,
    sources: SourceReader,
    organisation_id: str | UUID,
    jurisdiction: Jurisdiction | None = None,
) -> dict[str, Any]:
    """The organisation (current name and code from the read model) and every event about it
    from all three tiers, merged by recorded time; 404 ``unknown_organisation``."""
    org_id = _canonical(organisation_id)
    with db.snapshot() as tx:
        org = tx.one("SELECT * FROM org WHERE org_id = %s", (org_id,))
        if org is None:
            raise NotFound("unknown_organisation", f"no organisation {organisation_id}")
        index = tx.all(
            "SELECT source, position, type FROM org_event WHERE organisation_id = %s",
            (org_id,),
        )
        marks = {r["source"]: int(r["position"]) for r in tx.all("SELECT * FROM tracking")}
    found = _read(sources, index)
    events = sorted(found.values(), key=lambda e: (e.recorded_at, e.source, e.position))
    return {
        "organisation": _header(org, jurisdiction),
        "watermarks": marks,
        "count": len(events),
        "events": [line(e) for e in events],
        # Indexed here but no longer in its store: the log lost an event (an auditor's finding).
        "missing": [
            {"source": r["source"], "position": int(r["position"]), "type": r["type"]}
            for r in index
            if (r["source"], int(r["position"])) not in found
        ],
    }


def _canonical(organisation_id: str | UUID) -> str:
    try:
        return str(UUID(str(organisation_id)))
    except ValueError:
        raise NotFound("unknown_organisation", f"no organisation {organisation_id}") from None


def _read(sources: SourceReader, index: list[dict[str, Any]]) -> dict[tuple[str, int], Envelope]:
    """The indexed events, read back from their stores (one read per source and run)."""
    positions: dict[str, list[int]] = defaultdict(list)
    for r in index:
        positions[r["source"]].append(int(r["position"]))
    return {
        (e.source, e.position): e
        for source, wanted in positions.items()
        for e in sources.read_at(source, wanted)
    }


def _header(org: Mapping[str, Any], jurisdiction: Jurisdiction | None) -> dict[str, Any]:
    village = jurisdiction.get(org["village_code"]) if jurisdiction else None
    return {
        "org_id": org["org_id"],
        "name": org["name"],
        # The registered organisation's USCI, else the filed group's filing number.
        "code": org["usci"] or org["filing_number"],
        "usci": org["usci"],
        "filing_number": org["filing_number"],
        "legal_form": org["legal_form"],
        "village_code": org["village_code"],
        "village_name": village.name if village else None,
    }


def line(env: Envelope) -> dict[str, Any]:
    """One event of the timeline, as the API serves it."""
    return {
        "tier": str(env.source_tier),
        "source": env.source,
        "position": env.position,
        "type": env.type,
        "label": label(env.type),
        "actor": env.actor.model_dump(mode="json"),
        "recorded_at": china_time(env.recorded_at),
        "effective_at": china_time(env.effective_at),
        "effective_on": legal_date(env.effective_at).isoformat(),
        "rule_version": env.rule_version,
        "chain": env.chain,
        "event_id": str(env.event_id),
        "correlation_id": env.correlation_id,
        "data": env.data,
    }


def _flat(seq: int, event: Mapping[str, Any]) -> dict[str, Any]:
    actor = event["actor"]
    return {
        **event,
        "seq": seq,
        "tier_text": export.tier_text(event["tier"]),
        "actor_id": actor["id"],
        "actor_name": actor.get("name") or "",
        "actor_role": actor["role"],
        "actor_division": actor["division"],
        "recorded": _readable(event["recorded_at"]),
        "effective": _readable(event["effective_at"]),
    }


def _readable(iso: str) -> str:
    """'2026-05-01T09:30:00.123456+08:00' → '2026-05-01 09:30:00.123' (China time)."""
    return datetime.fromisoformat(iso).isoformat(sep=" ", timespec="milliseconds")[:23]


def rows(timeline: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The timeline's events flattened for a table, numbered from 1."""
    return [_flat(i, e) for i, e in enumerate(timeline["events"], start=1)]


def render(timeline: Mapping[str, Any], fmt: str) -> bytes:
    """The timeline as CSV (UTF-8 with BOM) or XLSX, with Chinese headers."""
    if fmt == "csv":
        return export.table_csv(COLUMNS, rows(timeline))
    if fmt == "xlsx":
        return export.table_xlsx("组织时间线", COLUMNS, rows(timeline))
    raise ValueError(f"no timeline format {fmt!r}")
