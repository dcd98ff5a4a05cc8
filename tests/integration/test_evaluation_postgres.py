"""Third-party evaluation on PostgreSQL (ADR 0026): its events stored and projected there, and
the county's read model rebuilt from the stores equal to the live one, evaluation tables
included."""

from __future__ import annotations

import pytest

from services.platform import Platform
from shared.audit.rebuild import compare, digest_tables, rebuild
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import open_database
from shared.kernel.jurisdiction import Tier
from shared.reporting.report import watermarks
from tests.helpers import COUNTY, seed_evaluation, seed_history, source_reader

pytestmark = pytest.mark.postgres


def test_evaluation_rows_rebuild_equal_on_postgres(pg_settings: Settings) -> None:
    p = Platform.build(pg_settings)
    try:
        seed_evaluation(p, seed_history(p))
        live = p.tiers[Tier.COUNTY].db
        with live.snapshot() as tx:
            marks, live_tables = watermarks(tx), digest_tables(tx)
            finding = tx.one("SELECT grade, recorded_by FROM evaluation_finding")
            decision = tx.one("SELECT outcome FROM evaluation_decision")
            state = tx.one("SELECT state FROM evaluator")
        assert (finding, decision, state) == (
            {"grade": 4, "recorded_by": "评估员"},
            {"outcome": "rejected"},
            {"state": "ended"},
        )
        target = open_database(f"{pg_settings.postgres_url}?schema=rebuilt_county")
        try:
            rebuild(target, source_reader(p), COUNTY, until=marks)
            with target.snapshot() as tx:
                comparison = compare(live_tables, digest_tables(tx))
        finally:
            target.close()
        assert comparison.equal, comparison.differences[:5]
        rows = {t["table"]: t["rows_live"] for t in comparison.summary()}
        assert rows["evaluation_finding"] == rows["evaluation_decision"] == 1
    finally:
        p.stop()
