"""Integrity commands for auditors and operators (ADR 0006).

``verify`` checks the three event logs against their hash chains, their links' signatures and
every chain head held elsewhere (checkpoints, read models, the exported anchors), and names
each altered event; ``rebuild`` rebuilds one tier's read model
from the stores into a fresh schema (or file) and compares it with the live one by canonical
hash; ``checkpoint`` records and exports a signed checkpoint of the chain heads now (each relay does
it every SANJI_CHECKPOINT_SECONDS by itself);
``reproduce`` recomputes an issued report from the stores and checks its content hash.
Each exits 0 when all is well, 1 when something differs, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from services.platform import BOOTSTRAPS
from shared.audit.issued import reproduce as reproduce_report
from shared.audit.progress import Progress
from shared.audit.rebuild import compare, digest_tables
from shared.audit.rebuild import rebuild as rebuild_into
from shared.audit.verify import PAGE, verify_stores
from shared.infrastructure.eventstore import ChainedRecorder
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import Database, PostgresDatabase, open_database
from shared.kernel.domain import CHINA
from shared.kernel.jurisdiction import Jurisdiction, Tier, load
from shared.kernel.rules import load_rules
from shared.kernel.signing import read_anchors
from shared.reporting.report import watermarks
from shared.tier.application import TierApplication, utcnow
from shared.tier.readmodel import chain_heads
from shared.tier.runtime import AppSourceReader

TIERS = [str(t) for t in Tier]


def add_arguments(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    v = sub.add_parser("verify", help="check the event logs against their hash chains")
    v.add_argument("--json", action="store_true", help="print the full result as JSON")
    v.add_argument(
        "--anchors",
        nargs="*",
        default=[],
        metavar="FILE",
        help="also check against these anchor files (JSON lines, e.g. the copy a province kept)",
    )
    r = sub.add_parser(
        "rebuild",
        help="rebuild a tier's read model from the stores and compare it with the live one",
    )
    r.add_argument("--tier", choices=TIERS, default="county")
    r.add_argument("--keep", action="store_true", help="keep the rebuilt schema/file")
    r.add_argument("--json", action="store_true", help="print the comparison as JSON")
    c = sub.add_parser(
        "checkpoint", help="record and export a signed chain-head checkpoint in every tier now"
    )
    c.add_argument("--tier", choices=TIERS, help="only this tier")
    c.add_argument(
        "--sign-legacy-links",
        action="store_true",
        help="upgrade step, once: first sign the links written before links were signed",
    )
    p = sub.add_parser("reproduce", help="recompute an issued report and check its content hash")
    p.add_argument("report_id", metavar="REPORT_ID")
    p.add_argument("--tier", choices=TIERS, default="county", help="read model that lists it")


def run(settings: Settings, args: argparse.Namespace) -> int:
    commands: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
        "verify": verify,
        "rebuild": rebuild,
        "checkpoint": checkpoint,
        "reproduce": reproduce,
    }
    return commands[args.command](settings, args)


@contextmanager
def stores(settings: Settings, jurisdiction: Jurisdiction) -> Iterator[dict[str, TierApplication]]:
    """The three tiers' event stores, opened for reading (one pooled connection each)."""
    apps: dict[str, TierApplication] = {}
    try:
        for tier, boot in BOOTSTRAPS.items():
            env = {
                **settings.event_store_env(tier),
                "POSTGRES_POOL_SIZE": "1",
                "POSTGRES_MAX_OVERFLOW": "2",
            }
            apps[str(tier)] = boot.APPLICATION(jurisdiction, env=env)
        yield apps
    finally:
        for app in apps.values():
            app.close()


def _progress(label: str, total: int) -> Callable[[int], None]:
    return Progress(label, total).advance


# ------------------------------------------------------------------ verify


def verify(settings: Settings, args: argparse.Namespace) -> int:
    j = load(settings.jurisdiction_file)
    dbs = {str(t): open_database(settings.readmodel_url(t)) for t in Tier}
    files = sorted(settings.anchor_path().glob("*.jsonl")) + [
        Path(f) for f in getattr(args, "anchors", [])
    ]
    try:
        with stores(settings, j) as apps:
            audit = verify_stores(apps, dbs, _progress, anchors=read_anchors(files))
    finally:
        for db in dbs.values():
            db.close()
    if args.json:
        print(json.dumps(audit.to_dict(), ensure_ascii=False, indent=2))
    else:
        for source, v in audit.verifications.items():
            position, head = v.head
            print(
                f"[sanji] {source}: {v.events:,} events, {v.links:,} links, head @{position} {head}"
            )
        print(
            f"[sanji] {audit.heads_checked} chain heads held by checkpoints, anchors and read "
            f"models checked ({audit.anchors_checked} exported anchors read); link signatures "
            + ("checked" if audit.signatures_checked else "NOT checked: no signing key")
        )
        for finding in audit.findings:
            print(f"[sanji] ALTERED {finding}")
        print(
            f"[sanji] {'OK: no event altered' if audit.ok else f'{len(audit.findings)} findings'}"
        )
    return 0 if audit.ok else 1


# ------------------------------------------------------------------ rebuild


