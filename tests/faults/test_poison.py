"""A poison event (a handler that raises for it): retried MAX_ATTEMPTS times, dead-lettered, its
source stopped while the other sources go on, /ready answers 503; after the fix a replay resumes
the source and the read model equals a clean rebuild (ADR 0003)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.platform import BOOTSTRAPS, Platform
from shared.infrastructure.projector import MAX_ATTEMPTS
from shared.infrastructure.store import Tx
from shared.kernel.integration import events as ev
from shared.kernel.integration.envelope import Envelope
from shared.kernel.jurisdiction import Tier
from shared.tier import readmodel
from tests.faults.support import (
    APPLIED,
    CLAIMED,
    FILED,
    REGISTERED,
    REPORTED,
    reconcile,
    wait_for,
)
from tests.helpers import (
    VILLAGE,
    VILLAGE_2,
    apps,
    county_op,
    meta,
    today_cst,
    township_op,
    usci,
    village_op,
)

pytestmark = pytest.mark.postgres

POISON = 13  # participants of the one activity the broken handler cannot take
INSPECTED = "sanji.township.inspection.recorded.v1"


def report(p: Platform, org: Any, participants: int) -> int:
    v = apps(p)[0]
    v.report_activity(
        org,
        today_cst(),
        "culture_sports",
        participants,
        2,
        3,
        Decimal("4.50"),
        20,
        Decimal("100.00"),
        meta(village_op()),
    )
    return v.recorder.max_notification_id() or 0


def test_poison_event_stops_its_source_until_replayed(
    kafka_platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = kafka_platform
    v, t, c = apps(p)
    clients = {tier: TestClient(BOOTSTRAPS[tier].build_api(rt)) for tier, rt in p.tiers.items()}
    p.start()
    org = v.apply_for_filing(
        VILLAGE, "文昌舞蹈队", "culture_sports", date(2025, 1, 1), meta(village_op())
    ).id
    p.wait_until_projected(15)
    t.decide_filing(org, True, "", meta(township_op()))
    p.wait_until_projected(15)

    handler = readmodel.HANDLERS[REPORTED]

    def broken(tx: Tx, env: Envelope, payload: ev.ActivityReportedV1) -> None:
        if payload.participants == POISON:
            raise ValueError("handler bug: cannot take this activity")
        handler(tx, env, payload)

    monkeypatch.setitem(readmodel.HANDLERS, REPORTED, broken)
    poison = report(p, org, POISON)
    later = report(p, org, 8)  # same source, after the poison: must wait
    c.register(usci(1, "2"), "示范社工服务中心", "charity", VILLAGE_2, None, meta(county_op()))
    t.record_inspection(org, "compliant", "", ["张", "李"], meta(township_op()))
    heads = {rt.app.name: rt.app.recorder.max_notification_id() or 0 for rt in p.tiers.values()}

    def everyone_dead_lettered() -> bool:
        return all(rt.projector.dead_letters() for rt in p.tiers.values())

    wait_for(
        everyone_dead_lettered,
        30,
        lambda: f"dead letters: {[rt.projector.dead_letters() for rt in p.tiers.values()]}",
    )
    for tier, rt in p.tiers.items():
        [letter] = rt.projector.dead_letters()
        assert (letter["source"], letter["position"], letter["type"]) == (
            "village",
            poison,
            REPORTED,
        )
        assert letter["attempts"] == MAX_ATTEMPTS
        assert "handler bug" in str(letter["error"])
        # The other sources go on; the poisoned one stops just before it.
        rt.projector.wait_for("township", heads["township"], 15)
        rt.projector.wait_for("county", heads["county"], 15)
        assert rt.projector.position("village") == poison - 1 < later
        ready = clients[tier].get("/ready")
        assert ready.status_code == 503, ready.text
        assert ready.json()["blocked_sources"] == ["village"]
        assert ready.json()["dead_letters"] == 1

    # The fix is deployed; an operator replays the source on each tier.
    monkeypatch.setitem(readmodel.HANDLERS, REPORTED, handler)
    # (The loop's own heal may race the replay for the catch-up; either applies each event once.)
    for tier in (Tier.VILLAGE, Tier.TOWNSHIP):
        assert p.tiers[tier].projector.replay_dead_letters("village") <= 2
        assert p.tiers[tier].projector.position("village") == later
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "services",
            "dead-letters",
            "--tier",
            "county",
            "--replay",
            "village",
        ],
        env=environment(p),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "village resumed" in cli.stdout and "blocked sources: none" in cli.stdout
    report(p, org, 5)  # the source flows again, on every tier
    p.wait_until_projected(15)
    for tier, rt in p.tiers.items():
        assert clients[tier].get("/ready").status_code == 200
        [resolved] = rt.projector.dead_letters(include_resolved=True)
        assert resolved["resolved_at"] is not None  # kept, marked resolved
    p.stop()
    reconcile(
        p.settings,
        types=Counter({APPLIED: 1, FILED: 1, REPORTED: 3, REGISTERED: 1, CLAIMED: 1, INSPECTED: 1}),
        totals={
            "organisations.active": 2,
            "activity.activities": 3,
            "activity.participants": POISON + 8 + 5,
            "activity.money_fen": 30000,
        },
    )


def environment(p: Platform) -> dict[str, str]:
    import os

    s = p.settings
    return {
        **os.environ,
        "SANJI_PERSISTENCE": s.persistence,
        "SANJI_POSTGRES_URL": s.postgres_url,
        "SANJI_TRANSPORT": s.transport,
        "SANJI_KAFKA_BOOTSTRAP": s.kafka_bootstrap,
        "SANJI_DATA_DIR": str(s.data_dir),
        "SANJI_SECRET": s.secret,
    }
