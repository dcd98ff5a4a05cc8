"""Zombie exit on the demo county (ADR 0009): the dry run lists candidates with reasons and
guards; a campaign serves notices first; the exits come only after the notice period and never
for a guarded organisation. Loads the demo history (about 40 s)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from services.demo import load_demo
from shared.api.assessment import _card
from shared.kernel.domain import legal_date
from shared.kernel.jurisdiction import Tier
from tests.helpers import COUNTY, apps, build_platform, county_op, meta


def test_demo_county_dry_run_then_notices_then_exits(tmp_path: Path) -> None:
    now = [datetime.now().astimezone()]
    p = build_platform(tmp_path, lambda: now[0])
    try:
        load_demo(p, 20261122)
        p.drain()
        c = apps(p)[2]
        today = legal_date(now[0])
        # Last year's scorecard scores every township on its annual-report rate: the demo has
        # organisations older than its history, so reports fall due (ADR 0025 addendum).
        card, _ = _card(p.tiers[Tier.COUNTY], county_op(), today.year - 1, COUNTY)
        # So is its sampling completion: each township drew and inspected (ADR 0010).
        codes = [d.code for d in card.indicators]
        for code in ("annual_report_rate", "sampling_completion"):
            i = codes.index(code)
            assert card.rows and all(r.indicators[i].value is not None for r in card.rows), code
        review = c.exit_review(COUNTY, today)
        assert review and all(r["reasons"] and r["criteria"] for r in review)
        proposed = {r["org_id"] for r in review if r["proposal"] == "notice"}
        guarded = {r["org_id"] for r in review if r["guards"]}
        assert proposed and not proposed & guarded
        done = c.start_exit_campaign(COUNTY, None, meta(county_op(), at=now[0]))
        p.drain()
        assert {n["org_id"] for n in done["noticed"]} == proposed
        assert c.run_due_exits(now[0]) == []  # notices first, no exit yet
        now[0] += timedelta(days=31)
        exits = c.run_due_exits(now[0])
        p.drain()
        exited = {str(r.organisation_id) for r in exits if r.event == "exited"}
        assert exited and exited <= proposed and not exited & guarded
        assert c.run_due_exits(now[0]) == []
    finally:
        p.stop()
