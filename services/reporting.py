"""Report commands for operators and auditors without an HTTP client.

``reconcile`` opens the three tiers' read models and proves county = Σ townships = Σ villages
for every additive figure, within each read model and across them, at one point (equal
watermarks); it exits 1 on any mismatch, naming the divisions and figures. ``export`` writes a
division's report as CSV, XLSX, JSON or printable HTML.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from shared.capabilities.divisions.history import tree_from
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import open_database
from shared.kernel.domain import CHINA, DomainError
from shared.kernel.jurisdiction import Jurisdiction, Tier, load
from shared.kernel.periods import Period, resolve
from shared.kernel.rules import RuleSet, load_rules
from shared.reporting.reconcile import reconcile_tiers
from shared.reporting.report import division_report
from shared.tier.application import utcnow


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--division", help="12-digit division code (default: the county)")
    parser.add_argument("--as-of", help="as-of date YYYY-MM-DD (default: period end)")
    parser.add_argument("--period", help="YYYY, YYYY-Qn, YYYY-Hn or YYYY-MM (default: YTD)")
    parser.add_argument("--from", dest="start", help="custom period start YYYY-MM-DD")
    parser.add_argument("--to", dest="end", help="custom period end YYYY-MM-DD")
    parser.add_argument(
        "--tree",
        choices=("as_of", "current"),
        default="as_of",
        help="division tree: as it was on the as-of date (default) or in force today",
    )


def _when(args: argparse.Namespace) -> tuple[date, Period]:
    def day(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    today = utcnow().astimezone(CHINA).date()
    return resolve(today, day(args.as_of), args.period, day(args.start), day(args.end))


def _tree(settings: Settings, args: argparse.Namespace, as_of: date) -> Jurisdiction:
    """The division tree the report uses, from the county read model's division changes."""
    day = as_of if args.tree == "as_of" else utcnow().astimezone(CHINA).date()
    db = open_database(settings.readmodel_url(Tier.COUNTY))
    try:
        return tree_from(db, load(settings.jurisdiction_file), day)
    finally:
        db.close()


def reconcile(settings: Settings, args: argparse.Namespace) -> int:
    try:
        as_of, period = _when(args)
    except DomainError as e:
        print(f"[sanji] {e.message}", file=sys.stderr)
        return 2
    j = _tree(settings, args, as_of)
    code = args.division or j.county.code
    if j.get(code) is None:
        print(f"[sanji] no division {code} in {settings.jurisdiction_file}", file=sys.stderr)
        return 2
    rules = load_rules(settings.rules_file).for_report(as_of)
    dbs = {tier: open_database(settings.readmodel_url(tier)) for tier in Tier}
    try:
        print(
            f"[sanji] reconciling {code} as of {as_of}, period {period.describe()['label']} …",
            file=sys.stderr,
        )
        result = reconcile_tiers(
            dbs, j, code, as_of, period, rules, wait_seconds=args.wait, tree=args.tree
        )
    finally:
        for db in dbs.values():
            db.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _summary(result, rules)
    return 0 if result["ok"] else 1


def _summary(r: dict[str, Any], rules: RuleSet) -> None:
    print(f"division {r['division']}  as of {r['as_of']}  period {r['period']['label']}")
    tree = r["tree"]
    print(f"division tree: {tree['basis']}, in force on {tree['on']}")
    # A legacy or local version is printed with its Chinese label (ADR 0018).
    labels = {v.version: v.label_zh for v in rules.present() if v.label_zh}
    named = [f"{v}（{labels[v]}）" if v in labels else v for v in r["rule_versions"].values()]
    print(f"rule versions: {', '.join(named)}")
    for tier, marks in r["watermarks"].items():
        print(f"  {tier:<9} read model at {json.dumps(marks, sort_keys=True)}")
    if not r["consistent_point"]:
        print("NOT AT ONE POINT: the read models reflect different upstream positions; retry")
    for tier, t in r["tiers"].items():
        for m in t["tree_mismatches"]:
            print(
                f"MISMATCH in the {tier} read model: {m['division']} ≠ Σ {len(m['children'])} children"
            )
            if m["divisions_outside_tree"]:
                print(
                    f"  rows for divisions outside the tree: {', '.join(m['divisions_outside_tree'])}"
                )
            for key, v in m["figures"].items():
                print(f"  {key}: children {v['expected']} vs total {v['actual']}")
    for m in r["across_tiers"]:
        print(f"MISMATCH across tiers at {m['division']} ({' vs '.join(m['tiers'])})")
        for key, v in m["figures"].items():
            print(f"  {key}: {v['expected']} vs {v['actual']}")
    some: dict[str, int] = next(iter(r["totals"].values()), {})
    print(
        f"{len(some)} additive counters, {len(r['tiers'])} read models: {'OK' if r['ok'] else 'FAILED'}"
    )


def export(settings: Settings, args: argparse.Namespace) -> int:
    from shared.reporting import export as formats
    from shared.reporting import html

    as_of, period = _when(args)
    j = _tree(settings, args, as_of)
    code = args.division or j.county.code
    rules = load_rules(settings.rules_file).for_report(as_of)
    db = open_database(settings.readmodel_url(Tier(args.tier)))
    try:
        data = division_report(db, j, code, as_of, period, rules, args.tree)
    finally:
        db.close()
    body: bytes | str
    if args.format == "html":
        body = html.report_html(data)
    else:
        render = {
            "csv": formats.report_csv,
            "xlsx": formats.report_xlsx,
            "json": formats.report_json,
        }
        body = render[args.format](data)
    out = Path(args.out or f"report-{code}-{as_of.isoformat()}.{args.format}")
    if isinstance(body, str):
        out.write_text(body, encoding="utf-8")
    else:
        out.write_bytes(body)
    print(f"[sanji] wrote {out}", file=sys.stderr)
    return 0
