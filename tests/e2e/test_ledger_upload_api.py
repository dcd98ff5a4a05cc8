"""The ledger import over the county API (ADR 0020 addendum): template, upload → dry run →
confirm, the upload's own body limit, refusals, and the production topology's refusal."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from services.county.bootstrap import BOOTSTRAP as COUNTY_BOOT
from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    COUNTY,
    RURAL_VILLAGE,
    VILLAGE,
    Api,
    build_platform,
    county_op,
    heads,
    township_op,
    usci,
)

IMPORTER = Actor("county-importer", Tier.COUNTY, COUNTY, "import", "台账导入员", ("import",))
LIMIT = 256 * 1024  # this module's upload limit, so a test can go over it cheaply
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """The conftest's ``api`` with small limits (the general one still the smaller)."""
    p = build_platform(tmp_path, max_upload_bytes=LIMIT, max_body_bytes=64 * 1024)
    p.start()
    yield Api.of(p)
    p.stop()


def ledger() -> dict[str, list[dict[str, Any]]]:
    """Two organisations and three activities, 2020 (no legacy rule versions needed)."""
    return {
        "组织": [
            {
                "组织编号": "ZZ-1",
                "组织名称": "文昌社区为老服务队",
                "村社区代码": VILLAGE,
                "服务领域": "为民服务",
                "成立日期": "2020-03-01",
                "申请日期": "2020-04-01",
                "备案日期": "2020-04-10",
            },
            {
                "组织编号": "ZZ-2",
                "组织名称": "青溪村乡贤参事会",
                "村社区代码": RURAL_VILLAGE,
                "服务领域": "自治",
                "类别": "乡贤参事会",
                "成立日期": "2020-01-01",
                "统一社会信用代码": usci(2, "1"),
                "登记日期": "2020-06-01",
            },
        ],
        "活动": [
            _activity("HD-1", "ZZ-1", "2020-05-10", 30),
            _activity("HD-2", "ZZ-1", "2020-06-10", 20),
            _activity("HD-3", "ZZ-2", "2020-07-01", 25),
        ],
    }


def _activity(key: str, org: str, day: str, participants: int) -> dict[str, Any]:
    return {
        "活动编号": key,
        "组织编号": org,
        "活动日期": day,
        "活动领域": "为民服务",
        "参与人数": participants,
    }


