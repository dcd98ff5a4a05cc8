"""The assessment of the tiers below (考核, issue 16 item 4, ADR 0025), through the API and the
console, on one small known history (``seed_history``) shared by the whole module:

* every indicator value of every township's row equals the figure the independent oracle
  (tests/oracle.py) computes from the raw integration events, and every score and total
  equals the rule's formula worked out here again;
* a year under the older assessment version is scored by it and names it;
* an issued scorecard reproduces byte for byte from the stores, after more was recorded;
* hostile input answers 4xx with a code and a Chinese message, recording nothing;
* the county's table and a township's detail page, and a township officer's own page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from shared.kernel.periods import Period
from shared.kernel.rules import load_rules
from shared.reporting.assessment import Scorecard, scorecard_hash
from tests.console.browser import person
from tests.helpers import (
    COUNTY,
    RURAL_TOWNSHIP,
    TOWNSHIP,
    VILLAGE,
    Api,
    apps,
    build_platform,
    county_op,
    envelopes_by_source,
    meta,
    seed_history,
    stores_nothing,
    today_cst,
    township_op,
)
from tests.oracle import figures_of, replay

RULES = load_rules()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    p = build_platform(Path(tmp_path_factory.mktemp("assessment")) / "data")
    p.start()
    seed_history(p)
    yield Api.of(p)
    p.stop()


# The events the oracle reads (tests/oracle.py); the others in the seeded history (accounts,
# credit-list notices and objections, returns, issued reports, checkpoints, a rename, the
# expiry the oracle derives from the grade's validity) move no figure.
_READ = (
    "group.",
    "filing.",
    "organisation.",
    "charter.",
    "party_organisation.",
    "annual_report.",
    "rating.",
    "credit_list.entered",
    "credit_list.left",
    "activity.",
    "inspection.",
    "sample.",
    "rectification.",
    "funding.",
    "platform.",
)


def _figure_event(e: Any) -> bool:
    return bool(e.type.split(".", 2)[2].startswith(_READ))


def _expected_score(i: dict[str, Any], value: float | None) -> float | None:
    """The rule's scoring restated: full weight at the target or better, none at zero_at or
    worse, linear between, for each direction spelt out on its own."""
    if value is None:
        return None
    target, zero, weight = i["target"], i["zero_at"], i["weight"]
    if i["direction"] == "higher":
        if value >= target:
            return weight
        if value <= zero:
            return 0.0
        return weight * (value - zero) / (target - zero)
    if value <= target:
        return weight
    if value >= zero:
        return 0.0
    return weight * (zero - value) / (zero - target)


@pytest.mark.parametrize(
    ("year", "version"),
    [(2023, "assessment/county/2016-v1"), (today_cst().year, "assessment/county/2024-v2")],
)
def test_every_value_is_the_oracle_s_figure_and_every_score_the_rule_s(
    api: Api, year: int, version: str
) -> None:
    card = api.county.get(
        f"/api/v1/assessments/{year}/{COUNTY}", headers=api.auth(county_op())
    ).json()
    # The year's rule version, named beside the report's own rule versions.
    assert card["assessment"]["version"] == version
    assert card["rule_versions"]["assessment"] == version
    assert card["rule_versions"]["density"]
    rule = RULES.named("assessment", version).parameters["indicators"]
    assert [d["code"] for d in card["indicators"]] == [i["code"] for i in rule]

    today = today_cst()
    end = date(year, 12, 31) if year < today.year else today
    period = Period(date(year, 1, 1), end, str(year))
    world = replay(
        [e for es in envelopes_by_source(api.platform).values() for e in es if _figure_event(e)]
    )
    rows = {r["code"]: r for r in card["rows"]}
    assert set(rows) == {t.code for t in api.platform.jurisdiction.townships()}
    checked = 0
    for code, row in rows.items():
        want = figures_of(
            world, api.platform.jurisdiction, code, end, period, RULES.for_report(end)
        )
        got_total, weights = 0.0, 0.0
        for i, s in zip(rule, row["indicators"], strict=True):
            value = want[i["figure"]]
            if i.get("per"):
                per = want[i["per"]]
                value = value / per if value is not None and per else None
            if value is None:
                assert s["value"] is None and s["score"] is None, (code, i["code"])
                continue
            assert s["value"] == pytest.approx(value, abs=1e-4), (code, i["code"])
            assert s["score"] == pytest.approx(_expected_score(i, value), abs=0.02), code
            got_total += s["score"]
            weights += i["weight"]
            checked += 1
        if weights:
            assert row["total"] == pytest.approx(got_total / weights * 100, abs=0.01)
        else:
            assert row["total"] is None and row["rank"] is None
    assert checked >= 8  # the seeded townships give real values, not only "not assessable"
    # 城关街道 has organisations, activity and a party organisation in the seeded history.
    assert rows[TOWNSHIP]["total"] is not None
    ranks = sorted((r["rank"], -r["total"]) for r in card["rows"] if r["total"] is not None)
    assert ranks == sorted(ranks, key=lambda x: x[1])  # a higher total never ranks lower


def test_the_scorecard_exports_as_csv_with_chinese_headers(api: Api) -> None:
    answer = api.county.get(
        f"/api/v1/assessments/2023/{COUNTY}",
        params={"format": "csv"},
        headers=api.auth(county_op()),
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("名次,区划代码,区划,发展密度达标率（指标值）")
    assert "城关街道" in answer.content.decode("utf-8-sig")
    assert all(line.endswith("assessment/county/2016-v1") for line in lines[1:])


def test_the_rule_versions_and_the_catalogue_say_what_each_indicator_measures(
    api: Api,
) -> None:
    headers = api.auth(county_op())
    versions = api.county.get("/api/v1/assessments/rules", headers=headers).json()["versions"]
    assert [v["version"] for v in versions] == [
        "assessment/county/2016-v1",
        "assessment/county/2024-v2",
    ]
    per_org = next(i for i in versions[1]["indicators"] if i["per"])
    assert per_org["figure"] == "activity.activities"
    assert per_org["per"] == "organisations.active"
    assert per_org["figure_name"] == "活动次数"
    catalogue = api.county.get("/api/v1/metrics", headers=headers).json()
    keys = {m["key"] for m in catalogue["assessment"]}
    assert {"assessment.score", "assessment.total", "assessment.value"} <= keys
    report_keys = {m["key"] for m in catalogue["metrics"]}
    for v in versions:  # every indicator names a catalogue figure
        for i in v["indicators"]:
            assert i["figure"] in report_keys and (i["per"] is None or i["per"] in report_keys)


def test_an_issued_scorecard_reproduces_byte_for_byte(api: Api) -> None:
    headers = api.auth(county_op())
    year = today_cst().year
    issued = api.county.post(
        f"/api/v1/assessments/{year}/{COUNTY}/issue",
        headers=headers,
        json={"title": f"{year}年度乡镇考核结果"},
    )
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["rule_versions"]["assessment"] == "assessment/county/2024-v2"
    # More is recorded after the issue: the live scorecard moves on, the issued one does not.
    _, _, county = apps(api.platform)
    county.open_platform("county_centre", COUNTY, "县社会组织服务中心（新址）", meta(county_op()))
    # Projected before the reproduction (drain() alone may miss what the platform's own
    # threads hold, and the reproduction would then not be after anything new).
    api.settle()
    again = api.county.get(
        f"/api/v1/issued-reports/{body['report_id']}/reproduction", headers=headers
    ).json()
    assert again["reproduced"] is True
    assert again["recorded_hash"] == again["recomputed_hash"] == body["content_hash"]
    assert again["scorecard"] == body["scorecard"]  # the same content, field for field
    assert again["rule_versions"]["assessment"] == "assessment/county/2024-v2"
    # The hash covers the figures, targets, scores and versions, not the catalogue's wording:
    # a definition reworded later does not stop the scorecard reproducing.
    reworded = Scorecard.model_validate(body["scorecard"])
    reworded.indicators[0].figure_definition = "改写后的定义"
    assert scorecard_hash(reworded) == body["content_hash"]
    reworded.indicators[0].target += 0.01
    assert scorecard_hash(reworded) != body["content_hash"]
    # The record lists it like any issued report, readable by the county only.
    listed = api.county.get("/api/v1/issued-reports", headers=headers).json()["issued"]
    assert any(r["report_id"] == body["report_id"] for r in listed)
    denied = api.township.get(
        f"/api/v1/issued-reports/{body['report_id']}", headers=api.auth(township_op())
    )
    assert denied.status_code == 403


@pytest.mark.parametrize(
    ("tier", "path", "status", "code"),
    [
        ("county", f"/api/v1/assessments/2015/{COUNTY}", 422, "assessment_not_in_force"),
        ("county", f"/api/v1/assessments/2999/{COUNTY}", 422, "invalid_year"),
        ("county", f"/api/v1/assessments/1800/{COUNTY}", 422, "invalid_input"),
        ("county", f"/api/v1/assessments/twenty/{COUNTY}", 422, "invalid_input"),
        ("county", f"/api/v1/assessments/2025/{VILLAGE}", 422, "assessment_division_tier"),
        ("county", "/api/v1/assessments/2025/330699999000", 404, "unknown_division"),
        ("county", "/api/v1/assessments/2025/33069900", 422, "invalid_input"),
        ("township", f"/api/v1/assessments/2025/{RURAL_TOWNSHIP}", 403, "out_of_jurisdiction"),
        ("township", f"/api/v1/assessments/2025/{COUNTY}", 403, "out_of_jurisdiction"),
        # Scope first: another township's scorecard is 403 whatever the year.
        ("township", f"/api/v1/assessments/2999/{RURAL_TOWNSHIP}", 403, "out_of_jurisdiction"),
    ],
)
def test_hostile_reads_are_refused_with_a_code_and_chinese(
    api: Api, tier: str, path: str, status: int, code: str
) -> None:
    client = api.county if tier == "county" else api.township
    actor = county_op() if tier == "county" else township_op()
    answer = client.get(path, headers=api.auth(actor))
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message_zh"])


def test_refused_issues_record_nothing(api: Api) -> None:
    headers = api.auth(county_op())
    viewer = Actor("county-leader", Tier.COUNTY, COUNTY, "viewer", "县领导", ("viewer",))
    leader = api.auth(viewer)  # opening the account is recorded: before the block
    with stores_nothing(api.platform):
        for path, body, status in [
            (f"/api/v1/assessments/2015/{COUNTY}/issue", {"title": "考核"}, 422),
            (f"/api/v1/assessments/2025/{VILLAGE}/issue", {"title": "考核"}, 422),
            (f"/api/v1/assessments/2025/{COUNTY}/issue", {"title": " "}, 422),
            (f"/api/v1/assessments/2025/{COUNTY}/issue", {"title": "考核", "x": 1}, 422),
        ]:
            answer = api.county.post(path, headers=headers, json=body)
            assert answer.status_code == status, answer.text
        answer = api.county.post(
            f"/api/v1/assessments/2025/{COUNTY}/issue",
            headers=leader,
            json={"title": "考核"},
        )
        assert answer.status_code == 403
    # The township reads its own scorecard but cannot issue one (no such route there).
    own = api.township.get(f"/api/v1/assessments/2025/{TOWNSHIP}", headers=api.auth(township_op()))
    assert own.status_code == 200 and own.json()["overall"]["code"] == TOWNSHIP
    assert {r["tier"] for r in own.json()["rows"]} == {"village"}
    refused = api.township.post(
        f"/api/v1/assessments/2025/{TOWNSHIP}/issue",
        headers=api.auth(township_op()),
        json={"title": "考核"},
    )
    assert refused.status_code in (403, 404, 405)


def test_console_pages(api: Api) -> None:
    year = today_cst().year
    leader = Actor("county-leader", Tier.COUNTY, COUNTY, "viewer", "县领导", ("viewer",))
    browser = person(api, leader)
    table = browser.get(f"/county/assessment?year={year}")
    assert table.status_code == 200, table.text
    assert "乡镇（街道）考核记分卡" in table.text and "城关街道" in table.text
    assert "assessment/county/2024-v2" in table.text and "2024年修订" in table.text
    assert "发布考核结果" not in table.text  # a leader reads; an operator issues
    # The indicators' definitions in Chinese, none left in the catalogue's English.
    terms = table.text[table.text.index("指标口径") :]
    assert "已报年报数 ÷ 应报年报数" in terms and "统计期间内开展的活动次数" in terms
    assert not re.search(r"[a-z]+ [a-z]+ [a-z]+", re.sub(r"<[^>]*>", "", terms)), terms
    old = browser.get("/county/assessment?year=2023")
    assert "assessment/county/2016-v1" in old.text and "抽查完成率" not in old.text
    sheet = browser.get(f"/county/assessment/export.xlsx?year={year}")
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"  # a workbook
    detail = browser.get(f"/county/assessment/{TOWNSHIP}?year={year}")
    assert detail.status_code == 200
    assert "density.share_meeting_standard" in detail.text and "文昌社区" in detail.text
    bad = browser.get("/county/assessment?year=2015")
    assert bad.status_code == 400 and "没有生效的考核规则版本" in bad.text
    bad = browser.get("/county/assessment?year=abc")
    assert bad.status_code == 400 and "考核年度须为四位数字年份" in bad.text

    operator = person(api, county_op())
    page = operator.get(f"/county/assessment?year={year}")
    assert "发布考核结果" in page.text
    issued = operator.submit(f"/county/assessment?year={year}", {"title": f"{year}年考核"})
    assert issued.status_code == 303, issued.text
    assert "考核结果已发布" in operator.get(issued.headers["location"]).text
    # The auditor's page of the issued record shows the scorecard it recomputed.
    auditor = Actor("county-auditor", Tier.COUNTY, COUNTY, "auditor", "审计员", ("auditor",))
    listed = api.county.get("/api/v1/issued-reports", headers=api.auth(county_op())).json()
    record = next(r for r in listed["issued"] if r["title"] == f"{year}年考核")
    audit = person(api, auditor).get(f"/audit/reports/issued/{record['report_id']}")
    assert audit.status_code == 200 and "复核一致" in audit.text
    assert 'id="scorecard"' in audit.text and "城关街道" in audit.text
    empty = operator.submit(f"/county/assessment?year={year}", {"title": ""})
    assert empty.status_code == 400 and "请填写发布标题" in empty.text

    officer = person(api, township_op())
    own = officer.get(f"/township/assessment?year={year}")
    assert own.status_code == 200 and "城关街道" in own.text and "文昌社区" in own.text
    assert officer.get("/county/assessment").status_code == 403


def test_the_console_dates_by_the_services_clock(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default year and the year list follow the tier application's clock (which a test
    or a rehearsal moves), not the machine's."""
    from datetime import datetime

    from shared.kernel.domain import CHINA

    county = api.platform.tiers[Tier.COUNTY].app
    monkeypatch.setattr(county, "clock", lambda: datetime(2024, 6, 1, 9, tzinfo=CHINA))
    page = person(api, county_op()).get("/county/assessment")
    assert page.status_code == 200, page.text
    assert 'value="2023" selected' in page.text and 'value="2025"' not in page.text
