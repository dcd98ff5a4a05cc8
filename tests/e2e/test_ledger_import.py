"""Ledger import (issue 14 item 1, ADR 0020): template → filled ledger → dry run → import;
row errors in Chinese; idempotent re-import; corrections; an interrupted import resumes."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from services.__main__ import main
from services.ledger_import.bulk import chunked
from services.ledger_import.recorder import IMPORT_USERNAME
from services.ledger_import.report import write_errors
from services.ledger_import.run import ERROR, WARNING, Import, Result
from services.ledger_import.sheets import SHEETS
from services.ledger_import.template import write_csv, write_xlsx
from services.platform import Platform
from shared.capabilities.identity.accounts import account_id
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    COUNTY,
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    build_platform,
    heads,
    meta,
    stores_nothing,
    usci,
    village_op,
)

Ledger = dict[str, list[dict[str, Any]]]


def good_ledger() -> Ledger:
    """A small county ledger, 2019 onwards (no legacy rule versions needed)."""
    return {
        "区划": [{"区划代码": VILLAGE, "名称": "文昌社区", "层级": "村社区", "城乡": "城市社区"}],
        "组织": [
            {
                "组织编号": "ZZ-1",
                "组织名称": "文昌社区为老服务队",
                "村社区代码": VILLAGE,
                "服务领域": "为民服务",
                "成立日期": "2019-03-01",
                "申请日期": "2019/4/1",
                "备案日期": "2019年4月10日",
            },
            {
                "组织编号": "ZZ-2",
                "组织名称": "示范县文昌社区居家养老服务中心",
                "村社区代码": VILLAGE,
                "服务领域": "为民服务",
                "成立日期": "2019-01-01",
                "统一社会信用代码": usci(1, "2"),
                "登记日期": "2019-05-01",
            },
            {
                "组织编号": "ZZ-3",
                "组织名称": "青溪村乡贤参事会",
                "村社区代码": RURAL_VILLAGE,
                "服务领域": "自治",
                "类别": "乡贤参事会",
                "成立日期": "2019-05-01",
                "申请日期": "2019-06-01",
                "备案日期": "2019-06-05",
                "统一社会信用代码": usci(2, "1"),
                "登记日期": "2020-06-01",
            },
        ],
        "章程": [
            {"组织编号": "ZZ-1", "核准日期": "2019-05-01", "党建入章": "是", "清廉入章": "否"},
            {"组织编号": "ZZ-2", "核准日期": "2019-06-01", "党建入章": "是", "清廉入章": "是"},
        ],
        "活动": [
            activity("HD-1", "ZZ-1", "2019-05-10", 30),
            activity("HD-2", "ZZ-2", "2019/6/1", 40),
            activity("HD-3", "ZZ-3", "2020年7月1日", 25),
            activity("HD-4", "ZZ-1", datetime(2021, 3, 8), 12),  # an Excel date cell
        ],
        "检查": [
            {
                "检查编号": "JC-1",
                "组织编号": "ZZ-1",
                "检查日期": "2020-09-01",
                "检查结果": "责令整改",
                "发现问题": "台账不全",
                "检查人员": "王建国、李秀英",
                "整改完成日期": "2020-10-01",
            }
        ],
        "年报": [{"组织编号": "ZZ-2", "年度": 2019, "报送日期": "2020-04-15"}],
        "评级": [{"组织编号": "ZZ-2", "评定日期": "2021-06-01", "信用评价": "A", "评估等级": "3A"}],
        "平台": [
            {
                "平台编号": "PT-1",
                "类型": "村社区服务站",
                "区划代码": VILLAGE,
                "名称": "文昌社区社会组织服务站",
                "开设日期": "2019-01-15",
            }
        ],
        "资金征集": [
            {
                "项目类别": "微公益创投",
                "批次": "2020",
                "名称": "2020年微公益创投",
                "预算": "200000",
                "发布日期": "2020-03-01",
                "截止日期": "2020-04-30",
            }
        ],
        "资助项目": [
            {
                "项目编号": "XM-1",
                "组织编号": "ZZ-1",
                "项目类别": "微公益创投",
                "批次": "2020",
                "项目名称": "邻里守望项目",
                "申报金额": "20000",
                "托管组织编号": "ZZ-2",
                "申报日期": "2020-04-01",
                "评审日期": "2020-05-20",
                "评审结果": "立项",
                "资助金额": "18000",
            },
            {
                "项目编号": "XM-2",
                "组织编号": "ZZ-2",
                "项目类别": "政府购买服务",
                "批次": "2021",
                "项目名称": "居家养老服务",
                "申报金额": "50000",
                "评审日期": "2021-03-01",
                "评审结果": "立项",
                "资助金额": "50000",
            },
        ],
        "拨付": [
            {"项目编号": "XM-1", "拨付批次": "首期", "金额": "10800", "拨付日期": "2020-06-20"},
            {"项目编号": "XM-1", "拨付批次": "尾款", "金额": "7200", "拨付日期": "2020-12-20"},
            {"项目编号": "XM-2", "拨付批次": "首期", "金额": "30000", "拨付日期": "2021-04-01"},
        ],
    }


def activity(key: str, org: str, day: Any, participants: int) -> dict[str, Any]:
    return {
        "活动编号": key,
        "组织编号": org,
        "活动日期": day,
        "活动领域": "为民服务",
        "参与人数": participants,
        "志愿者人数": 3,
        "志愿服务人次": 3,
        "志愿服务时长": "7.5",
        "受益人次": 50,
        "支出金额": "120.50",
    }


def fill(template: Path, ledger: Ledger, out: Path) -> Path:
    """The template filled programmatically, as a clerk would (headers from the template)."""
    wb = load_workbook(template)
    for name, rows in ledger.items():
        ws = wb[name]
        headers = [c.value for c in ws[1]]
        for row in rows:
            ws.append([row.get(h) for h in headers])
    wb.save(out)
    return out


@pytest.fixture
def platform(tmp_path: Path) -> Any:
    p = build_platform(tmp_path / "data")
    yield p
    p.stop()


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "模板.xlsx")


def errors(result: Result) -> list[tuple[str, int, str, str]]:
    return [(e.sheet, e.row, e.column, e.code) for e in result.errors if e.severity == ERROR]


def count(p: Platform, sql: str) -> int:
    with p.tiers[Tier.COUNTY].db.transaction() as tx:
        row = tx.one(sql)
    assert row is not None
    return int(next(iter(dict(row).values())))


def test_template_has_every_sheet_documented(template: Path, tmp_path: Path) -> None:
    wb = load_workbook(template, read_only=True)
    assert wb.sheetnames == ["说明", *(s.name for s in SHEETS)]
    notes = list(wb["说明"].iter_rows(values_only=True))
    assert notes[0] == ("工作表", "列名", "是否必填", "格式", "可选值", "说明", "示例")
    for sheet in SHEETS:
        assert next(wb[sheet.name].iter_rows(values_only=True)) == tuple(
            c.header for c in sheet.columns
        )
        documented = {r[1] for r in notes if r[0] == sheet.name}
        assert {c.header for c in sheet.columns} <= documented
    assert next(r[:3] for r in notes if r[1] == "服务领域") == ("组织", "服务领域", "必填")
    directory = write_csv(tmp_path / "csv")
    with (directory / "组织.csv").open(encoding="utf-8-sig") as fh:
        assert next(csv.reader(fh))[:3] == ["组织编号", "组织名称", "村社区代码"]


def test_round_trip_dry_run_then_import(platform: Platform, template: Path, tmp_path: Path) -> None:
    path = fill(template, good_ledger(), tmp_path / "台账.xlsx")
    rows = {name: len(r) for name, r in good_ledger().items()}
    with stores_nothing(platform):
        dry = Import(platform, path, dry_run=True).run()
    assert errors(dry) == []
    assert {s: t.read for s, t in dry.tallies.items() if t.read} == rows
    assert {s: t.recorded for s, t in dry.tallies.items() if t.read} == rows | {"区划": 0}

    done = Import(platform, path).run()
    assert errors(done) == [] and done.file_sha256 == dry.file_sha256
    assert {s: t.recorded for s, t in done.tallies.items() if t.read} == rows | {"区划": 0}
    # The ledger's figures are the read model's.
    assert count(platform, "SELECT count(*) FROM org") == 3
    assert count(platform, "SELECT count(*) FROM org WHERE registered_on IS NOT NULL") == 2
    assert count(platform, "SELECT count(*) FROM activity") == 4
    assert count(platform, "SELECT sum(participants) FROM activity") == 30 + 40 + 25 + 12
    assert count(platform, "SELECT count(*) FROM inspection") == 1
    assert count(platform, "SELECT count(*) FROM annual_report") == 1
    assert count(platform, "SELECT count(*) FROM platform") == 1
    assert count(platform, "SELECT sum(amount_fen) FROM funding") == 100 * (18000 + 50000)
    assert count(platform, "SELECT sum(amount_fen) FROM disbursement") == 100 * (
        10800 + 7200 + 30000
    )

    # Recorded as the import account, dated in the past, marked with file, sheet and row.
    village = platform.tiers[Tier.VILLAGE].app
    events: list[Any] = [
        e
        for n in village.recorder.select_notifications(0, 1000)
        if (e := village.mapper.to_domain_event(n)).__class__.__name__ == "Applied"
    ]
    first = events[0].meta
    assert first.actor.id == str(account_id(Tier.COUNTY, IMPORT_USERNAME))
    assert first.actor.tier is Tier.VILLAGE
    assert first.actor.role == "import" and first.backdate_reason
    assert first.effective_at.date().isoformat() == "2019-04-01"
    assert first.imported is not None
    assert (first.imported.file_sha256, first.imported.sheet, first.imported.row) == (
        done.file_sha256,
        "组织",
        2,
    )

    # Re-importing the same file records nothing; every row is found already present.
    with stores_nothing(platform):
        again = Import(platform, path).run()
    assert errors(again) == []
    assert {s: t.present for s, t in again.tallies.items() if t.read} == rows | {"区划": 0}
    assert sum(t.recorded for t in again.tallies.values()) == 0


def test_a_usci_twice_in_one_ledger_is_refused_at_its_second_row(
    platform: Platform, template: Path, tmp_path: Path
) -> None:
    """Both rows fall in one chunk, saved together and projected only after it: the claim
    the first row's registration made in the chunk refuses the second (ADR 0034)."""
    ledger = good_ledger()
    ledger["组织"].append({**ledger["组织"][1], "组织编号": "ZZ-9", "组织名称": "另一个中心"})
    path = fill(template, ledger, tmp_path / "台账.xlsx")
    with stores_nothing(platform):
        dry = Import(platform, path, dry_run=True).run()
    expected = [("组织", 5, "统一社会信用代码", "usci_already_registered")]
    assert errors(dry) == expected
    done = Import(platform, path).run()
    assert errors(done) == expected
    assert count(platform, f"SELECT count(*) FROM org WHERE usci = '{usci(1, '2')}'") == 1


