"""``verify``: prove each tier's event log unaltered, or name the events that were altered.

For every tier store: every stored event against its chain link (edited, deleted, inserted,
reordered events; a chain table that no longer hangs together), and the chain recomputed from
the events against every head held elsewhere — the daily checkpoints in all three logs and the
last link each read model received with the events. A log rewritten together with its chain
table still disagrees with those heads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from shared.application import TierApplication
from shared.chain import Finding, Link, StoredRow, Verification, check_heads, verify_log
from shared.eventstore import ChainedRecorder
from shared.ledger import ChainCheckpoint
from shared.projection.store import Database

PAGE = 5000

# (holder, source, position, link): a head of ``source``'s chain kept by ``holder``.
Head = tuple[str, str, int, str]


@dataclass
class LogAudit:
    verifications: dict[str, Verification] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    heads_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "sources": {
                s: {
                    "events": v.events,
                    "links": v.links,
                    "head_position": v.head[0],
                    "head": v.head[1],
                }
                for s, v in self.verifications.items()
            },
            "heads_checked": self.heads_checked,
            "findings": [
                {
                    "source": f.source,
                    "kind": f.kind,
                    "position": f.position,
                    "event": f.event,
                    "detail": f.detail,
                }
                for f in self.findings
            ],
        }


def read_log(
    app: TierApplication, progress: Callable[[int], None] | None = None
) -> tuple[list[StoredRow], list[Link], list[Head]]:
    """The store's rows, then its links up to the last row read (a legitimate insert commits
    its rows and links together, in id order, so nothing read here lacks its link unless it
    was written around the application), and the heads its checkpoints recorded."""
    rows: list[StoredRow] = []
    heads: list[Head] = []
    after = 0
    while True:
        page = app.recorder.select_notifications(after, PAGE, inclusive_of_start=False)
        if not page:
            break
        for n in page:
            rows.append(StoredRow(n.id, n.originator_id, n.originator_version, n.topic, n.state))
            if n.topic.endswith("ChainCheckpoint.Recorded"):
                heads.extend(_checkpoint_heads(app, n))
        after = page[-1].id
        if progress is not None:
            progress(len(page))
    links: list[Link] = []
    if isinstance(app.recorder, ChainedRecorder):
        links = app.recorder.select_links(1, after) if after else []
    return rows, links, heads


def _checkpoint_heads(app: TierApplication, notification: Any) -> list[Head]:
    try:
        event = cast(ChainCheckpoint.Recorded, app.mapper.to_domain_event(notification))
    except Exception:
        return []  # an altered checkpoint is itself a finding of its own log
    holder = f"{app.name} checkpoint of {event.day.isoformat()} (@{notification.id})"
    return [(holder, h["source"], int(h["position"]), h["link"]) for h in event.heads]


def held_by_read_model(tier: str, db: Database) -> list[Head]:
    with db.transaction() as tx:
        rows = tx.all("SELECT source, position, link FROM chain_head")
    return [(f"{tier} read model", r["source"], int(r["position"]), r["link"]) for r in rows]


def verify_stores(
    apps: dict[str, TierApplication],
    read_models: dict[str, Database] | None = None,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> LogAudit:
    """Check every store in ``apps`` (by source name); ``progress(label, total)`` returns a
    callback advanced as events are read."""
    audit = LogAudit()
    held: list[Head] = []
    for source, app in apps.items():
        total = app.recorder.max_notification_id() or 0
        tick = progress(f"verify {source}", total) if progress else None
        rows, links, heads = read_log(app, tick)
        held.extend(heads)
        verification = verify_log(source, rows, links)
        audit.verifications[source] = verification
        audit.findings.extend(verification.findings)
    for tier, db in (read_models or {}).items():
        held.extend(held_by_read_model(tier, db))
    for source, verification in audit.verifications.items():
        mine = [(holder, p, lk) for holder, s, p, lk in held if s == source]
        audit.heads_checked += len(mine)
        audit.findings.extend(check_heads(verification, mine))
    return audit
