"""``verify``: prove each tier's event log unaltered, or name the events that were altered.

For every tier store: every stored event against its chain link (edited, deleted, inserted,
reordered events; a chain table that no longer hangs together), and the chain recomputed from
the events against every head held elsewhere — the daily checkpoints in all three logs and the
last link each read model received with the events. A log rewritten together with its chain
table still disagrees with those heads.

With the install's public key, every link must carry a valid Ed25519 signature (a forged append
or a rewrite with the chain is named at its first event), and every signed checkpoint, in the
logs and in the anchor files outside the database (the tiers' sinks, or the copy a province
kept), is a trusted head: the only witness of a truncated tail (ADR 0006).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from eventsourcing.persistence import Notification

from shared.capabilities.ledger.domain import ChainCheckpoint, anchor_statement
from shared.infrastructure.eventstore import ChainedRecorder
from shared.infrastructure.store import Database
from shared.kernel.chain import (
    Finding,
    Link,
    StoredRow,
    Verification,
    check_heads,
    describe_event,
    verify_log,
)
from shared.kernel.integration.envelope import Envelope, placed
from shared.kernel.signing import Verifier
from shared.tier.application import TierApplication

PAGE = 5000

# (holder, source, position, link): a head of ``source``'s chain kept by ``holder``.
Head = tuple[str, str, int, str]


@dataclass
class LogAudit:
    verifications: dict[str, Verification] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    heads_checked: int = 0
    signatures_checked: bool = False
    anchors_checked: int = 0

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
            "signatures_checked": self.signatures_checked,
            "anchors_checked": self.anchors_checked,
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
    app: TierApplication,
    progress: Callable[[int], None] | None = None,
    verifier: Verifier | None = None,
    findings: list[Finding] | None = None,
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
                heads.extend(_checkpoint_heads(app, n, verifier, findings))
        if findings is not None:
            findings.extend(check_envelopes(app, page))
        after = page[-1].id
        if progress is not None:
            progress(len(page))
    links: list[Link] = []
    if isinstance(app.recorder, ChainedRecorder):
        links = app.recorder.select_links(1, after) if after else []
    return rows, links, heads


def check_envelopes(app: TierApplication, page: Sequence[Notification]) -> list[Finding]:
    """The envelopes stored beside these events (ADR 0032) that no longer say what their
    event says. The chain covers the events only; what the relay publishes and a rebuild
    projects is read from the envelopes, so each is held against its event here."""
    if not page or not isinstance(app.recorder, ChainedRecorder):
        return []
    bodies = app.recorder.select_envelopes(page[0].id, page[-1].id)
    return [
        Finding(
            app.name,
            "envelope_altered",
            n.id,
            describe_event(n.topic, n.originator_id, n.originator_version),
            "the integration envelope stored beside it no longer says what the event says: "
            "what was relayed or rebuilt from it may differ",
        )
        for n in page
        if n.id in bodies and not _agrees(app, n, bodies[n.id])
    ]


def _agrees(app: TierApplication, notification: Notification, body: bytes) -> bool:
    try:
        stored = Envelope.model_validate_json(placed(body, notification.id, 0, None))
        derived = app.to_envelope(notification, 0, None)
        # The payloads compared typed: a field added since (optional, ADR 0002) is its
        # default in both.
        return bool(
            stored.model_dump(exclude={"data"}) == derived.model_dump(exclude={"data"})
            and stored.payload() == derived.payload()
        )
    except Exception:  # unreadable, or no event this tier publishes: altered either way
        return False


def _checkpoint_heads(
    app: TierApplication,
    notification: Any,
    verifier: Verifier | None = None,
    findings: list[Finding] | None = None,
) -> list[Head]:
    try:
        event = cast(ChainCheckpoint.Recorded, app.mapper.to_domain_event(notification))
    except Exception:
        return []  # an altered checkpoint is itself a finding of its own log
    when = event.at.isoformat() if event.at is not None else event.day.isoformat()
    holder = f"{app.name} checkpoint of {when} (@{notification.id})"
    if event.signature is not None and verifier is not None:
        statement = anchor_statement(
            app.name, event.originator_id, event.day, event.at, event.heads
        )
        if not verifier.check_anchor(statement, event.signature):
            if findings is not None:
                findings.append(
                    Finding(
                        app.name,
                        "forged",
                        notification.id,
                        f"checkpoint of {when}",
                        "its signature does not cover what it now says: the checkpoint was "
                        "altered by someone without the install's key",
                    )
                )
            return []
    return [(holder, h["source"], int(h["position"]), h["link"]) for h in event.heads]


def anchor_heads(
    anchors: Iterable[dict[str, Any]], verifier: Verifier | None, findings: list[Finding]
) -> list[Head]:
    """Heads from exported anchors (sink files, a province's copy). Only a correctly signed
    anchor is a witness; one that is not is a finding of its own (someone wrote the file)."""
    heads: list[Head] = []
    for anchor in anchors:
        statement = anchor.get("statement")
        if not isinstance(statement, dict) or verifier is None:
            if "unreadable" in anchor or not isinstance(statement, dict):
                findings.append(
                    Finding(
                        "anchors",
                        "forged",
                        0,
                        f"anchor {anchor.get('unreadable', '')}".strip(),
                        "an exported anchor cannot be read",
                    )
                )
            continue
        tier = str(statement.get("tier"))
        when = statement.get("at") or statement.get("day")
        if not verifier.check_anchor(statement, anchor.get("signature")):
            findings.append(
                Finding(
                    tier,
                    "forged",
                    int(anchor.get("position") or 0),
                    f"exported anchor of {when}",
                    "its signature does not match what it says: not written by the install",
                )
            )
            continue
        holder = f"{tier} anchor of {when} (exported, @{anchor.get('position')})"
        heads.extend(
            (holder, h["source"], int(h["position"]), h["link"]) for h in statement["heads"]
        )
    return heads


def held_by_read_model(tier: str, db: Database) -> list[Head]:
    with db.transaction() as tx:
        rows = tx.all("SELECT source, position, link FROM chain_head")
    return [(f"{tier} read model", r["source"], int(r["position"]), r["link"]) for r in rows]


def verify_stores(
    apps: dict[str, TierApplication],
    read_models: dict[str, Database] | None = None,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
    anchors: Iterable[dict[str, Any]] = (),
    verifier: Verifier | None = None,
) -> LogAudit:
    """Check every store in ``apps`` (by source name); ``progress(label, total)`` returns a
    callback advanced as events are read. ``anchors``: exported anchors to check against
    (the sinks' files, a province's copy); ``verifier``: the install's public key(s), by
    default the one the applications sign with (no key: links are not asked for signatures)."""
    audit = LogAudit()
    if verifier is None:
        verifier = next((a.signer for a in apps.values() if a.signer is not None), None)
    audit.signatures_checked = verifier is not None
    held: list[Head] = []
    for source, app in apps.items():
        total = app.recorder.max_notification_id() or 0
        tick = progress(f"verify {source}", total) if progress else None
        anchor_findings: list[Finding] = []
        rows, links, heads = read_log(app, tick, verifier, anchor_findings)
        held.extend(heads)
        verification = verify_log(
            source, rows, links, verifier.check_link if verifier is not None else None
        )
        audit.verifications[source] = verification
        audit.findings.extend(verification.findings)
        # A checkpoint whose own link is forged, or an edited event (whose envelope no longer
        # agrees with it either), is named once, by its link.
        named = {(f.source, f.position) for f in verification.findings}
        audit.findings.extend(f for f in anchor_findings if (f.source, f.position) not in named)
    exported = list(anchors)
    audit.anchors_checked = len(exported)
    held.extend(anchor_heads(exported, verifier, audit.findings))
    for tier, db in (read_models or {}).items():
        held.extend(held_by_read_model(tier, db))
    held = list(dict.fromkeys(held))  # the same anchor read twice is one witness
    for source, verification in audit.verifications.items():
        mine = [(holder, p, lk) for holder, s, p, lk in held if s == source]
        audit.heads_checked += len(mine)
        audit.findings.extend(check_heads(verification, mine))
    return audit
