"""The public disclosure pages (公示, issue 16 item 5, ADR 0023): search, organisation and
division pages on the county service, without an account; and that nothing an operator records
beyond what the national platform discloses ever reaches them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.api.limits import TokenBuckets
from shared.infrastructure.store import SQLiteDatabase
from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier, load
from shared.public import queries
from shared.tier.readmodel import create_schema
from tests import helpers
from tests.helpers import (
    COUNTY,
    TOWNSHIP,
    VILLAGE,
    Api,
    History,
    apps,
    build_platform,
    meta,
    seed_history,
    today_cst,
    usci,
)

# What operators record that the public must never see: an operator's and an account's name,
# an inspection's findings and inspectors, a funding project, amount and purchaser, a volunteer
# number, a notice's and an objection's text, the reasons of a revocation, a deregistration, a
# refused filing and a cancelled one (seed_history's), and the groups never filed.
SECRETS = (
    "钱秘书甲",
    "secret-op",
    "孙村干部乙",
    "周乡干部丙",
    "消防通道堵塞XQ7",
    "王检查员甲",
    "赵检查员乙",
    "机密项目ZQ",
    "87654",
    "87,654",
    "采购方PU55",
    "VOL-SECRET-991",
    "内部告知书NB42",
    "异议理由OB77",
    "内部撤销理由RV13",
    "僵尸组织",
    "自愿注销",
    "重复申请",
    "停止活动",
    "台账不全",
    "助老",
    "20,000",
    "20000",
    "重复的舞蹈队",  # refused filing
    "青溪读书会",  # applied, undecided
    "county-admin",
)
PUBLIC_REASON = "未按规定报送年度报告"


@dataclass
class Seeded:
    api: Api
    history: History
    secret_org: UUID  # registered by 钱秘书甲, funded, listed with PUBLIC_REASON
    secret_group: UUID  # filed, inspected, an activity with a registered volunteer
    secret_usci: str
    revoked_again: UUID


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    # The limit is tested on its own (a bucket swapped in): pages here come many a second.
    p = build_platform(Path(tmp_path_factory.mktemp("public")), public_rate_per_second=0)
    history = seed_history(p)
    v, t, c = apps(p)
    county_person = Actor("secret-op", Tier.COUNTY, COUNTY, name="钱秘书甲")
    village_person = Actor("v-secret", Tier.VILLAGE, VILLAGE, name="孙村干部乙")
    township_person = Actor("t-secret", Tier.TOWNSHIP, TOWNSHIP, name="周乡干部丙")
    for app, who in ((c, county_person), (v, village_person), (t, township_person)):
        helpers.test_account(app, who)  # accounts whose names must not show
    day = today_cst()

    def step(fn: Any, *args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        p.drain()
        return result

    code = usci(7, "1")
    org = step(c.register, code, "保密测试协会", "charity", VILLAGE, None, meta(county_person)).id
    # Its flood-relief work: without governance work the shipped rule refuses the purchase.
    helpers.governance_work(p, org, theme="flood_relief")
    step(
        c.award_funding,
        org,
        "purchase_of_services",
        f"{day.year}",
        "机密项目ZQ",
        Decimal("87654.32"),
        None,
        meta(county_person),
        purchaser="其他",
        purchaser_other="采购方PU55",
    )
    step(c.enter_credit_list, org, "abnormal", PUBLIC_REASON, meta(county_person))
    step(c.notify_listing, org, "abnormal", "内部告知书NB42", meta(county_person))
    step(c.lodge_objection, org, "abnormal", "异议理由OB77", meta(county_person))
    gone = step(
        c.register, usci(8, "1"), "撤销测试社", "charity", VILLAGE, None, meta(county_person)
    )
    step(c.revoke, gone.id, "内部撤销理由RV13", meta(county_person))
    group = step(
        v.apply_for_filing, VILLAGE, "保密测试小组", "services", day, meta(village_person)
    ).id
    step(t.decide_filing, group, True, "", meta(township_person))
    step(
        t.record_inspection,
        group,
        "rectification_ordered",
        "消防通道堵塞XQ7",
        ["王检查员甲", "赵检查员乙"],
        meta(township_person),
    )
    step(v.register_volunteer, VILLAGE, "VOL-SECRET-991", meta(village_person))
    step(
        v.report_activity,
        group,
        occurred_on=day,
        field="services",
        participants=12,
        volunteers=1,
        volunteer_services=1,
        volunteer_hours=Decimal("2"),
        beneficiaries=30,
        money_spent=Decimal("87654.32"),
        meta=meta(village_person),
        volunteer_ids=["VOL-SECRET-991"],
    )
    yield Seeded(Api.of(p), history, org, group, code, gone.id)
    p.stop()


@pytest.fixture(scope="module")
def web(seeded: Seeded) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(seeded.api.county.app)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def filing_number(seeded: Seeded, org: UUID) -> str:
    with seeded.api.platform.tiers[Tier.COUNTY].db.snapshot() as tx:
        row = tx.one("SELECT filing_number FROM org WHERE org_id = %s", (str(org),))
    assert row and row["filing_number"]
    return str(row["filing_number"])


def test_search_by_name_usci_and_filing_number(seeded: Seeded, web: Any) -> None:
    h = seeded.history
    by_name = web.get("/public/", params={"q": "舞蹈"})
    assert by_name.status_code == 200
    assert f'href="/public/org/{h.filed}"' in by_name.text and "文昌舞蹈队" in by_name.text
    assert "重复的舞蹈队" not in by_name.text  # refused filing: not a public record
    for code in (seeded.secret_usci, seeded.secret_usci.lower(), f"  {seeded.secret_usci} "):
        found = web.get("/public/", params={"q": code})
        assert found.status_code == 200
        assert f'href="/public/org/{seeded.secret_org}"' in found.text, code
        assert found.text.count('href="/public/org/') == 1
        assert "列入信用名单" in found.text  # the line says it is on a list
    number = filing_number(seeded, h.filed)
    found = web.get("/public/", params={"q": number})
    assert f'href="/public/org/{h.filed}"' in found.text and number in found.text
    nothing = web.get("/public/", params={"q": "没有这个组织"})
    assert nothing.status_code == 200 and "没有找到" in nothing.text
    assert 'href="/public/org/' not in nothing.text
    empty = web.get("/public/")
    assert empty.status_code == 200 and 'name="q"' in empty.text and 'method="get"' in empty.text


def test_organisation_pages_show_what_the_national_platform_discloses(
    seeded: Seeded, web: Any
) -> None:
    h = seeded.history
    year = today_cst().year
    registered = text_of(web.get(f"/public/org/{h.registered}").text)
    for expected in (
        "示范社工服务中心",
        usci(1, "2"),
        "已登记",
        "登记日期 2020年1月2日",
        "章程载明党的建设内容 是",
        "章程载明诚信自律内容 是",
        "等级 4A",
        f"{year - 1}年度 已报送",
        "2020年度 未报送",
        "暂无公布的表彰",
        "未列入活动异常名录或严重违法失信名单",
    ):
        assert expected in registered, expected
    listed = text_of(web.get(f"/public/org/{seeded.secret_org}").text)
    assert "活动异常名录" in listed and PUBLIC_REASON in listed
    assert "无有效的评估等级" in listed
    upgraded = text_of(web.get(f"/public/org/{h.upgraded}").text)
    assert "无法取得联系" in upgraded and "已登记" in upgraded
    assert "备案编号" in upgraded and "统一社会信用代码" in upgraded
    filed = text_of(web.get(f"/public/org/{h.filed}").text)
    assert "已备案" in filed and "备案日期" in filed and "年度报告" not in filed
    for org, status in (
        (h.revoked, "已撤销登记"),
        (h.deregistered, "已注销登记"),
        (h.cancelled, "已注销备案"),
    ):
        page = text_of(web.get(f"/public/org/{org}").text)
        assert status in page, status
        assert "无有效的评估等级" in page  # a grade ends with the registration


def test_division_pages_list_their_organisations_with_counts(seeded: Seeded, web: Any) -> None:
    h = seeded.history
    county = web.get(f"/public/division/{COUNTY}")
    assert county.status_code == 200
    assert f'href="/public/division/{TOWNSHIP}"' in county.text  # its townships, linked
    village = web.get(f"/public/division/{VILLAGE}")
    # The trail comes from the console's macro (one copy for both surfaces).
    assert '<nav class="breadcrumbs" aria-label="位置">' in village.text
    text = text_of(village.text)
    assert "文昌社区" in text and "城关街道" in text  # the village and its township
    assert f'href="/public/org/{h.filed}"' in village.text
    assert f'href="/public/org/{seeded.secret_group}"' in village.text
    assert f'href="/public/org/{h.rejected}"' not in village.text
    # 文昌社区: 文昌舞蹈队 and 保密测试小组 filed; 保密测试协会 registered; 老年协会 and
    # 撤销测试社 ended; one on a credit list.
    cards = dict(
        (label, int(value.replace(",", "")))
        for value, label in re.findall(
            r'class="figure">([\d,]+)<span class="figure-unit">家</span></span>'
            r'<span class="figure-label">([^<]+)<',
            village.text,
        )
    )
    assert cards == {
        "公示组织": 5,
        "已登记": 1,
        "已备案": 2,
        "已注销或撤销": 2,
        "列入信用名单": 1,
        "持有有效评估等级": 0,
    }
    township = text_of(web.get(f"/public/division/{TOWNSHIP}").text)
    assert "文昌社区" in township and "南门社区" in township


@pytest.mark.parametrize(
    "path",
    [
        "/public/org/00000000-0000-4000-8000-000000000404",  # fixed: xdist workers collect alike
        "/public/org/not-a-uuid",
        "/public/org/%3Cscript%3E",
        "/public/division/330699999999",
        "/public/division/abc",
        "/public/division/" + "9" * 200,
        "/public/nothing-here",
        "/public/org/",
    ],
)
def test_unknown_addresses_answer_the_public_404_page(web: Any, path: str) -> None:
    answer = web.get(path)
    assert answer.status_code == 404, path
    assert "没有找到这个页面或这家组织" in answer.text and "社会组织信息公示" in answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-frame-options"] == "DENY"


def test_undisclosed_organisations_have_no_page(seeded: Seeded, web: Any) -> None:
    for org in (seeded.history.pending, seeded.history.rejected):
        answer = web.get(f"/public/org/{org}")
        assert answer.status_code == 404


def test_no_operator_only_field_ever_appears(seeded: Seeded, web: Any) -> None:
    """Every public page there is (each organisation's, each division's the seeded ones are
    in, searches for each name): none holds what only operators may see; the public facts
    are there."""
    with seeded.api.platform.tiers[Tier.COUNTY].db.snapshot() as tx:
        orgs = tx.all("SELECT org_id, name FROM org")
    paths = ["/public/", f"/public/division/{COUNTY}", f"/public/division/{TOWNSHIP}"]
    paths += [f"/public/division/{c}" for c in {VILLAGE, "330699001002", "330699101001"}]
    paths += [f"/public/org/{o['org_id']}" for o in orgs]
    paths += [f"/public/?q={o['name']}" for o in orgs]
    paths += [f"/public/?q={s}" for s in SECRETS]
    seen = ""
    for path in paths:
        answer = web.get(path)
        assert answer.status_code in (200, 404), path
        body = answer.text
        for secret in SECRETS:
            # A search echoes what was typed; nothing else may hold a secret.
            shown = body.replace(f'value="{secret}"', "").replace(f"“{secret}”", "")
            assert secret not in shown, f"{secret!r} on {path}"
        assert not re.search(r"https?://", body), path  # nothing from outside the service
        assert "<script" not in body and '<form method="post"' not in body, path
        seen += body
    for public in ("保密测试协会", seeded.secret_usci, PUBLIC_REASON, "保密测试小组", "撤销测试社"):
        assert public in seen, public


def test_public_pages_need_no_session_set_no_cookie_and_refuse_posts(seeded: Seeded) -> None:
    from fastapi.testclient import TestClient

    anonymous = TestClient(seeded.api.county.app)
    for path in ("/public/", f"/public/org/{seeded.secret_org}", f"/public/division/{VILLAGE}"):
        answer = anonymous.get(path, follow_redirects=False)
        assert answer.status_code == 200, path
        assert "set-cookie" not in answer.headers, path
        assert answer.headers["cache-control"] == "public, max-age=60"
        assert answer.headers["x-frame-options"] == "DENY"
        assert anonymous.head(path).status_code == 200
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            refused = anonymous.request(method, path, data={"q": "x"})
            assert refused.status_code == 405, (method, path)
            assert refused.headers["allow"] == "GET, HEAD"
            assert "只能查看" in refused.text
            assert refused.headers["cache-control"] == "no-store"
            assert refused.headers["x-frame-options"] == "DENY"
    assert not anonymous.cookies
    before = seeded.api.heads()
    anonymous.post("/public/", data={"csrf_token": "x"})
    assert seeded.api.heads() == before


def test_sign_in_page_links_to_the_public_search(seeded: Seeded, web: Any) -> None:
    assert 'href="/public/">信息公示</a>' in web.get("/login").text
    township = seeded.api.township.get("/login").text
    assert "/public/" not in township  # served by the county only
    assert seeded.api.township.get("/public/").status_code == 404


def test_too_many_pages_from_one_address_answer_429(seeded: Seeded) -> None:
    from fastapi.testclient import TestClient

    app: Any = seeded.api.county.app
    kept = app.state.public_buckets
    app.state.public_buckets = TokenBuckets(1.0, burst=2.0, clock=lambda: 100.0)
    try:
        visitor = TestClient(app, client=("203.0.113.7", 5000))
        assert [visitor.get("/public/").status_code for _ in range(2)] == [200, 200]
        refused = visitor.get(f"/public/org/{seeded.secret_org}")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert "访问过于频繁" in refused.text and refused.headers["cache-control"] == "no-store"
        assert refused.headers["x-frame-options"] == "DENY"
        other = TestClient(app, client=("198.51.100.9", 5000))
        assert other.get("/public/").status_code == 200  # one address's limit only
    finally:
        app.state.public_buckets = kept


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"q": "长" * 5_000}, 400),  # 45,000 characters once encoded
        ({"q": "a" * 61}, 400),
        ({"q": "舞蹈\x00"}, 400),
        ({"q": "舞\x1b[31m蹈"}, 400),
        ({"q": "\u202e舞蹈"}, 400),
        ({"q": "' OR 1=1 --"}, 200),
        ({"q": "舞蹈'; DROP TABLE org; --"}, 200),
        ({"q": '=HYPERLINK("x","y")'}, 200),
        ({"q": "%"}, 200),
        ({"q": "_"}, 200),
        ({"q": "<script>alert(1)</script>"}, 200),
        ({"q": ["舞蹈", "协会"]}, 200),
        ({"page": "abc"}, 400),
        ({"page": "0"}, 400),
        ({"page": "-1"}, 400),
        ({"page": "9" * 40}, 400),
        ({"page": "１"}, 400),
    ],
)
def test_hostile_query_strings_are_refused_or_find_nothing(
    seeded: Seeded, web: Any, query: dict[str, Any], status: int
) -> None:
    path = f"/public/division/{VILLAGE}" if "page" in query else "/public/"
    answer = web.get(path, params=query)
    assert answer.status_code == status, answer.text[:300]
    assert answer.headers["content-type"].startswith("text/html")
    if "q" in query and status == 200 and isinstance(query["q"], str):
        assert 'href="/public/org/' not in answer.text  # no organisation matches
    assert "<script>alert" not in answer.text


def test_search_stays_fast_over_thousands_of_organisations() -> None:
    """5,000 organisations: a name search scans one table's few columns, a code search uses
    its index (checked by the query plan, not by timing on a shared machine)."""
    db = SQLiteDatabase(":memory:")
    with db.transaction() as tx:
        create_schema(tx)
        for i in range(5_000):
            tx.execute(
                "INSERT INTO org (org_id, village_code, name, usci, registered_on, filing_number,"
                " filed_on) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (
                    str(uuid4()),
                    VILLAGE,
                    f"第{i}号志愿服务队",
                    usci(i + 100, "1") if i % 2 else None,
                    "2024-01-01" if i % 2 else None,
                    None if i % 2 else f"BA{VILLAGE}{i:06d}",
                    None if i % 2 else "2024-01-01",
                ),
            )
        plan = tx.all("EXPLAIN QUERY PLAN SELECT org_id FROM org WHERE usci = %s", ("x",))
    assert any("org_usci" in str(row) for row in plan)
    j, today = load(), date(2026, 1, 1)
    by_name = queries.search(db, j, today, "4999号")
    by_usci = queries.search(db, j, today, usci(4999 + 100, "1"))
    by_number = queries.search(db, j, today, f"BA{VILLAGE}004998")
    many = queries.search(db, j, today, "志愿")
    assert [o.name for o in by_name.organisations] == ["第4999号志愿服务队"]
    assert [o.name for o in by_usci.organisations] == ["第4999号志愿服务队"]
    assert [o.name for o in by_number.organisations] == ["第4998号志愿服务队"]
    assert len(many.organisations) == queries.SEARCH_LIMIT and many.more


def test_the_queries_run_on_postgresql(postgres_url: str) -> None:
    """The same SQL on the production engine: escaping of LIKE, the code lookups' UNION, and
    an organisation's page with a listing and an annual report."""
    from shared.infrastructure.store import open_database

    db = open_database(f"{postgres_url}?schema=sanji_public_{uuid4().hex[:8]}")
    org, other = str(uuid4()), str(uuid4())
    with db.transaction() as tx:
        create_schema(tx)
        tx.execute(
            "INSERT INTO org (org_id, village_code, name, usci, registered_on, legal_form,"
            " field, grade, grade_valid_until) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                org,
                VILLAGE,
                "百分_100%互助会",
                usci(9, "1"),
                "2023-05-04",
                "social_group",
                "charity",
                3,
                "2030-01-01",
            ),
        )
        tx.execute(
            "INSERT INTO org (org_id, village_code, name, filing_number, filed_on)"
            " VALUES (%s, %s, %s, %s, %s)",
            (other, VILLAGE, "百分之百互助会", f"BA{VILLAGE}ABCDEF", "2024-01-01"),
        )
        tx.execute(
            "INSERT INTO credit_listing (org_id, credit_list, position, village_code, entered_on,"
            " reason) VALUES (%s, %s, %s, %s, %s, %s)",
            (org, "abnormal", 1, VILLAGE, "2025-02-03", PUBLIC_REASON),
        )
        tx.execute(
            "INSERT INTO annual_report (org_id, year, village_code, filed_on)"
            " VALUES (%s, %s, %s, %s)",
            (org, 2024, VILLAGE, "2025-03-01"),
        )
    j, today = load(), date(2026, 1, 1)
    assert [o.id for o in queries.search(db, j, today, "_100%").organisations] == [org]
    assert [o.id for o in queries.search(db, j, today, "百分").organisations] == [org, other]
    assert [o.id for o in queries.search(db, j, today, usci(9, "1")).organisations] == [org]
    assert [o.id for o in queries.search(db, j, today, f"ba{VILLAGE}abcdef").organisations] == [
        other
    ]
    page = queries.organisation(db, j, today, org)
    assert page is not None and page.grade is not None and page.grade.grade == 3
    assert [c.reason for c in page.credit_entries] == [PUBLIC_REASON]
    assert [(r.year, r.filed) for r in page.annual_reports] == [
        (2025, False),
        (2024, True),
        (2023, False),
    ]
    division = queries.division(db, j, today, VILLAGE, 1)
    assert division is not None and division.counts.organisations == 2
    assert division.counts.on_credit_list == 1 and division.counts.graded == 1