def workbook(api: Api, rows: dict[str, list[dict[str, Any]]], who: Actor = IMPORTER) -> bytes:
    """The template as the API serves it, filled as a clerk would (headers from the file)."""
    answer = api.county.get("/api/v1/ledger/template.xlsx", headers=api.auth(who))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    wb = load_workbook(io.BytesIO(answer.content))
    for name, records in rows.items():
        ws = wb[name]
        headers = [c.value for c in ws[1]]
        for record in records:
            ws.append([record.get(h) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(api: Api, content: bytes, name: str = "台账.xlsx", who: Actor = IMPORTER) -> Any:
    return api.county.post(
        "/api/v1/ledger/dry-runs",
        files={"file": (name, content, XLSX)},
        headers=api.auth(who),
    )


def organisations(api: Api) -> dict[str, dict[str, Any]]:
    answer = api.county.get("/api/v1/organisations", headers=api.auth(county_op()))
    assert answer.status_code == 200, answer.text
    return {o["name"]: o for o in answer.json()["organisations"]}


def test_upload_dry_run_then_confirm_records_the_ledger(api: Api) -> None:
    content = workbook(api, ledger())
    before = heads(api.platform)
    checked = upload(api, content)
    assert checked.status_code == 200, checked.text
    run = checked.json()
    assert run["dry_run"] and run["errors_total"] == 0 and run["refused"] == 0
    assert run["file_name"] == "台账.xlsx" and run["size"] == len(content)
    tallies = {t["sheet"]: t for t in run["tallies"]}
    assert (tallies["组织"]["read"], tallies["组织"]["recorded"]) == (2, 2)
    assert (tallies["活动"]["read"], tallies["活动"]["recorded"]) == (3, 3)
    assert heads(api.platform) == before  # a dry run records nothing
    stored = api.platform.settings.data_dir / "ledger-uploads" / run["file_sha256"]
    assert (stored / "ledger.xlsx").read_bytes() == content

    again = api.county.get(
        f"/api/v1/ledger/dry-runs/{run['file_sha256']}", headers=api.auth(IMPORTER)
    )
    assert again.status_code == 200 and again.json()["tallies"] == run["tallies"]

    done = api.county.post(
        "/api/v1/ledger/imports",
        json={"file_sha256": run["file_sha256"]},
        headers=api.auth(IMPORTER),
    )
    assert done.status_code == 200, done.text
    result = done.json()
    assert not result["dry_run"] and result["errors_total"] == 0
    assert {t["sheet"]: t["recorded"] for t in result["tallies"]} == {"组织": 2, "活动": 3}
    api.settle()
    orgs = organisations(api)
    assert orgs["文昌社区为老服务队"]["filed_on"] == "2020-04-10"
    assert orgs["青溪村乡贤参事会"]["registered_on"] == "2020-06-01"
    report = api.county.get(f"/api/v1/reports/{COUNTY}?period=2020", headers=api.auth(county_op()))
    assert report.status_code == 200, report.text
    activity = report.json()["figures"]["activity"]
    assert (activity["activities"], activity["participants"]) == (3, 75)

    # The same file again: every row present, nothing recorded twice.
    checked_again = upload(api, content).json()
    assert {t["sheet"]: t["present"] for t in checked_again["tallies"]} == {"组织": 2, "活动": 3}
    assert checked_again["imported"] is True


def test_mistakes_are_row_errors_in_chinese_and_nothing_is_recorded(api: Api) -> None:
    rows = ledger()
    rows["组织"][0]["成立日期"] = "2020-13-01"
    rows["活动"][1]["参与人数"] = "很多"
    rows["活动"][2]["组织编号"] = "ZZ-9"
    content = workbook(api, rows)
    before = heads(api.platform)
    run = upload(api, content).json()
    found = {(e["sheet"], e["row"], e["column"], e["code"]) for e in run["errors"]}
    assert ("组织", 2, "成立日期", "invalid_date") in found
    assert ("活动", 3, "参与人数", "invalid_number") in found
    assert ("活动", 4, "组织编号", "unknown_reference") in found
    assert all(
        e["message_zh"] and any("\u4e00" <= c <= "\u9fff" for c in e["message_zh"])
        for e in run["errors"]
    )
    assert run["errors_total"] >= 3 and run["refused"] >= 3
    # Confirming needs an explicit "import the valid rows".
    refused = api.county.post(
        "/api/v1/ledger/imports",
        json={"file_sha256": run["file_sha256"]},
        headers=api.auth(IMPORTER),
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "ledger_has_errors"
    assert heads(api.platform) == before
    # The error report has every row error, cells as typed.
    report = api.county.get(
        f"/api/v1/ledger/dry-runs/{run['file_sha256']}/errors.csv", headers=api.auth(IMPORTER)
    )
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    text = report.content.decode("utf-8-sig")
    assert "2020-13-01" in text and "很多" in text and "ZZ-9" in text
    xlsx = api.county.get(
        f"/api/v1/ledger/dry-runs/{run['file_sha256']}/errors.xlsx", headers=api.auth(IMPORTER)
    )
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")


def test_the_upload_has_its_own_limit_and_others_keep_theirs(api: Api) -> None:
    small = api.platform.settings.max_body_bytes
    assert small < LIMIT
    # Over the general limit but under the upload's: read and refused as not a ledger.
    within = upload(api, b"PK\x03\x04" + b"0" * (small + 1000))
    assert within.status_code == 422 and within.json()["error"]["code"] == "ledger_unreadable"
    over = upload(api, b"PK\x03\x04" + b"0" * LIMIT)
    assert over.status_code == 413
    assert over.json()["error"]["code"] == "upload_too_large"
    # Every other route keeps the general limit.
    other = api.county.post(
        "/api/v1/ledger/imports", content=b"{" + b" " * (small + 10) + b"}",
        headers={**api.auth(IMPORTER), "Content-Type": "application/json"},
    )  # fmt: skip
    assert other.status_code == 413 and other.json()["error"]["code"] == "body_too_large"


@pytest.mark.parametrize(
    ("name", "content", "status", "code"),
    [
        ("notes.txt", b"hello", 415, "upload_unsupported_type"),
        ("台账.xlsx", b"%PDF-1.4 not a workbook", 415, "upload_unsupported_type"),
        ("组织.csv", b"\x00\x01binary", 415, "upload_unsupported_type"),
        ("../../etc/passwd.csv", "组织编号\nZZ-1\n".encode(), 422, "ledger_csv_sheet_unknown"),
        ("台账.xlsx", b"", 415, "upload_unsupported_type"),
        ("组织.csv", b"", 422, "upload_empty"),
    ],
)
def test_what_is_not_a_ledger_is_refused(
    api: Api, name: str, content: bytes, status: int, code: str
) -> None:
    api.auth(IMPORTER)  # the account opened first: it is a county event
    before = heads(api.platform)
    answer = upload(api, content, name)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code and error["message_zh"]
    assert heads(api.platform) == before


def test_a_csv_sheet_is_a_ledger_too(api: Api) -> None:
    rows = ledger()["组织"]
    headers = list(rows[0]) + ["统一社会信用代码", "登记日期", "类别"]
    lines = [",".join(headers)] + [",".join(str(r.get(h, "")) for h in headers) for r in rows]
    run = upload(api, ("\n".join(lines) + "\n").encode("utf-8-sig"), "组织.csv").json()
    assert run["errors_total"] == 0, run["errors"]
    assert {t["sheet"]: t["recorded"] for t in run["tallies"]} == {"组织": 2}


def test_who_may_import(api: Api) -> None:
    content = workbook(api, ledger())
    operator = upload(api, content, who=county_op())
    assert operator.status_code == 403 and operator.json()["error"]["code"] == "role_forbidden"
    admin = Actor("county-boss", Tier.COUNTY, COUNTY, "admin", "管理员", ("admin",))
    assert upload(api, content, who=admin).status_code == 200
    # Another tier's account at the county service, and the township service itself.
    township = api.county.post(
        "/api/v1/ledger/dry-runs", files={"file": ("台账.xlsx", content, XLSX)},
        headers=api.auth(township_op()),
    )  # fmt: skip
    assert township.status_code == 403
    assert (
        api.township.post("/api/v1/ledger/dry-runs", headers=api.auth(township_op())).status_code
        == 404
    )


def test_unknown_or_malformed_digests_are_refused(api: Api) -> None:
    api.auth(IMPORTER)
    before = heads(api.platform)
    for body in ({"file_sha256": "0" * 64}, {"file_sha256": "../../x"}, {"file_sha256": "A" * 64}):
        answer = api.county.post("/api/v1/ledger/imports", json=body, headers=api.auth(IMPORTER))
        assert answer.status_code in (404, 422), answer.text
    unknown = api.county.post(
        "/api/v1/ledger/imports", json={"file_sha256": "0" * 64}, headers=api.auth(IMPORTER)
    )
    assert unknown.json()["error"]["code"] == "ledger_upload_unknown"
    for path in (
        "dry-runs/" + "0" * 64,
        "dry-runs/..%2F..%2Fetc",
        "imports/" + "f" * 64 + "/errors.csv",
    ):
        assert (
            api.county.get(f"/api/v1/ledger/{path}", headers=api.auth(IMPORTER)).status_code == 404
        )
    assert heads(api.platform) == before


def test_a_county_process_alone_refuses_and_names_the_cli(api: Api) -> None:
    """The production topology: the county's API without the other tiers in its process."""
    from fastapi.testclient import TestClient

    runtime = api.platform.tiers[Tier.COUNTY]
    embedded, runtime.embedded = runtime.embedded, None
    try:
        client = TestClient(COUNTY_BOOT.build_api(runtime))
        headers = api.auth(IMPORTER)
        assert client.get("/api/v1/ledger/template.xlsx", headers=headers).status_code == 200
        answer = client.post(
            "/api/v1/ledger/dry-runs", files={"file": ("台账.xlsx", b"PK\x03\x04", XLSX)},
            headers=headers,
        )  # fmt: skip
        assert answer.status_code == 409
        error = answer.json()["error"]
        assert error["code"] == "import_needs_embedded"
        assert "python -m services import" in error["message_zh"]
    finally:
        runtime.embedded = embedded


def test_only_the_countys_upload_routes_take_the_upload_limit(api: Api) -> None:
    county = api.county.app.state.upload_paths  # type: ignore[attr-defined]
    assert county == {"/api/v1/ledger/dry-runs", "/county/ledger"}
    for tier in (Tier.TOWNSHIP, Tier.VILLAGE):
        assert api.clients[tier].app.state.upload_paths == set()  # type: ignore[attr-defined]
    # At the township, the console's upload form is guarded by the general limit.
    big = b"x" * (api.platform.settings.max_body_bytes + 10)
    answer = api.township.post("/county/ledger", files={"file": ("台账.xlsx", big, XLSX)})
    assert answer.status_code == 413 and "提交的内容过长" in answer.text
