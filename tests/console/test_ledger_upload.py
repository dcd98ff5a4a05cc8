"""The ledger import in the console (issue 14 item 1): template → upload → dry-run report →
confirm → result, checked against what the API then reports; mistakes, the upload limit, files
that are not ledgers, people who may not import, and forged confirmations."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.ledger_import import api as ledger_api
from services.ledger_import import progress
from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import Person, person
from tests.e2e.test_ledger_upload_api import IMPORTER, LIMIT, ledger, workbook
from tests.helpers import COUNTY, Api, build_platform, county_op, heads, township_op, village_op

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHA = re.compile(r"/county/ledger/([0-9a-f]{64})")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """The conftest's ``api`` with a small upload limit, so a test can go over it cheaply."""
    p = build_platform(tmp_path, max_upload_bytes=LIMIT)
    p.start()
    yield Api.of(p)
    p.stop()


def send(clerk: Person, content: bytes, name: str = "台账.xlsx", media: str = XLSX) -> Any:
    """The upload form as a browser posts it: multipart, the page's CSRF token included."""
    clerk.get("/county/ledger")
    return clerk.client.post(
        "/county/ledger",
        data={"csrf_token": clerk.csrf},
        files={"file": (name, content, media)},
        follow_redirects=False,
    )


def finished(clerk: Person, confirmed: Any) -> Any:
    """The page a confirmed import leads to once its background thread has ended."""
    assert confirmed.status_code == 303, confirmed.text
    assert confirmed.headers["location"].split("?")[0].endswith("/progress")
    ledger_api.IMPORTS.wait(COUNTY)
    return clerk.get(confirmed.headers["location"])  # done: on to the result


def rows_of(html: str, table: str) -> list[list[str]]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    cells = re.compile(r"<td>(.*?)</td>", re.S)
    tags = re.compile(r"<[^>]+>")
    return [
        [tags.sub("", c).strip() for c in cells.findall(tr)]
        for tr in body.split("<tr>")[2:]  # the header row first
    ]


def test_upload_dry_run_confirm_and_the_apis_figures(api: Api) -> None:
    clerk = person(api, IMPORTER)
    page = clerk.get("/county/ledger")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'type="file"' in page.text
    assert 'name="csrf_token"' in page.text and "台账导入" in page.text
    template = clerk.get("/county/ledger/template.xlsx")
    assert template.status_code == 200 and template.headers["content-type"] == XLSX
    assert template.content.startswith(b"PK")

    before = heads(api.platform)
    answer = send(clerk, workbook(api, ledger()))
    assert answer.status_code == 303, answer.text
    sha = SHA.search(answer.headers["location"])
    assert sha is not None
    report = clerk.get(answer.headers["location"])
    assert report.status_code == 200 and "试导入报告" in report.text
    assert "没有错误或提示" in report.text and "确认导入" in report.text
    assert "只导入通过核对的行" not in report.text
    tallies = {r[0]: r[1:] for r in rows_of(report.text, "tallies")}
    assert tallies["组织"][:2] == ["2", "2"] and tallies["活动"][:2] == ["3", "3"]
    assert heads(api.platform) == before  # the dry run recorded nothing

    confirmed = clerk.submit(f"/county/ledger/{sha.group(1)}/import")
    assert confirmed.headers["location"].startswith(f"/county/ledger/{sha.group(1)}/progress")
    result = finished(clerk, confirmed)
    assert result.status_code == 200 and "导入结果" in result.text and "台账已导入" in result.text
    recorded = {r[0]: r[2] for r in rows_of(result.text, "tallies")}
    assert recorded == {"组织": "2", "活动": "3"}

    api.settle()
    figures = api.county.get(f"/api/v1/reports/{COUNTY}?period=2020", headers=api.auth(county_op()))
    activity = figures.json()["figures"]["activity"]
    assert (activity["activities"], activity["participants"]) == (3, 75)


