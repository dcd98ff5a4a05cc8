"""Audit commands for auditors without an HTTP client.

``timeline`` prints or writes one organisation's timeline: every event about it from the three
tiers, merged in recorded order, located through one tier's read model and read back from the
three event stores (shared/audit/timeline.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from services.integrity import stores
from shared.audit.timeline import organisation_timeline, render
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import open_database
from shared.kernel.domain import DomainError
from shared.kernel.jurisdiction import Tier, load
from shared.tier.runtime import AppSourceReader


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("organisation_id", metavar="ORG_ID", help="the organisation's id (UUID)")
    parser.add_argument(
        "--tier",
        choices=[str(t) for t in Tier],
        default="county",
        help="whose read model locates the events (default: county)",
    )
    parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
    parser.add_argument(
        "--out", help="output file (default: JSON to stdout, else timeline-<id>.<format>)"
    )


def timeline(settings: Settings, args: argparse.Namespace) -> int:
    jurisdiction = load(settings.jurisdiction_file)
    db = open_database(settings.readmodel_url(Tier(args.tier)))
    try:
        with stores(settings, jurisdiction) as apps:
            data = organisation_timeline(
                db, AppSourceReader(apps), args.organisation_id, jurisdiction
            )
    except DomainError as e:
        print(f"[sanji] {e.message}", file=sys.stderr)
        return 2
    finally:
        db.close()
    if args.format == "json" and not args.out:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    out = Path(args.out or f"timeline-{data['organisation']['org_id']}.{args.format}")
    if args.format == "json":
        out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    else:
        out.write_bytes(render(data, args.format))
    print(f"[sanji] wrote {out} ({data['count']} events)", file=sys.stderr)
    return 0
