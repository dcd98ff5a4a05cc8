"""The production topology: every role of every tier in a process of its own, on PostgreSQL and
a Kafka-protocol broker, driven over HTTP like operators drive it."""

from __future__ import annotations

from collections import Counter

import pytest

from shared.kernel.jurisdiction import Tier, load
from tests.faults.support import Deployment, reconcile, wait_for
from tests.helpers import COUNTY, TOWNSHIP, VILLAGE, usual_operators, village_op

pytestmark = pytest.mark.postgres


CAUGHT_UP = {"county": 0, "township": 0, "village": 0}


def test_village_to_township_to_county_across_processes(deployment: Deployment) -> None:
    ops = deployment.ops
    org = ops.apply(VILLAGE)  # village API process
    ops.file(org)  # township API: waits (404) until the township projector has the application
    ops.activity(org)  # village API: waits until the village projector has the filing
    ops.activity(org)
    ops.register()  # county API

    expected = ops.ledger.totals()

    def county_report_shows_it() -> bool:
        figures = ops.report(COUNTY)["figures"]
        return (
            figures["organisations"]["active"] == expected["organisations.active"]
            and figures["activity"]["activities"] == expected["activity.activities"]
            and figures["activity"]["participants"] == expected["activity.participants"]
        )

    wait_for(county_report_shows_it, 30, lambda: f"county report {ops.report(COUNTY)['figures']}")
    body = ops.report(COUNTY)
    # Each store: the operators' accounts opened at set-up (ADR 0012), then what was commanded.
    opened = Counter(
        str(a.tier) for a in usual_operators(load(deployment.settings.jurisdiction_file))
    )
    # The registration stores its USCI claim with it (ADR 0034): two events at the county.
    commanded = {"village": 3, "township": 1, "county": 2}
    assert body["watermarks"] == {t: opened[t] + n for t, n in commanded.items()}
    assert body["figures"]["activity"]["money_spent_yuan"] == expected["activity.money_fen"] / 100
    township = next(c for c in body["children"] if c["code"] == TOWNSHIP)["figures"]
    assert township["activity"]["activities"] == 2
    village = ops.get(Tier.VILLAGE, f"/api/v1/reports/{VILLAGE}", village_op())
    assert village.status_code == 200
    assert village.json()["figures"]["organisations"]["active"] == 1
    for tier in Tier:
        # The county may have applied an event (healed from the store) a moment before the
        # relay recorded publishing it: wait for the relay, do not race it.
        # Likewise its projector may hold an event in flight a moment longer: wait, do not race.
        ready = wait_for(
            lambda tier=tier, caught_up=CAUGHT_UP: (
                (r := ops.get(tier, "/ready", village_op())).json()["relay_lag"] == 0
                and r.json()["projector_lag"] == caught_up
                and r
            ),
            10,
            f"{tier} relay and projector lag 0",
        )
        assert ready.status_code == 200, ready.text
    reconcile(deployment.settings, ops.ledger)