def test_mistakes_show_row_errors_in_chinese_and_record_nothing(api: Api) -> None:
    clerk = person(api, IMPORTER)
    rows = ledger()
    rows["组织"][0]["成立日期"] = "2020-13-01"
    rows["活动"][1]["参与人数"] = "<script>alert(1)</script>"
    content = workbook(api, rows)
    before = heads(api.platform)
    answer = send(clerk, content)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    report = clerk.get(location)
    errors = rows_of(report.text, "row-errors")
    by_place = {(e[0], e[1], e[2]): e for e in errors}
    date_error = by_place[("组织", "2", "成立日期")]
    assert date_error[3] == "错误" and date_error[4] == "invalid_date"
    assert re.search(r"[\u4e00-\u9fff]", date_error[5]) and date_error[6] == "2020-13-01"
    assert ("活动", "3", "参与人数") in by_place
    assert "<script>alert(1)</script>" not in report.text  # the cell is shown as text
    assert "&lt;script&gt;" in report.text
    # No plain confirmation: a warning and an explicit acknowledgement instead.
    assert "只导入通过核对的行" in report.text and "notice-warning" in report.text
    csv = clerk.get(f"{location.split('?')[0]}/errors.csv")
    assert csv.status_code == 200 and "2020-13-01" in csv.content.decode("utf-8-sig")

    sha = SHA.search(location)
    assert sha is not None
    refused = clerk.submit(f"/county/ledger/{sha.group(1)}/import")
    assert refused.status_code == 409 and "试导入有" in refused.text
    assert heads(api.platform) == before  # nothing recorded

    # Acknowledged: the valid rows are imported, the refused ones are not.
    valid = clerk.submit(f"/county/ledger/{sha.group(1)}/import", {"import_valid_rows": "y"})
    result = finished(clerk, valid)
    recorded = {r[0]: r[2] for r in rows_of(result.text, "tallies")}
    assert recorded["组织"] == "1"  # ZZ-2; ZZ-1 and its activities refused


def test_an_upload_over_the_limit_is_the_413_page(api: Api) -> None:
    clerk = person(api, IMPORTER)
    before = heads(api.platform)
    answer = send(clerk, b"PK\x03\x04" + b"0" * LIMIT)
    assert answer.status_code == 413
    assert "text/html" in answer.headers["content-type"]
    assert "上传的文件超过" in answer.text and "MiB" in answer.text
    assert heads(api.platform) == before


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("照片.png", b"\x89PNG\r\n\x1a\n", "只接受台账模板的 XLSX"),
        ("台账.xlsx", b"not a zip at all", "只接受台账模板的 XLSX"),
        ("名单.csv", "组织编号\nZZ-1\n".encode(), "CSV 文件名须为工作表名"),
    ],
)
def test_a_file_that_is_not_a_ledger_is_refused_on_the_form(
    api: Api, name: str, content: bytes, words: str
) -> None:
    clerk = person(api, IMPORTER)
    before = heads(api.platform)
    answer = send(clerk, content, name, "application/octet-stream")
    assert answer.status_code in (415, 422), answer.text
    assert words in answer.text and 'class="error-summary"' in answer.text
    assert 'type="file"' in answer.text  # the form again, to choose another file
    assert heads(api.platform) == before