def test_csv_ledger_imports_like_the_workbook(platform: Platform, tmp_path: Path) -> None:
    directory = write_csv(tmp_path / "csv")
    for name, rows in good_ledger().items():
        with (directory / f"{name}.csv").open(encoding="utf-8-sig") as fh:
            headers = next(csv.reader(fh))
        with (directory / f"{name}.csv").open("a", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            for row in rows:
                value = {
                    k: v.date().isoformat() if isinstance(v, datetime) else v
                    for k, v in row.items()
                }
                w.writerow([value.get(h, "") for h in headers])
    result = Import(platform, directory).run()
    assert errors(result) == []
    assert count(platform, "SELECT count(*) FROM activity") == 4


def test_mistakes_are_listed_row_by_row_and_nothing_recorded(
    platform: Platform, template: Path, tmp_path: Path
) -> None:
    ledger = good_ledger()
    orgs = ledger["组织"]
    orgs.append({**orgs[0], "组织编号": "ZZ-4", "组织名称": None})  # row 5: no name
    orgs.append({**orgs[0], "组织编号": "ZZ-5", "组织名称": "五队", "成立日期": "2019-13-45"})
    orgs.append(
        {
            **orgs[1],
            "组织编号": "ZZ-6",
            "组织名称": "六队",
            "统一社会信用代码": "51330699MJ0000001X",
        }
    )
    orgs.append({**orgs[0], "组织编号": "ZZ-7", "组织名称": "七队", "村社区代码": "330699999999"})
    orgs.append({**orgs[0], "组织编号": "ZZ-8", "组织名称": '=HYPERLINK("http://x","点击")'})
    ledger["活动"].append(activity("HD-5", "ZZ-2", "2018-12-01", 5))  # founded 2019-01-01
    ledger["活动"].append(activity("HD-6", "ZZ-4", "2019-12-01", 5))  # its organisation refused
    ledger["评级"].append({"组织编号": "ZZ-2", "评定日期": "2015-06-01", "信用评价": "B"})
    path = fill(template, ledger, tmp_path / "台账.xlsx")

    with stores_nothing(platform):
        dry = Import(platform, path, dry_run=True).run()
    found = errors(dry)
    assert ("组织", 5, "组织名称", "required") in found
    assert ("组织", 6, "成立日期", "invalid_date") in found
    assert ("组织", 7, "统一社会信用代码", "usci_invalid") in found
    assert ("组织", 8, "村社区代码", "unknown_division") in found
    assert ("活动", 6, "活动日期", "activity_before_founding") in found
    assert ("活动", 7, "组织编号", "reference_refused") in found
    assert ("评级", 3, "评定日期", "rule_not_in_force") in found
    assert len(found) == 7, found
    # A refusal from the commands shows the cell it names, as typed, beside why.
    values = {(e.sheet, e.row, e.code): e.value for e in dry.errors}
    assert values["组织", 8, "unknown_division"] == "330699999999"
    assert values["活动", 7, "reference_refused"] == "ZZ-4"
    assert values["活动", 6, "activity_before_founding"] == "2018-12-01"
    # A formula-like name is data: imported as typed, flagged only as a notice.
    notice = next(e for e in dry.errors if e.code == "formula_like_text")
    assert (notice.sheet, notice.row, notice.column, notice.severity) == (
        "组织",
        9,
        "组织名称",
        WARNING,
    )
    assert dry.tallies["组织"].recorded == 4  # three good rows and the formula-like name
    by_code = {e.code: e for e in dry.errors}
    assert by_code["required"].message == "“组织名称”为必填项"
    assert "日期" in by_code["invalid_date"].message
    assert "统一社会信用代码" in by_code["usci_invalid"].message
    assert by_code["activity_before_founding"].message.startswith("活动日期")
    assert "规则" in by_code["rule_not_in_force"].message

    # The report: Chinese columns; the formula-like cell stays text in CSV and XLSX.
    report = write_errors(tmp_path / "错误报告.csv", dry.errors)
    with report.open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["工作表", "行号", "列", "级别", "代码", "说明", "单元格内容"]
    line = next(line for line in lines if line[4] == "formula_like_text")
    assert line[:4] == ["组织", "9", "组织名称", WARNING]
    assert line[6] == "'" + '=HYPERLINK("http://x","点击")'  # the OWASP prefix: text
    xlsx = write_errors(tmp_path / "错误报告.xlsx", dry.errors)
    ws = load_workbook(xlsx)["错误报告"]
    cell = next(r[6] for r in ws.iter_rows(min_row=2) if r[4].value == "formula_like_text")
    assert cell.data_type == "s" and cell.value.startswith("=")


def test_the_cli_writes_templates_and_checks_a_file(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANJI_PERSISTENCE", "sqlite")
    monkeypatch.setenv("SANJI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SANJI_DAILY_CHECKPOINT", "n")
    out = tmp_path / "tpl" / "模板.xlsx"
    assert main(["import-template", "--out", str(out), "--csv", str(tmp_path / "tpl")]) == 0
    assert out.exists() and (tmp_path / "tpl" / "组织.csv").exists()
    ledger = good_ledger()
    ledger["组织"][0]["成立日期"] = "不详"
    path = fill(out, ledger, tmp_path / "台账.xlsx")
    report = tmp_path / "报告.csv"
    assert main(["import", str(path), "--dry-run", "--report", str(report)]) == 1
    assert "invalid_date" in report.read_text(encoding="utf-8-sig")


def test_a_corrected_file_records_only_the_corrections(
    platform: Platform, template: Path, tmp_path: Path
) -> None:
    ledger = good_ledger()
    ledger["活动"][0]["活动日期"] = "2019-13-01"  # refused at first
    first = Import(platform, fill(template, ledger, tmp_path / "v1.xlsx")).run()
    assert [e[:4] for e in errors(first)] == [("活动", 2, "活动日期", "invalid_date")]
    before = heads(platform)

    ledger["活动"][0]["活动日期"] = "2019-05-10"  # fixed
    ledger["评级"][0]["信用评价"] = "B"  # a rating corrected: a new rating supersedes it
    ledger["组织"][0] |= {"统一社会信用代码": usci(9), "登记日期": "2022-01-01"}  # registered
    ledger["组织"][2]["组织名称"] = "青溪村乡贤参事总会"  # a recorded fact changed
    second = Import(platform, fill(template, ledger, tmp_path / "v2.xlsx")).run()
    assert second.tallies["活动"].recorded == 1 and second.tallies["活动"].present == 3
    assert second.tallies["评级"].recorded == 1
    assert second.tallies["组织"].recorded == 1 and second.tallies["组织"].present == 1
    assert errors(second) == [("组织", 4, "", "import_row_changed")]
    assert sum(t.recorded for t in second.tallies.values()) == 3
    after = heads(platform)
    assert after[Tier.VILLAGE] - before[Tier.VILLAGE] == 1  # the activity
    # The registration and its USCI claim (ADR 0034), the new rating.
    assert after[Tier.COUNTY] - before[Tier.COUNTY] == 3
    assert after[Tier.TOWNSHIP] == before[Tier.TOWNSHIP]
    with platform.tiers[Tier.COUNTY].db.transaction() as tx:
        row = tx.one("SELECT credit FROM org WHERE credit IS NOT NULL")
        upgraded = tx.one("SELECT name, usci FROM org WHERE usci = %s", (usci(9),))
    assert row is not None and row["credit"] == "B"
    assert upgraded is not None and upgraded["name"] == "文昌社区为老服务队"


class Crash(Exception):
    pass


def test_an_interrupted_import_resumes_where_it_stopped(template: Path, tmp_path: Path) -> None:
    path = fill(template, good_ledger(), tmp_path / "台账.xlsx")
    clean = build_platform(tmp_path / "clean")
    crashed = build_platform(tmp_path / "crashed")
    try:
        Import(clean, path).run()
        recorded = [0]

        def crash_after_seven() -> None:
            recorded[0] += 1
            if recorded[0] == 7:
                raise Crash

        with pytest.raises(Crash):
            Import(crashed, path, after_record=crash_after_seven).run()
        resumed = Import(crashed, path).run()
        assert errors(resumed) == []
        # The seven acts before the crash: two applications, two filings, two registrations
        # (each phase's chunk stored when the phase ended) and the first charter, still in the
        # charter phase's unsaved chunk: the crash lost it, and the resumed import records it.
        assert {s: t.present for s, t in resumed.tallies.items() if t.present} == {"组织": 3}
        assert resumed.tallies["章程"].recorded == resumed.tallies["章程"].read
        assert heads(crashed) == heads(clean)
        for table in ("org", "activity", "funding", "disbursement", "inspection"):
            sql = f"SELECT count(*) FROM {table}"
            assert count(crashed, sql) == count(clean, sql), table
    finally:
        clean.stop()
        crashed.stop()


def test_gb18030_csv_missing_columns_and_unreadable_files(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What Excel on Chinese Windows saves (GB 18030 CSV) imports; a sheet without a required
    column is refused once for the sheet; a file that is no workbook is one line, exit 2."""
    directory = tmp_path / "csv"
    directory.mkdir()
    org = good_ledger()["组织"][0]
    headers = [c.header for c in SHEETS[1].columns]
    with (directory / "组织.csv").open("w", encoding="gb18030", newline="") as fh:
        csv.writer(fh).writerows([headers, [org.get(h, "") for h in headers]])
    with (directory / "活动.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [["活动编号", "组织编号", "活动日期"], ["HD-1", "ZZ-1", "2019-05-10"]]
        )
    result = Import(platform, directory).run()
    assert errors(result) == [
        ("活动", 1, "活动领域", "missing_column"),
        ("活动", 1, "参与人数", "missing_column"),
    ]
    assert result.tallies["组织"].recorded == 1 and result.tallies["活动"].refused == 1
    with platform.tiers[Tier.COUNTY].db.transaction() as tx:
        row = tx.one("SELECT name FROM org")
    assert row is not None and row["name"] == "文昌社区为老服务队"

    monkeypatch.setenv("SANJI_DATA_DIR", str(tmp_path / "var"))
    fake = tmp_path / "台账.xlsx"
    fake.write_text("组织编号,组织名称\n", encoding="utf-8")
    assert main(["import", str(fake), "--dry-run"]) == 2


def test_a_dry_run_after_an_import_tells_present_changed_and_new_rows(
    platform: Platform, template: Path, tmp_path: Path
) -> None:
    ledger = good_ledger()
    Import(platform, fill(template, ledger, tmp_path / "v1.xlsx")).run()
    rows = {name: len(r) for name, r in ledger.items()}
    with stores_nothing(platform):
        same = Import(platform, fill(template, ledger, tmp_path / "v1b.xlsx"), True).run()
    assert errors(same) == []
    assert {s: t.present for s, t in same.tallies.items() if t.read} == rows | {"区划": 0}

    ledger["活动"].append(activity("HD-9", "ZZ-1", "2022-02-02", 9))  # new, on a recorded org
    ledger["组织"][1]["组织名称"] = "改名"  # changed
    with stores_nothing(platform):
        dry = Import(platform, fill(template, ledger, tmp_path / "v2.xlsx"), True).run()
    assert errors(dry) == [("组织", 3, "", "import_row_changed")]
    assert dry.tallies["活动"].present == 4 and dry.tallies["活动"].checked == 1
    assert dry.tallies["拨付"].present == 3


def themed(key: str, day: str, themes: str | None, taken: Any = None, resolved: Any = None) -> Any:
    return activity(key, "ZZ-1", day, 10) | {
        "主题": themes,
        "受理纠纷数": taken,
        "调解成功数": resolved,
    }


def test_themes_and_mediation_cases_import_and_are_checked_by_date(
    platform: Platform, template: Path, tmp_path: Path
) -> None:
    """主题 takes the Chinese names of the vocabulary in force on the activity's date (or codes),
    several separated by 、 or ；; 受理纠纷数 and 调解成功数 go with them (ADR 0019, 0020)."""
    notes = list(load_workbook(template, read_only=True)["说明"].iter_rows(values_only=True))
    documented = next(r for r in notes if r[:2] == ("活动", "主题"))
    assert "疫情防控" in str(documented[4]) and "2020-01-24" in str(documented[4])
    assert any(r[:2] == ("活动", "调解成功数") for r in notes)

    ledger = good_ledger()
    ledger["活动"] = [
        themed("HD-1", "2019-05-10", "为老服务、矛盾调解", 4, 3),
        themed("HD-2", "2020-02-10", "疫情防控；elderly_care"),  # v2: 疫情防控 is in force
        themed("HD-3", "2020-12-01", "脱贫攻坚"),  # retired 2021-02-25: valid before
        themed("HD-4", "2021-03-08", None, 2),  # cases without themes
        # Refused:
        themed("HD-5", "2019-06-01", "疫情防控"),  # not yet introduced
        themed("HD-6", "2022-06-01", "脱贫攻坚"),  # retired
        themed("HD-7", "2019-06-01", "广场舞"),  # no version ever listed it
        themed("HD-8", "2019-06-01", "矛盾调解", 2, 3),  # resolved > taken
        themed("HD-9", "2019-06-01", "矛盾调解", None, 1),  # resolved without taken
        themed("HD-10", "2019-06-01", "矛盾调解、mediation"),  # the same theme twice
    ]
    path = fill(template, ledger, tmp_path / "台账.xlsx")
    with stores_nothing(platform):
        dry = Import(platform, path, dry_run=True).run()
    expected = [
        ("活动", 6, "主题", "theme_not_in_force"),
        ("活动", 7, "主题", "theme_not_in_force"),
        ("活动", 8, "主题", "unknown_theme"),
        ("活动", 9, "调解成功数", "cases_resolved_exceed_taken"),
        ("活动", 10, "调解成功数", "cases_resolved_exceed_taken"),
        ("活动", 11, "主题", "duplicate_theme"),
    ]
    assert errors(dry) == expected
    by_row = {e.row: e.message for e in dry.errors if e.sheet == "活动"}
    assert "疫情防控" in by_row[6] and "2019-06-01" in by_row[6] and " / " not in by_row[6]
    assert by_row[8].startswith("未知的活动主题") and "广场舞" in by_row[8]
    assert by_row[9].startswith("调解成功件数")
    assert dry.tallies["活动"].recorded == 4

    done = Import(platform, path).run()
    assert errors(done) == expected and done.tallies["活动"].recorded == 4
    with platform.tiers[Tier.COUNTY].db.transaction() as tx:
        pairs = tx.all(
            "SELECT a.occurred_on, t.theme FROM activity_theme t JOIN activity a"
            " ON a.activity_id = t.activity_id ORDER BY 1, 2"
        )
        cases = tx.all(
            "SELECT occurred_on, cases_taken, cases_resolved FROM activity_cases ORDER BY 1"
        )
    assert [(str(r["occurred_on"]), r["theme"]) for r in pairs] == [
        ("2019-05-10", "elderly_care"),
        ("2019-05-10", "mediation"),
        ("2020-02-10", "elderly_care"),
        ("2020-02-10", "epidemic_prevention"),
        ("2020-12-01", "poverty_alleviation"),
    ]
    assert [(str(r["occurred_on"]), r["cases_taken"], r["cases_resolved"]) for r in cases] == [
        ("2019-05-10", 4, 3),
        ("2021-03-08", 2, 0),
    ]
    # Names or codes, in any order of separators: the same fact, already present.
    ledger["活动"][0]["主题"] = "elderly_care;mediation"
    with stores_nothing(platform):
        again = Import(platform, fill(template, ledger, tmp_path / "v2.xlsx")).run()
    assert again.tallies["活动"].present == 4


def test_activities_imported_before_the_theme_columns_still_replay(
    platform: Platform, template: Path, tmp_path: Path
) -> None:
    """The request hash of an activity row that fills none of 主题, 受理纠纷数, 调解成功数 is the
    one the import computed before those columns existed (pinned from that version), so a
    county's earlier imports are found already present, not refused as changed."""
    Import(platform, fill(template, good_ledger(), tmp_path / "台账.xlsx")).run()
    village = platform.tiers[Tier.VILLAGE].app
    hashes = {
        e.meta.idempotency_key: e.meta.request_hash
        for n in village.recorder.select_notifications(0, 1000)
        if (e := village.mapper.to_domain_event(n)).__class__.__name__ == "Reported"
    }
    assert hashes["ledger:330699000000:活动:HD-1"] == (
        "156246c362a398efbd3bb17be79a9aeb61530fde835add3cb7cc7ee62e9b32c7"
    )
    ledger = good_ledger()
    ledger["活动"][0] |= {"主题": "为老服务"}  # filling a new column is a changed fact
    with stores_nothing(platform):
        again = Import(platform, fill(template, ledger, tmp_path / "v2.xlsx")).run()
    assert again.tallies["活动"].present == 3
    assert errors(again) == [("活动", 2, "", "import_row_changed")]


def history_from_2016() -> Ledger:
    """A ledger from 2016: filings and a registration, charters, activities with themes and
    mediation, an inspection, annual reports, a rating under the legacy credit rule, and five
    rounds of micro-venture funding (2016–2020), each a call, projects and tranches."""
    ledger = good_ledger()
    orgs = ledger["组织"]
    orgs[0] |= {"成立日期": "2015-10-01", "申请日期": "2016-02-01", "备案日期": "2016-02-15"}
    orgs[1] |= {"成立日期": "2015-06-01", "登记日期": "2016-03-01"}
    orgs[2] |= {"成立日期": "2016-01-05", "申请日期": "2016-04-01", "备案日期": "2016-04-10"}
    ledger["章程"] = [
        {"组织编号": "ZZ-1", "核准日期": "2016-03-01", "党建入章": "是", "清廉入章": "否"},
        {"组织编号": "ZZ-2", "核准日期": "2016-04-01", "党建入章": "是", "清廉入章": "是"},
    ]
    ledger["活动"] = [
        themed("HD-1", "2016-05-10", "为老服务", 3, 2),
        activity("HD-2", "ZZ-2", "2016-09-01", 40) | {"主题": "文化体育"},
        activity("HD-3", "ZZ-3", "2017-07-01", 25) | {"主题": "脱贫攻坚、扶贫济困"},
        themed("HD-4", "2019-03-08", None),
        themed("HD-5", "2020-02-20", "疫情防控"),
    ]
    ledger["检查"][0] |= {"检查日期": "2016-09-01", "整改完成日期": "2016-10-01"}
    ledger["年报"] = [
        {"组织编号": "ZZ-2", "年度": 2016, "报送日期": "2017-04-15"},
        {"组织编号": "ZZ-2", "年度": 2017, "报送日期": "2018-04-15"},
    ]
    ledger["评级"] = [
        {"组织编号": "ZZ-2", "评定日期": "2017-06-01", "信用评价": "A", "评估等级": "3A"}
    ]
    ledger["平台"][0]["开设日期"] = "2016-01-15"
    ledger["资金征集"], ledger["资助项目"], ledger["拨付"] = [], [], []
    for year in range(2016, 2021):
        ledger["资金征集"].append(
            {
                "项目类别": "微公益创投",
                "批次": str(year),
                "名称": f"{year}年微公益创投",
                "预算": "200000",
                "发布日期": f"{year}-03-01",
                "截止日期": f"{year}-04-30",
            }
        )
        for n, org in enumerate(("ZZ-1", "ZZ-2")):
            key = f"XM-{year}-{n}"
            ledger["资助项目"].append(
                {
                    "项目编号": key,
                    "组织编号": org,
                    "项目类别": "微公益创投",
                    "批次": str(year),
                    "项目名称": f"{year}年邻里守望项目{n}",
                    "申报金额": "20000",
                    "托管组织编号": "ZZ-2" if org == "ZZ-1" else None,
                    "申报日期": f"{year}-04-01",
                    "评审日期": f"{year}-05-20",
                    "评审结果": "立项",
                    "资助金额": str(10000 + 1000 * n + year - 2016),
                }
            )
            ledger["拨付"].append(
                {"项目编号": key, "拨付批次": "首期", "金额": "5000", "拨付日期": f"{year}-06-20"}
            )
    return ledger


def test_history_from_2016_imports_with_no_refusals(
    platform: Platform, template: Path, tmp_path: Path
) -> None:
    """With the legacy rule versions in the default rules file (ADR 0018), 2016–2017 history
    is decided under them: nothing is refused as ``rule_not_in_force``."""
    ledger = history_from_2016()
    path = fill(template, ledger, tmp_path / "台账.xlsx")
    with stores_nothing(platform):
        dry = Import(platform, path, dry_run=True).run()
    assert errors(dry) == []
    done = Import(platform, path).run()
    assert errors(done) == []
    rows = {name: len(r) for name, r in ledger.items()}
    assert {s: t.recorded for s, t in done.tallies.items() if t.read} == rows | {"区划": 0}
    awarded = sum(int(p["资助金额"]) for p in ledger["资助项目"])
    assert count(platform, "SELECT sum(amount_fen) FROM funding") == 100 * awarded
    assert count(platform, "SELECT count(DISTINCT round) FROM funding") == 5
    with platform.tiers[Tier.COUNTY].db.transaction() as tx:
        first = tx.one("SELECT min(occurred_on) AS d FROM activity")
        themes2016 = tx.all("SELECT theme FROM activity_theme WHERE occurred_on < '2018-01-01'")
    assert first is not None and str(first["d"]) == "2016-05-10"
    assert sorted(r["theme"] for r in themes2016) == [
        "charity",
        "culture_sports",
        "elderly_care",
        "poverty_alleviation",
    ]
    # The 2016 and 2017 rounds were decided under the legacy funding rule, later ones not.
    county = platform.tiers[Tier.COUNTY].app
    awards = {
        e.meta.effective_at.year: e.meta.rule_version
        for n in county.recorder.select_notifications(0, 10_000)
        if (e := county.mapper.to_domain_event(n)).__class__.__qualname__ == "FundingAward.Awarded"
    }
    assert awards == {
        2016: "funding/legacy-local/v1",
        2017: "funding/legacy-local/v1",
        2018: "funding/abc-85-60/v1",
        2019: "funding/abc-85-60/v1",
        2020: "funding/abc-85-60/v1",
    }


def test_volunteers_budgets_and_funding_details_come_in_from_the_ledger(
    platform: Platform, template: Path, tmp_path: Path
) -> None:
    """The register, activities naming their volunteers, yearly budgets and a purchase of
    services naming its department (ADR 0021), imported and then re-imported as present."""
    ledger = good_ledger()
    ledger["志愿者"] = [
        {"村社区代码": VILLAGE, "志愿者编号": n, "登记日期": "2019-02-01"} for n in ("WC-1", "WC-2")
    ]
    # WC-2 left in 2020: the 2019 activity listing them still counts (ADR 0021 addendum).
    ledger["志愿者"][1] |= {"离开日期": "2020-01-01", "离开原因": "迁出"}
    ledger["活动"][0]["志愿者编号"] = "WC-1、WC-2"
    ledger["活动"][3]["志愿者编号"] = "WC-1"
    ledger["资金预算"] = [
        {"项目类别": "微公益创投", "年度": 2020, "预算金额": "500000", "确定日期": "2020-01-10"}
    ]
    ledger["资助项目"][1] |= {"购买主体": "县民政局", "计划受益人数": 300}
    path = fill(template, ledger, tmp_path / "台账.xlsx")
    with stores_nothing(platform):
        dry = Import(platform, path, dry_run=True).run()
    assert errors(dry) == []
    done = Import(platform, path).run()
    assert errors(done) == []
    assert done.tallies["志愿者"].recorded == 2 and done.tallies["资金预算"].recorded == 1
    village = platform.tiers[Tier.VILLAGE].db
    with village.transaction() as tx:
        served = tx.all("SELECT volunteer_id FROM activity_volunteer ORDER BY volunteer_id")
        away = tx.all("SELECT volunteer_id, left_on, reason, rejoined_on FROM volunteer_absence")
    assert [r["volunteer_id"] for r in served] == ["WC-1", "WC-1", "WC-2"]
    assert away == [
        {
            "volunteer_id": "WC-2",
            "left_on": "2020-01-01",
            "reason": "moved_away",
            "rejoined_on": None,
        }
    ]
    assert count(platform, "SELECT count(*) FROM programme_budget") == 1
    with platform.tiers[Tier.COUNTY].db.transaction() as tx:
        award = tx.one(
            "SELECT purchaser, beneficiaries_planned FROM funding_detail WHERE purchaser IS NOT NULL"
        )
    assert award == {"purchaser": "民政局", "beneficiaries_planned": 300}  # 县民政局: an alias
    again = Import(platform, fill(template, ledger, tmp_path / "again.xlsx")).run()
    assert errors(again) == [] and sum(t.recorded for t in again.tallies.values()) == 0

    # A volunteer the register does not hold: the row is refused with the command's code.
    ledger["活动"].append(activity("HD-9", "ZZ-1", "2021-04-01", 5) | {"志愿者编号": "WC-404"})
    # … and one who had left before the activity's date.
    ledger["活动"].append(activity("HD-10", "ZZ-1", "2021-04-01", 5) | {"志愿者编号": "WC-2"})
    refused = Import(platform, fill(template, ledger, tmp_path / "bad.xlsx")).run()
    assert [(e.sheet, e.code) for e in refused.errors if e.severity == ERROR] == [
        ("活动", "unknown_volunteer"),
        ("活动", "volunteer_had_left"),
    ]
    assert refused.tallies["活动"].recorded == 0


def test_evaluations_and_closures_close_a_project_with_its_beneficiaries_reached(
    platform: Platform, template: Path, tmp_path: Path
) -> None:
    ledger = good_ledger()
    ledger["评估"] = [
        {"项目编号": "XM-1", "评估阶段": "中期评估", "得分": "82.5", "评估日期": "2020-09-01"},
        {"项目编号": "XM-1", "评估阶段": "结项评估", "得分": "90", "评估日期": "2020-12-25"},
    ]
    ledger["结项"] = [
        {
            "项目编号": "XM-1",
            "结项日期": "2020-12-31",
            "结项说明": "按计划完成",
            "实际受益人数": 260,
        },
        # A project that never had its final evaluation cannot close: refused with the code.
        {"项目编号": "XM-2", "结项日期": "2021-12-31", "结项说明": "完成"},
    ]
    done = Import(platform, fill(template, ledger, tmp_path / "台账.xlsx")).run()
    assert done.tallies["评估"].recorded == 2 and done.tallies["结项"].recorded == 1
    refused = [(e.sheet, e.row) for e in done.errors if e.severity == ERROR]
    assert refused == [("结项", 3)]
    with platform.tiers[Tier.COUNTY].db.transaction() as tx:
        closed = tx.one(
            "SELECT beneficiaries_reached FROM funding_detail WHERE beneficiaries_reached IS NOT NULL"
        )
    assert closed == {"beneficiaries_reached": 260}
    again = Import(platform, fill(template, ledger, tmp_path / "again.xlsx")).run()
    assert again.tallies["评估"].present == 2 and again.tallies["结项"].present == 1


def course(key: str, division: str, kind: str, starts: str, ends: str) -> dict[str, Any]:
    return {
        "培训班编号": key,
        "举办单位代码": division,
        "培训主题": "能力提升",
        "培训班类别": kind,
        "开始日期": starts,
        "结束日期": ends,
        "授课人": "县社会组织服务中心",
    }


def test_training_courses_and_attendance_come_in_from_the_ledger(
    platform: Platform, template: Path, tmp_path: Path
) -> None:
    """Courses run by the county and a township (ADR 0024) and who attended: refused rows
    listed in Chinese with their column in the dry run, the rest imported, then present."""
    notes = list(load_workbook(template, read_only=True)["说明"].iter_rows(values_only=True))
    kinds = next(r for r in notes if r[:2] == ("培训班", "培训班类别"))
    assert "负责人培训班" in str(kinds[4]) and "业务骨干培训班" in str(kinds[4])
    ledger = good_ledger()
    ledger["培训班"] = [
        course("PX-1", COUNTY, "负责人培训班", "2021-05-10", "2021-05-11"),
        course("PX-2", TOWNSHIP, "core_staff", "2021-06-01", "2021-06-01"),  # a code will do
        course("PX-3", COUNTY, "烹饪班", "2021-07-01", "2021-07-01"),
        course("PX-4", VILLAGE, "负责人培训班", "2021-07-01", "2021-07-01"),
        course("PX-5", COUNTY, "负责人培训班", "2021-07-02", "2021-07-01"),
    ]
    ledger["参训"] = [
        {"培训班编号": "PX-1", "组织编号": "ZZ-1", "参训人数": 3, "参训人员身份": "负责人"},
        {"培训班编号": "PX-1", "组织编号": "ZZ-3", "参训人数": 2},
        {"培训班编号": "PX-2", "组织编号": "ZZ-2", "参训人数": 4, "登记日期": "2021-06-02"},
        {"培训班编号": "PX-2", "组织编号": "ZZ-3", "参训人数": 1},  # not in that township
        {"培训班编号": "PX-1", "组织编号": "ZZ-2", "参训人数": 0},
        {"培训班编号": "PX-9", "组织编号": "ZZ-1", "参训人数": 1},
    ]
    path = fill(template, ledger, tmp_path / "台账.xlsx")
    expected = [
        ("培训班", 4, "培训班类别", "unknown_course_kind"),
        ("培训班", 5, "举办单位代码", "course_division"),
        ("培训班", 6, "结束日期", "course_dates_reversed"),
        ("参训", 5, "组织编号", "attendee_out_of_jurisdiction"),
        ("参训", 6, "参训人数", "invalid_trainees"),
        ("参训", 7, "培训班编号", "unknown_reference"),
    ]
    with stores_nothing(platform):
        dry = Import(platform, path, dry_run=True).run()
    assert [e for e in errors(dry) if e[0] in ("培训班", "参训")] == expected
    messages = {e.code: e.message for e in dry.errors}
    assert messages["unknown_course_kind"].startswith("培训班类别")
    assert "辖区" in messages["attendee_out_of_jurisdiction"]
    assert "“PX-9”" in messages["unknown_reference"]

    done = Import(platform, path).run()
    assert [e for e in errors(done) if e[0] in ("培训班", "参训")] == expected
    assert done.tallies["培训班"].recorded == 2 and done.tallies["参训"].recorded == 3
    with platform.tiers[Tier.COUNTY].db.transaction() as tx:
        held = tx.all("SELECT division_code, kind FROM training_course ORDER BY starts_on")
        trained = tx.one("SELECT sum(trainees) AS n FROM training_attendance")
    assert held == [
        {"division_code": COUNTY, "kind": "leaders"},
        {"division_code": TOWNSHIP, "kind": "core_staff"},
    ]
    assert trained == {"n": 3 + 2 + 4}
    again = Import(platform, fill(template, ledger, tmp_path / "again.xlsx")).run()
    assert again.tallies["培训班"].present == 2 and again.tallies["参训"].present == 3
    assert again.tallies["参训"].recorded == 0


def test_a_chunk_holds_its_saves_and_answers_each_read_with_a_fresh_aggregate(
    platform: Platform,
) -> None:
    """What the import's chunks do to a tier application (bulk.py): a command's events are
    visible to the next command at once and stored when the chunk flushes; every read gets
    its own copy (a command that fails half-way leaves nothing behind); a chunk that ends in
    an error stores nothing."""
    app = platform.tiers[Tier.VILLAGE].app
    before = heads(platform)[Tier.VILLAGE]
    with chunked(app) as chunk:
        made = app.apply_for_filing(
            VILLAGE, "甲队", "为民服务", date(2025, 1, 1), meta(village_op())
        )
        assert heads(platform)[Tier.VILLAGE] == before  # held in the chunk
        copy = app.find(made.id)
        assert copy is not None and copy.name == "甲队"
        copy.name = "改坏了"  # what a failing command might leave in its own copy
        assert app.find(made.id).name == "甲队"
        chunk.flush()
        assert heads(platform)[Tier.VILLAGE] == before + 1
        assert chunk.events == {} and chunk.pending == []  # forgotten: memory stays flat
    assert type(app).save is not None and "save" not in vars(app)  # the methods are back
    with pytest.raises(RuntimeError), chunked(app):
        app.apply_for_filing(VILLAGE, "乙队", "为民服务", date(2025, 1, 1), meta(village_op()))
        raise RuntimeError("the import stops here")
    assert heads(platform)[Tier.VILLAGE] == before + 1
