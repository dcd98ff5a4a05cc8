"""Reports as they stood (bitemporal), and issued reports reproduced exactly, over HTTP.

A scripted timeline: at several moments the live county and township reports are recorded;
later, the reports "as known at" those moments (rebuilt from the event stores) must equal what
was recorded, even after backdated corrections changed what is now known about the past.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.platform import Platform
from shared.capabilities.ledger.domain import checkpoint_id
from shared.infrastructure.settings import Settings
from shared.kernel.domain import CHINA
from shared.kernel.jurisdiction import Tier
from shared.tier.application import utcnow
from shared.tier.runtime import period_start
from tests.helpers import (
    COUNTY,
    HISTORY_BACKDATE_DAYS,
    TOWNSHIP,
    VILLAGE,
    Api,
    account_of,
    county_op,
    township_op,
    usci,
    village_op,
)


@pytest.fixture
def backdate_days() -> int:
    return HISTORY_BACKDATE_DAYS  # this module loads history years back through the API


AS_OF = date(2025, 6, 30)
QUERY = "as_of=2025-06-30&from=2025-01-01&to=2025-06-30"


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def apply(api: Api, name: str, effective_on: str) -> str:
    body = {
        "village_code": VILLAGE,
        "name": name,
        "field": "culture_sports",
        "founded_on": "2025-01-01",
        "effective_on": effective_on,
    }
    headers = api.auth(village_op())
    org = ok(api.village.post("/api/v1/filing-applications", json=body, headers=headers), 201)
    return str(org["id"])


def file(api: Api, org: str, effective_on: str) -> None:
    api.settle()  # the township acts on what it has seen of the application
    decision = {"decision": "filed", "effective_on": effective_on}
    path = f"/api/v1/organisations/{org}/filing-decision"
    ok(api.township.post(path, json=decision, headers=api.auth(township_op())), 201)


def reports(api: Api) -> dict[str, dict[str, Any]]:
    county = ok(api.county.get(f"/api/v1/reports/{COUNTY}?{QUERY}", headers=api.auth(county_op())))
    township = ok(
        api.township.get(f"/api/v1/reports/{TOWNSHIP}?{QUERY}", headers=api.auth(township_op()))
    )
    return {"county": county, "township": township}


def moment(api: Api) -> datetime:
    """Everything recorded so far is projected; a recorded instant strictly after it."""
    api.settle()
    time.sleep(0.01)
    at = utcnow()
    time.sleep(0.01)
    return at


def known_at(api: Api, at: datetime) -> dict[str, dict[str, Any]]:
    q = f"{QUERY}&known_at={at.isoformat().replace('+00:00', 'Z')}"
    county = ok(api.county.get(f"/api/v1/reports/{COUNTY}?{q}", headers=api.auth(county_op())))
    township = ok(
        api.township.get(f"/api/v1/reports/{TOWNSHIP}?{q}", headers=api.auth(township_op()))
    )
    return {"county": county, "township": township}


def without_known_at(report: dict[str, Any]) -> dict[str, Any]:
    assert "known_at" in report
    return {k: v for k, v in report.items() if k != "known_at"}


def test_reports_as_known_at_past_moments_equal_what_was_recorded_then(api: Api) -> None:
    recorded: list[tuple[datetime, dict[str, dict[str, Any]]]] = []
    first = apply(api, "文昌舞蹈队", "2025-03-01")
    file(api, first, "2025-03-10")
    recorded.append((moment(api), reports(api)))
    org_path = f"/api/v1/reports/organisations/{first}?{QUERY}"
    org_then = ok(api.county.get(org_path, headers=api.auth(county_op())))

    second = apply(api, "文昌读书会", "2025-04-01")
    recorded.append((moment(api), reports(api)))

    # Backdated: filed "on 20 April", but recorded only now. What we know about 30 June
    # changes; what we knew at the earlier moments must not.
    file(api, second, "2025-04-20")
    registration = {
        "usci": usci(11, "1"),
        "name": "文昌志愿者协会",
        "field": "services",
        "village_code": VILLAGE,
        "effective_on": "2025-05-15",
    }
    ok(
        api.county.post("/api/v1/registrations", json=registration, headers=api.auth(county_op())),
        201,
    )
    recorded.append((moment(api), reports(api)))

    ok(
        api.township.post(
            f"/api/v1/organisations/{first}/filing-cancellation",
            json={"reason": "自行解散", "effective_on": "2025-06-01"},
            headers=api.auth(township_op()),
        )
    )
    api.settle()
    now = reports(api)

    for at, then in recorded:
        replayed = known_at(api, at)
        for tier in ("county", "township"):
            assert without_known_at(replayed[tier]) == then[tier], (tier, at)
    # One organisation's report too, though it has since been cancelled.
    org_known = ok(
        api.county.get(
            f"{org_path}&known_at={recorded[0][0].isoformat().replace('+00:00', 'Z')}",
            headers=api.auth(county_op()),
        )
    )
    assert without_known_at(org_known) == org_then
    assert ok(api.county.get(org_path, headers=api.auth(county_op()))) != org_then
    # The figures did move between the moments: the test is not comparing empty reports.
    active = [r["county"]["figures"]["organisations"]["active"] for _, r in recorded]
    assert active == sorted(active) and active[0] < active[-1]
    assert now["county"]["figures"] != recorded[-1][1]["county"]["figures"]
    # Before anything was recorded the platform knew nothing.
    empty = known_at(api, recorded[0][0] - timedelta(days=1))["county"]
    assert empty["figures"]["organisations"]["active"] == 0
    assert empty["watermarks"] == {}


def test_known_at_must_be_an_aware_past_instant(api: Api) -> None:
    headers = api.auth(county_op())
    naive = api.county.get(
        f"/api/v1/reports/{COUNTY}?known_at=2025-03-01T00:00:00", headers=headers
    )
    assert naive.status_code == 422 and naive.json()["error"]["code"] == "naive_datetime"
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat().replace("+00:00", "Z")
    ahead = api.county.get(f"/api/v1/reports/{COUNTY}?known_at={future}", headers=headers)
    assert ahead.status_code == 422 and ahead.json()["error"]["code"] == "date_in_future"


def test_an_issued_report_is_reproduced_exactly_later(api: Api) -> None:
    org = apply(api, "文昌舞蹈队", "2025-03-01")
    file(api, org, "2025-03-10")
    api.settle()
    headers = api.auth(county_op())
    issued = ok(
        api.county.post(
            f"/api/v1/reports/{COUNTY}/issue?{QUERY}",
            json={"title": "2025年上半年报表"},
            headers=headers,
        ),
        201,
    )
    assert issued["content_hash"].startswith("sha256:")
    assert issued["rule_versions"] == issued["report"]["rule_versions"]
    assert issued["watermarks"] == issued["report"]["watermarks"]
    # Later events change the live report but not the issued one.
    file(api, apply(api, "文昌读书会", "2025-04-01"), "2025-04-20")
    api.settle()
    report_id = issued["report_id"]
    record = ok(api.county.get(f"/api/v1/issued-reports/{report_id}", headers=headers))
    assert record["content_hash"] == issued["content_hash"]
    assert record["actor"] == account_of(county_op()) and record["title"] == "2025年上半年报表"
    check = ok(api.county.get(f"/api/v1/issued-reports/{report_id}/reproduction", headers=headers))
    assert check["reproduced"] is True
    assert check["recomputed_hash"] == issued["content_hash"]
    assert check["report"] == issued["report"]
    live = ok(api.county.get(f"/api/v1/reports/{COUNTY}?{QUERY}", headers=headers))
    assert live["figures"] != issued["report"]["figures"]
    # Every tier holds the record; a village operator may not read the county's.
    listed = ok(api.township.get("/api/v1/issued-reports", headers=api.auth(township_op())))
    assert listed["issued"] == []
    denied = api.village.get(f"/api/v1/issued-reports/{report_id}", headers=api.auth(village_op()))
    assert denied.status_code == 403
    # The default period (year to date) and the current tree are reproduced too: the
    # period's label and the tree's day are part of the content, so of the hash.
    default = ok(
        api.county.post(
            f"/api/v1/reports/{COUNTY}/issue?tree=current",
            json={"title": "年初至今"},
            headers=headers,
        ),
        201,
    )
    assert default["tree"].startswith("current:")
    api.settle()
    path = f"/api/v1/issued-reports/{default['report_id']}/reproduction"
    assert ok(api.county.get(path, headers=headers))["reproduced"] is True
    missing = api.county.get("/api/v1/issued-reports/nope/reproduction", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_issued_report"


def test_a_tampered_record_is_not_reproduced(api: Api) -> None:
    apply(api, "文昌舞蹈队", "2025-03-01")
    api.settle()
    headers = api.auth(county_op())
    issued = ok(
        api.county.post(
            f"/api/v1/reports/{COUNTY}/issue?{QUERY}", json={"title": "报表"}, headers=headers
        ),
        201,
    )
    api.settle()
    with api.platform.tiers[Tier.COUNTY].db.transaction() as tx:
        tx.execute(
            "UPDATE issued_report SET content_hash = %s WHERE report_id = %s",
            ("sha256:" + "1" * 64, issued["report_id"]),
        )
    check = ok(
        api.county.get(
            f"/api/v1/issued-reports/{issued['report_id']}/reproduction", headers=headers
        )
    )
    assert check["reproduced"] is False
    assert check["recomputed_hash"] == issued["content_hash"]


def test_integrity_route_reports_every_log_intact(api: Api) -> None:
    apply(api, "文昌舞蹈队", "2025-03-01")
    api.settle()
    body = ok(api.county.get("/api/v1/integrity", headers=api.auth(county_op())))
    assert body["ok"] is True and body["findings"] == []
    assert set(body["sources"]) == {"village", "township", "county"}
    assert body["sources"]["village"]["events"] >= 1
    denied = api.township.get("/api/v1/integrity", headers=api.auth(township_op()))
    assert denied.status_code == 403


def test_each_tier_records_one_signed_checkpoint_a_period_and_exports_it(tmp_path: Path) -> None:
    p = Platform.build(
        Settings(persistence="memory", data_dir=tmp_path, backdate_days=HISTORY_BACKDATE_DAYS)
    )  # checkpoints on
    try:
        api = Api.of(p)
        apply(api, "文昌舞蹈队", "2025-03-01")
        p.drain()
        p.start()
        start = period_start(utcnow(), p.settings.checkpoint_seconds)
        day = start.astimezone(CHINA).date()
        deadline = time.monotonic() + 10
        found = {}
        while time.monotonic() < deadline and len(found) < 3:
            for tier, rt in p.tiers.items():
                checkpoint = rt.app.find(checkpoint_id(tier, day, start))
                if checkpoint is not None:
                    found[tier] = checkpoint
            time.sleep(0.05)
        assert set(found) == set(Tier)
        village_head = found[Tier.VILLAGE].heads
        assert {h["source"] for h in village_head} >= {"village"}
        assert all(h["link"].startswith("sha256:") for h in village_head)
        # A second attempt for the same period (a restart, a second relay) records nothing.
        assert p.tiers[Tier.COUNTY].app.record_checkpoint(day, {}, at=start) is None
        # Each is signed and appended to its tier's anchor file outside the database.
        for tier in Tier:
            lines = (tmp_path / "anchors" / f"{tier}.jsonl").read_text().splitlines()
            (anchor,) = [json.loads(line) for line in lines]
            assert anchor["statement"]["checkpoint_id"] == str(found[tier].id)
            assert p.tiers[tier].app.signer.check_anchor(anchor["statement"], anchor["signature"])
    finally:
        p.stop()


def test_a_province_polls_the_anchors_and_checks_them_with_the_public_key(api: Api) -> None:
    """Auditors and admins only; each anchor checks against the published key, and ``after``
    returns only what the province has not kept yet."""
    from shared.kernel.domain import Actor
    from shared.kernel.signing import Verifier

    apply(api, "文昌舞蹈队", "2025-03-01")
    api.platform.wait_until_projected()
    auditor = api.auth(Actor("county-auditor", Tier.COUNTY, COUNTY, role="auditor"))
    clerk = api.auth(county_op())
    for route in ("/api/v1/audit/anchors", "/api/v1/audit/public-key"):
        refused = api.county.get(route, headers=clerk)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "role_forbidden"
    key = api.county.get("/api/v1/audit/public-key", headers=auditor).json()
    province = Verifier.from_pem(key["public_key_pem"])
    county = api.platform.tiers[Tier.COUNTY].app
    village = api.platform.tiers[Tier.VILLAGE].app.recorder.chain_head()
    held = {"village": (village.position, village.link)}  # the county store is still empty
    first = county.record_checkpoint(date(2026, 12, 5), held, at=datetime(2026, 12, 5, tzinfo=UTC))
    assert first is not None
    kept = api.county.get("/api/v1/audit/anchors", headers=auditor).json()
    assert [a["statement"]["checkpoint_id"] for a in kept["anchors"]] == [str(first.id)]
    assert all(province.check_anchor(a["statement"], a["signature"]) for a in kept["anchors"])
    second = county.record_checkpoint(
        date(2026, 12, 5), {}, at=datetime(2026, 12, 5, 1, tzinfo=UTC)
    )
    assert second is not None
    admin = api.auth(Actor("county-root", Tier.COUNTY, COUNTY, role="admin"))
    more = api.county.get(
        "/api/v1/audit/anchors", params={"after": kept["next_after"]}, headers=admin
    ).json()
    assert [a["statement"]["checkpoint_id"] for a in more["anchors"]] == [str(second.id)]
    assert more["anchors"][0]["position"] > kept["next_after"]