def test_no_file_chosen_and_a_forged_form(api: Api) -> None:
    clerk = person(api, IMPORTER)
    clerk.get("/county/ledger")
    empty = clerk.client.post(
        "/county/ledger",
        data={"csrf_token": clerk.csrf},
        files={"file": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )
    assert empty.status_code == 422 and "请选择要上传的台账文件" in empty.text
    forged = clerk.client.post(
        "/county/ledger",
        data={"csrf_token": "0" * 64},
        files={"file": ("台账.xlsx", b"PK\x03\x04", XLSX)},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "表单已失效" in forged.text


@pytest.mark.parametrize(
    "who",
    [
        village_op(),
        township_op(),
        county_op(),  # an operator without the import or admin role
    ],
)
def test_who_may_not_import_gets_the_403_page(api: Api, who: Actor) -> None:
    clerk = person(api, who)
    assert clerk.get("/county/ledger").status_code == 403
    assert send(clerk, b"PK\x03\x04").status_code == 403
    assert clerk.submit(f"/county/ledger/{'0' * 64}/import").status_code == 403
    home = clerk.get("/")
    assert 'href="/county/ledger"' not in home.text


def test_the_link_is_there_for_who_may_import(api: Api) -> None:
    admin = Actor("county-boss", Tier.COUNTY, COUNTY, "admin", "管理员", ("admin",))
    for who in (IMPORTER, admin):
        page = person(api, who).get("/county/ledger")
        assert page.status_code == 200, who
        assert '<a href="/county/ledger" aria-current="page">台账导入</a>' in page.text, who


def test_confirming_an_unknown_or_malformed_file_is_refused(api: Api) -> None:
    clerk = person(api, IMPORTER)
    clerk.get("/county/ledger")
    before = heads(api.platform)
    unknown = clerk.submit(f"/county/ledger/{'0' * 64}/import")
    assert unknown.status_code == 404 and "请重新上传" in unknown.text
    for bad in ("..%2F..%2Fetc", "A" * 64, "0" * 63):
        answer = clerk.submit(f"/county/ledger/{bad}/import")
        assert answer.status_code == 404, bad
        assert clerk.get(f"/county/ledger/{bad}").status_code == 404
    assert clerk.get(f"/county/ledger/{'0' * 64}").status_code == 404
    assert heads(api.platform) == before


def test_the_import_runs_in_the_background_with_a_progress_page(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Confirmed, the import runs in a thread; its page refreshes itself (no script) with the
    phase, rows and a bar; a second start is 409 import_running; then the result. An import
    the process stopped during is shown as interrupted (issue 14 leftovers)."""
    clerk = person(api, IMPORTER)
    answer = send(clerk, workbook(api, ledger()))
    sha = SHA.search(answer.headers["location"])
    assert sha is not None
    go, reported = threading.Event(), threading.Event()
    real = ledger_api._guarded

    def held(platform: Any, path: Path, dry_run: bool, report: Any = None) -> Any:
        if report is not None:  # the background import: say where it is, then wait
            report("组织", 1, 2, False)
            reported.set()
            assert go.wait(30)
        return real(platform, path, dry_run, report)

    monkeypatch.setattr(ledger_api, "_guarded", held)
    # An upload older than SANJI_LEDGER_UPLOAD_DAYS: removed after the import.
    stale = api.platform.settings.data_dir / ledger_api.UPLOADS / ("d" * 64)
    stale.mkdir()
    (stale / "ledger.xlsx").write_bytes(b"PK")
    os.utime(stale / "ledger.xlsx", (0, 0))
    confirmed = clerk.submit(f"/county/ledger/{sha.group(1)}/import")
    assert confirmed.status_code == 303 and reported.wait(30)
    page = clerk.get(confirmed.headers["location"])
    assert page.status_code == 200 and '<meta http-equiv="refresh" content="2">' in page.text
    assert "组织" in page.text and "1 / 2 行（50%）" in page.text
    assert '<progress class="progress" id="import-progress" max="2" value="1">' in page.text
    again = api.county.post(
        "/api/v1/ledger/imports/start",
        json={"file_sha256": sha.group(1)},
        headers=api.auth(IMPORTER),
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "import_running"
    assert "正在进行" in again.json()["error"]["message_zh"]
    go.set()
    result = finished(clerk, confirmed)
    assert "导入结果" in result.text and '<meta http-equiv="refresh"' not in result.text
    assert not stale.exists()

    # A marker left by a process that stopped mid-import: interrupted, import it again.
    folder = api.platform.settings.data_dir / ledger_api.UPLOADS / ("e" * 64)
    folder.mkdir(parents=True)
    (folder / progress.MARKER).write_text("2026-01-01T00:00:00+00:00")
    stopped = clerk.get(f"/county/ledger/{'e' * 64}/progress")
    assert stopped.status_code == 200 and "中断，可重新导入" in stopped.text
    assert '<meta http-equiv="refresh"' not in stopped.text
