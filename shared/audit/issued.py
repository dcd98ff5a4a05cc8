"""Reports as they stood: as known at a past instant, and issued reports reproduced exactly.

Two questions an auditor asks, answered from the event stores rather than from the live read
model (which only knows the present):

* "What did we know on 1 March?" A read model rebuilt from the events *recorded* up to that
  instant (``known_at``), then the usual report on it; combined with ``as_of`` (what was legally
  true on a date, by effective dates) this is the bitemporal report.
* "Is this published figure what the data said?" An issued report recorded its watermarks, rule
  versions, tree and content hash (shared/capabilities/ledger/domain.py). Rebuilding to exactly those watermarks and
  running the named rule versions gives the same report, whose hash must match.

Both read the tier's audit history when it can answer exactly (shared/audit/history.py, ADR
0031: rows versioned by recorded time, read at the instant or at the watermarks), and rebuild
otherwise; the two give the same rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from typing import Any

from shared.audit.history import AuditHistory
from shared.audit.rebuild import rebuild
from shared.capabilities.divisions.history import tree_from
from shared.infrastructure.projector import SourceReader
from shared.infrastructure.store import Database, open_database
from shared.kernel.jurisdiction import Jurisdiction
from shared.kernel.periods import Period
from shared.kernel.rules import ASSESSMENT, Rules, RuleSet
from shared.reporting.assessment import scorecard, scorecard_hash
from shared.reporting.model import DivisionReport, canonical
from shared.reporting.report import division_report

log = logging.getLogger("sanji.audit")


def content_hash(report: DivisionReport) -> str:
    """SHA-256 of a report's canonical JSON (sorted keys, no spacing): what an issue records.
    ``canonical`` is the JSON the API returns, the same dict the untyped reports hashed, so
    reports issued before the typed model still reproduce."""
    text = json.dumps(canonical(report), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def tree_label(tree: str, today: date) -> str:
    """How an issued report names its tree: ``as_of``, or ``current:<day>`` (the tree in force
    on the day it was issued; "current" would mean another tree later)."""
    return tree if tree == "as_of" else f"current:{today.isoformat()}"


def _tree_day(label: str, as_of: date) -> tuple[date, str]:
    if label == "as_of":
        return as_of, "as_of"
    return date.fromisoformat(label.partition(":")[2]), "current"


def report_on(
    db: Database,
    base: Jurisdiction,
    code: str,
    as_of: date,
    period: Period,
    rules: RuleSet,
    tree: str,
) -> DivisionReport:
    """The division report on a read model, on the tree a label names."""
    day, basis = _tree_day(tree, as_of)
    return division_report(db, tree_from(db, base, day), code, as_of, period, rules, basis)


def replay(
    sources: SourceReader,
    scope: str,
    *,
    until: dict[str, int] | None = None,
    known_at: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> Database:
    """A throw-away read model (in memory) rebuilt from the stores."""
    db = open_database("sqlite://:memory:")
    rebuild(db, sources, scope, until=until, known_at=known_at, progress=progress)
    return db


@contextmanager
def as_known(
    sources: SourceReader,
    scope: str,
    *,
    until: dict[str, int] | None = None,
    known_at: datetime | None = None,
    history: AuditHistory | None = None,
) -> Iterator[Database]:
    """The read model of what was recorded up to ``known_at`` (or of exactly the events up to
    the positions ``until``), for one request: the audit history's rows of that instant when
    it has them, else a replay into memory. Either is the same set of rows."""
    with ExitStack() as stack:
        found = None
        if history is not None and (until is None) != (known_at is None):
            try:
                if history.ready():
                    view = (
                        history.known_at(known_at)
                        if known_at is not None
                        else history.at_positions(until or {})
                    )
                    found = stack.enter_context(view)
            except Exception:  # the history only makes it faster: never fail a request on it
                log.exception("audit history unusable, replaying")
        if history is not None and found is not None:
            history.served += 1
            yield found
            return
    if history is not None:
        history.replayed += 1
    db = replay(sources, scope, until=until, known_at=known_at)
    try:
        yield db
    finally:
        db.close()


@contextmanager
def replayed(
    sources: SourceReader,
    scope: str,
    known_at: datetime,
    history: AuditHistory | None = None,
) -> Iterator[Database]:
    """A read model of what was recorded up to ``known_at``, for one request."""
    with as_known(sources, scope, known_at=known_at, history=history) as db:
        yield db


def replayed_report(
    sources: SourceReader,
    base: Jurisdiction,
    code: str,
    as_of: date,
    period: Period,
    rules: RuleSet,
    tree: str,
    *,
    until: dict[str, int] | None = None,
    known_at: datetime | None = None,
    history: AuditHistory | None = None,
) -> DivisionReport:
    """The report on the read model of the events up to ``until`` and/or recorded up to
    ``known_at`` (``as_known``): what a known-at request and a reproduction compute."""
    scope = base.county.code
    with as_known(sources, scope, until=until, known_at=known_at, history=history) as db:
        report = report_on(db, base, code, as_of, period, rules, tree)
    if known_at is None:
        return report
    # ``update`` marks the field set, so it is in the JSON and the hash, as it was.
    return report.model_copy(update={"known_at": known_at.isoformat()})


def known_at_report(
    sources: SourceReader,
    base: Jurisdiction,
    code: str,
    as_of: date,
    period: Period,
    rules: RuleSet,
    tree: str,
    known_at: datetime,
    history: AuditHistory | None = None,
) -> DivisionReport:
    """The report as the platform could have given it at ``known_at``."""
    return replayed_report(
        sources, base, code, as_of, period, rules, tree, known_at=known_at, history=history
    )


def reproduce(
    sources: SourceReader,
    base: Jurisdiction,
    rules: Rules,
    issued: dict[str, Any],
    history: AuditHistory | None = None,
) -> dict[str, Any]:
    """Recompute an issued report from the stores at its watermarks, with its rule versions,
    and compare hashes. ``issued`` is an ``issued_report`` read-model row."""
    watermarks = {k: int(v) for k, v in json.loads(issued["watermarks"]).items()}
    rule_set = rules.by_versions(json.loads(issued["rule_versions"]))
    period = Period(
        date.fromisoformat(issued["period_from"]),
        date.fromisoformat(issued["period_to"]),
        issued["period_label"],  # part of the report's content, so part of its hash
    )
    report = replayed_report(
        sources,
        base,
        issued["division_code"],
        date.fromisoformat(issued["as_of"]),
        period,
        rule_set,
        issued["tree"],
        until=watermarks,
        known_at=datetime.fromisoformat(issued["known_at"]) if issued.get("known_at") else None,
        history=history,
    )
    recomputed = content_hash(report)
    versions = rule_set.versions
    card = None
    named = json.loads(issued["rule_versions"]).get(ASSESSMENT)
    if named is not None:
        # An issued scorecard (ADR 0025): its content is the scorecard the same report gives
        # under the assessment version it named, so that is what is hashed again.
        card = scorecard(report, rules.named(ASSESSMENT, named), period.start.year)
        recomputed = scorecard_hash(card)
        versions = card.rule_versions
    return {
        "report_id": issued["report_id"],
        "reproduced": recomputed == issued["content_hash"],
        "recorded_hash": issued["content_hash"],
        "recomputed_hash": recomputed,
        "watermarks": watermarks,
        "rule_versions": versions,
        "report": report,
        **({"scorecard": card} if card is not None else {}),
    }
