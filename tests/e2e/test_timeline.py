"""An organisation's timeline across the three tiers, over HTTP and from the command line."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from openpyxl import load_workbook

from services.__main__ import main
from services.platform import Platform
from shared.audit.timeline import COLUMNS
from shared.infrastructure.settings import Settings
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    HISTORY_BACKDATE_DAYS,
    RURAL_TOWNSHIP,
    VILLAGE,
    VILLAGE_2,
    Api,
    account_of,
    county_op,
    seed_history,
    today_cst,
    township_op,
    usci,
    village_op,
)


@pytest.fixture
def backdate_days() -> int:
    return HISTORY_BACKDATE_DAYS  # this module loads history years back through the API


HEADERS = [header for _, header in COLUMNS]
# An activity report takes effect when recorded (the day it happened is in its payload).
TODAY = today_cst().isoformat()
EXPECTED = [
    # (tier, type, label, actor, effective date)
    ("village", "sanji.village.group.applied.v1", "提交备案申请", village_op(), "2025-03-01"),
    ("township", "sanji.township.filing.filed.v1", "准予备案", township_op(), "2025-03-10"),
    ("village", "sanji.village.activity.reported.v1", "报告活动", village_op(), TODAY),
    ("township", "sanji.township.inspection.recorded.v1", "抽查", township_op(), "2025-05-01"),
    ("county", "sanji.county.organisation.registered.v1", "登记", county_op(), "2025-06-01"),
    ("village", "sanji.village.activity.reported.v1", "报告活动", village_op(), TODAY),
    (
        "county",
        "sanji.county.rating.recorded.v1",
        "信用评价/等级评估/星级评定",
        county_op(),
        "2025-08-01",
    ),
]


def ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def activity(api: Api, org: str, day: str, themes: tuple[str, ...] = ()) -> None:
    figures = {
        "participants": 12,
        "volunteers": 2,
        "volunteer_services": 2,
        "volunteer_hours": "3.5",
        "beneficiaries": 30,
        "money_spent": "0",
    }
    ok(
        api.village.post(
            f"/api/v1/organisations/{org}/activities",
            json={"occurred_on": day, "field": "culture_sports", "themes": list(themes), **figures},
            headers=api.auth(village_op()),
        )
    )


def life(api: Api) -> str:
    """Applied at the village, filed at the township, registered and rated at the county;
    activities and an inspection in between; one step at a time, each seen by every tier."""
    v, t, c = api.auth(village_op()), api.auth(township_op()), api.auth(county_op())
    application = {
        "village_code": VILLAGE,
        "name": "文昌舞蹈队",
        "field": "culture_sports",
        "founded_on": "2025-02-01",
        "effective_on": "2025-03-01",
    }
    org = ok(api.village.post("/api/v1/filing-applications", json=application, headers=v))["id"]
    # A neighbour's events must stay out of this organisation's timeline.
    other = {**application, "name": "文昌读书会"}
    ok(api.village.post("/api/v1/filing-applications", json=other, headers=v))
    api.settle()
    decision = {"decision": "filed", "effective_on": "2025-03-10"}
    ok(api.township.post(f"/api/v1/organisations/{org}/filing-decision", json=decision, headers=t))
    api.settle()
    activity(api, org, "2025-04-01")
    api.settle()
    inspection = {"result": "compliant", "inspectors": ["张", "李"], "effective_on": "2025-05-01"}
    ok(api.township.post(f"/api/v1/organisations/{org}/inspections", json=inspection, headers=t))
    api.settle()
    registration = {
        "usci": usci(7, "1"),
        "name": "文昌舞蹈协会",
        "field": "culture_sports",
        "organisation_id": org,
        "effective_on": "2025-06-01",
    }
    ok(api.county.post("/api/v1/registrations", json=registration, headers=c))
    api.settle()
    # A 平安建设 (safety) performance: governance work in the year before its grade, which the
    # shipped commendation rule asks (ADR 0024 addendum).
    activity(api, org, "2025-07-01", ("safety",))
    api.settle()
    rating = {"grade": 4, "stars": 3, "effective_on": "2025-08-01"}
    ok(api.county.post(f"/api/v1/organisations/{org}/ratings", json=rating, headers=c), 200)
    api.settle()
    return str(org)


@pytest.fixture
def lived(api: Api) -> tuple[Api, str]:
    return api, life(api)


def test_timeline_merges_the_three_tiers_in_recorded_order(lived: tuple[Api, str]) -> None:
    api, org = lived
    body = ok(
        api.county.get(f"/api/v1/organisations/{org}/timeline", headers=api.auth(county_op())), 200
    )
    assert body["organisation"]["org_id"] == org
    assert body["organisation"]["name"] == "文昌舞蹈协会"  # the current name
    assert body["organisation"]["code"] == usci(7, "1")
    assert body["organisation"]["village_name"] == "文昌社区"
    assert body["watermarks"] == {str(t): h for t, h in api.heads().items()}
    events = body["events"]
    assert body["count"] == len(events) == len(EXPECTED)
    assert body["missing"] == []
    for event, (tier, type_name, label, actor, effective_on) in zip(events, EXPECTED, strict=True):
        assert (event["tier"], event["source"], event["type"], event["label"]) == (
            tier,
            tier,
            type_name,
            label,
        )
        assert event["actor"] == {
            "id": account_of(actor),  # the person's account, and their name (ADR 0012)
            "tier": str(actor.tier),
            "division": actor.division,
            "role": "operator",
            "name": actor.id,
        }
        assert event["effective_on"] == effective_on
        if type_name.endswith("activity.reported.v1"):
            assert event["effective_at"][:10] == effective_on
        else:
            assert event["effective_at"] == f"{effective_on}T00:00:00+08:00"
        assert event["recorded_at"].endswith("+08:00")
        assert "rule_version" in event and "chain" in event
        assert event["data"]
    chained = hasattr(api.platform.tiers[Tier.COUNTY].app.recorder, "select_links")
    if chained:  # each event's hash-chain link, read from its store (shared/kernel/chain.py)
        assert all(e["chain"] for e in events)
    recorded = [datetime.fromisoformat(e["recorded_at"]) for e in events]
    assert recorded == sorted(recorded) and len(set(recorded)) == len(recorded)
    assert [e["data"]["occurred_on"] for e in events if e["label"] == "报告活动"] == [
        "2025-04-01",
        "2025-07-01",
    ]
    assert events[3]["data"]["inspectors"] == ["张", "李"]
    assert events[-1]["data"]["grade"] == 4
    # Positions are where each event sits in its own store, in that store's order.
    for tier in ("village", "township", "county"):
        positions = [e["position"] for e in events if e["source"] == tier]
        assert positions == sorted(positions)


def test_every_tier_serves_the_same_timeline_within_its_division(lived: tuple[Api, str]) -> None:
    api, org = lived
    path = f"/api/v1/organisations/{org}/timeline"
    at_county = ok(api.county.get(path, headers=api.auth(county_op())), 200)
    at_township = ok(api.township.get(path, headers=api.auth(township_op())), 200)
    at_village = ok(api.village.get(path, headers=api.auth(village_op())), 200)
    assert at_county == at_township == at_village


def test_exports_have_chinese_headers_and_one_row_per_event(lived: tuple[Api, str]) -> None:
    api, org = lived
    path = f"/api/v1/organisations/{org}/timeline/export"
    response = api.township.get(f"{path}.csv", headers=api.auth(township_op()))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert f"timeline-{org}.csv" in response.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == HEADERS
    assert len(lines) == 1 + len(EXPECTED)
    first = dict(zip(HEADERS, lines[1], strict=True))
    assert (first["序号"], first["层级"], first["事项"]) == ("1", "村（社区）级", "提交备案申请")
    assert (first["操作员"], first["操作员姓名"], first["生效日期"]) == (
        account_of(village_op()),
        village_op().id,
        "2025-03-01",
    )
    assert [dict(zip(HEADERS, line, strict=True))["层级"] for line in lines[1:]] == [
        {"village": "村（社区）级", "township": "乡镇（街道）级", "county": "县级"}[e[0]]
        for e in EXPECTED
    ]
    assert json.loads(first["事件内容"])["name"] == "文昌舞蹈队"

    response = api.county.get(f"{path}.xlsx", headers=api.auth(county_op()))
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == 1 + len(EXPECTED)
    assert rows[-1][HEADERS.index("事项")] == EXPECTED[-1][2]


def test_unknown_organisation_is_404(lived: tuple[Api, str]) -> None:
    api, _ = lived
    for org in (uuid4(), "not-an-id"):
        for suffix in ("", "/export.csv"):
            response = api.county.get(
                f"/api/v1/organisations/{org}/timeline{suffix}", headers=api.auth(county_op())
            )
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] == "unknown_organisation"


def test_outside_the_operators_division_is_403(lived: tuple[Api, str]) -> None:
    api, org = lived
    for client, actor in (
        (api.village, village_op(VILLAGE_2)),
        (api.township, township_op(RURAL_TOWNSHIP)),
    ):
        for suffix in ("", "/export.xlsx"):
            response = client.get(
                f"/api/v1/organisations/{org}/timeline{suffix}", headers=api.auth(actor)
            )
            assert response.status_code == 403, response.text
            assert response.json()["error"]["code"] == "out_of_jurisdiction"
    response = api.county.get(f"/api/v1/organisations/{org}/timeline")
    assert response.status_code == 401


# ------------------------------------------------------------------ command line


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A seeded history in SQLite files, the platform closed again; the CLI reads the files."""
    platform = Platform.build(Settings(persistence="sqlite", data_dir=tmp_path))
    try:
        history = seed_history(platform)
    finally:
        platform.stop()
    monkeypatch.setenv("SANJI_PERSISTENCE", "sqlite")
    monkeypatch.setenv("SANJI_DATA_DIR", str(tmp_path))
    return str(history.registered)


def test_cli_prints_and_writes_the_timeline(
    stored: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["timeline", stored]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["organisation"]["name"] == "示范社工服务中心"
    tiers = {e["tier"] for e in body["events"]}
    assert tiers == {"village", "county"}  # registered at the county, activity at the village
    assert body["events"][0]["type"] == "sanji.county.organisation.registered.v1"
    recorded = [e["recorded_at"] for e in body["events"]]
    assert recorded == sorted(recorded)

    out = tmp_path / "timeline.csv"
    assert (
        main(["timeline", stored, "--tier", "village", "--format", "csv", "--out", str(out)]) == 0
    )
    lines = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert lines[0] == HEADERS and len(lines) == 1 + body["count"]

    xlsx = tmp_path / "timeline.xlsx"
    assert main(["timeline", stored, "--format", "xlsx", "--out", str(xlsx)]) == 0
    assert load_workbook(xlsx).active.max_row == 1 + body["count"]


def test_cli_unknown_organisation_exits_2(stored: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timeline", str(uuid4())]) == 2
    assert "no organisation" in capsys.readouterr().err