def rebuild(settings: Settings, args: argparse.Namespace) -> int:
    tier = Tier(args.tier)
    j = load(settings.jurisdiction_file)
    stamp = utcnow().strftime("%Y%m%d%H%M%S")
    live = open_database(settings.readmodel_url(tier))
    target_url = settings.rebuild_readmodel_url(tier, stamp)
    target = open_database(target_url)
    try:
        with live.snapshot() as tx:
            # One snapshot: the live tables and the positions they reflect belong together.
            marks = watermarks(tx)
            live_tables = digest_tables(tx)
        print(
            f"[sanji] live {tier} read model at {marks}; rebuilding into {target_url}",
            file=sys.stderr,
        )
        with stores(settings, j) as apps:
            progress = Progress(f"rebuild {tier}", sum(marks.values()))
            rebuild_into(
                target, AppSourceReader(apps), j.county.code, until=marks, progress=progress.advance
            )
            rate = progress.finish()
        with target.snapshot() as tx:
            comparison = compare(live_tables, digest_tables(tx))
    finally:
        live.close()
        _discard(target, target_url, keep=args.keep)
    if args.json:
        print(
            json.dumps(
                {
                    "equal": comparison.equal,
                    "watermarks": marks,
                    "events_per_second": round(rate),
                    "tables": comparison.summary(),
                    "differences": [d.__dict__ for d in comparison.differences[:1000]],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for t in comparison.summary():
            mark = "=" if t["equal"] else "≠"
            print(f"  {mark} {t['table']:<18} {t['rows_live']:>10,} rows  {t['sha256_live'][:16]}")
        for d in comparison.differences[:50]:
            print(
                f"[sanji] DIFF {d.table} {d.key}\n    live:    {d.live}\n    rebuilt: {d.rebuilt}"
            )
        print(
            f"[sanji] {'OK: rebuilt read model equals the live one' if comparison.equal else f'{len(comparison.differences)} rows differ'}"
            f" ({rate:,.0f} events/s)"
        )
    return 0 if comparison.equal else 1


def _discard(db: Database, url: str, keep: bool) -> None:
    if not keep and isinstance(db, PostgresDatabase):
        with db.transaction() as tx:
            tx.execute(f'DROP SCHEMA "{db.schema}" CASCADE')
    db.close()
    if not keep and url.startswith("sqlite://"):
        Path(url.removeprefix("sqlite://")).unlink(missing_ok=True)
    elif keep:
        print(f"[sanji] kept the rebuilt read model: {url}", file=sys.stderr)


# ------------------------------------------------------------------ checkpoint


def checkpoint(settings: Settings, args: argparse.Namespace) -> int:
    j = load(settings.jurisdiction_file)
    # On demand: its own instant, so it never collides with the periodic ones.
    at = datetime.now(UTC)
    day = at.astimezone(CHINA).date()
    with stores(settings, j) as apps:
        for tier in [Tier(args.tier)] if args.tier else list(Tier):
            if getattr(args, "sign_legacy_links", False) and not _sign_legacy(
                settings, apps[str(tier)]
            ):
                return 1
            db = open_database(settings.readmodel_url(tier))
            try:
                with db.transaction() as tx:
                    held = chain_heads(tx)
                result = apps[str(tier)].record_checkpoint(day, held, at=at)
            finally:
                db.close()
            state = "recorded, signed and exported" if result else "nothing to record"
            print(f"[sanji] {tier} checkpoint of {at.isoformat()}: {state}")
    return 0


def _sign_legacy(settings: Settings, app: TierApplication) -> bool:
    """Sign a store's pre-signing links, once, after upgrading: the unsigned links before the
    first correctly signed one. A forger who rewrites from some event on leaves no correctly
    signed link after it, so this never signs over a rewrite. A store with no correctly signed
    link at all is signed whole only if this tier never exported a signed anchor: otherwise
    signing was on, and its unsigned links are a forger's, not history. (The write path never
    signs what it finds unsigned, for the same reason.)"""
    recorder = app.recorder
    if not isinstance(recorder, ChainedRecorder) or recorder.signer is None:
        return True
    first_signed, after = None, 0
    while first_signed is None:
        page = recorder.select_links(after + 1, after + PAGE)
        if not page and after >= (recorder.max_notification_id() or 0):
            break
        for lk in page:
            if recorder.signer.check_link(lk.link, lk.signature):
                first_signed = lk.position
                break
        after += PAGE
    sink = settings.anchor_path() / f"{app.tier}.jsonl"
    if first_signed is None and any(a.get("signature") for a in read_anchors([sink])):
        print(
            f"[sanji] 拒绝 / refused: no link of {app.tier} is signed, yet {sink} holds signed "
            "anchors: its signatures were removed; run `verify`, do not sign over it",
            file=sys.stderr,
        )
        return False
    signed = recorder.sign_legacy_links(first_signed)
    print(f"[sanji] {app.tier}: signed {signed:,} links written before links were signed")
    return True


# ------------------------------------------------------------------ reproduce


def reproduce(settings: Settings, args: argparse.Namespace) -> int:
    j = load(settings.jurisdiction_file)
    db = open_database(settings.readmodel_url(Tier(args.tier)))
    try:
        with db.transaction() as tx:
            issued = tx.one("SELECT * FROM issued_report WHERE report_id = %s", (args.report_id,))
    finally:
        db.close()
    if issued is None:
        print(
            f"[sanji] no issued report {args.report_id} in the {args.tier} read model",
            file=sys.stderr,
        )
        return 2
    with stores(settings, j) as apps:
        result = reproduce_report(AppSourceReader(apps), j, load_rules(settings.rules_file), issued)
    state = "REPRODUCED" if result["reproduced"] else "DIFFERS"
    print(
        f"[sanji] {state}: report {args.report_id} ({issued['title']}, {issued['division_code']})\n"
        f"  recorded   {result['recorded_hash']}\n  recomputed {result['recomputed_hash']}"
    )
    return 0 if result["reproduced"] else 1