@pytest.mark.parametrize(
    ("ended", "last"),
    [("2023-07-15", 2022), ("2023-12-31", 2022), ("2024-01-01", 2023), (None, 2025)],
)
def test_annual_report_years_follow_the_catalogue(ended: str | None, last: int) -> None:
    """A year is owed when the organisation was registered on its 31 December (as
    supervision.annual_reports_due counts): a mid-year exit owes nothing for its exit year."""
    row = {"registered_on": "2021-03-01", "registration_ended_on": ended}
    years = queries._annual_reports(row, [], date(2026, 3, 1))
    assert [r.year for r in years] == list(range(last, 2020, -1))


def test_rate_limit_keys_ipv6_by_its_64_and_keeps_its_buckets_bounded() -> None:
    from types import SimpleNamespace

    from shared.public.pages import client_key

    def key(host: str) -> str:
        return client_key(SimpleNamespace(client=SimpleNamespace(host=host)))  # type: ignore[arg-type]

    assert key("2001:db8:1:2:aaaa::1") == key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("203.0.113.7") == key("::ffff:203.0.113.7") == "203.0.113.7"
    # Many keys, none idle (a frozen clock): the buckets stay within their bound.
    buckets = TokenBuckets(rate=1, burst=1, clock=lambda: 0.0, max_keys=10)
    for i in range(1_000):
        assert buckets.take(f"k{i}") == 0.0
        assert len(buckets._buckets) <= 10
    assert buckets.take("k999") > 0  # the recent ones are still remembered
