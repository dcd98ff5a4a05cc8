"""Rules over time (issue 12 item 4): a report or command dated before the first version of a
rule family answers a clear result, never a 500 — reports show the figures depending on it as
not applicable; commands that need it are refused with 409 ``rule_not_in_force``.

These run with the national rules alone (the demo rules file without its legacy versions from
2016, ADR 0018), so the dates before each national rule stay before every version.
``test_rules_back_in_time.py`` covers the legacy versions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from shared.reporting.export import NOT_APPLICABLE as LABEL
from tests.helpers import (
    COUNTY,
    TOWNSHIP,
    VILLAGE,
    Api,
    History,
    MovableClock,
    build_platform,
    county_op,
    rules_file,
    seed_history,
)

OLD = "as_of=2015-06-30&from=2015-01-01&to=2015-06-30"
# Before the credit rule (2018-03-01), after the others (2017-12-27).
BEFORE_CREDIT = "as_of=2018-01-31&from=2018-01-01&to=2018-01-31"
WITHHELD = {"density.meeting_standard", "zombies.count", "ranking.avg_total", "ratings.graded"}


@pytest.fixture
def api(tmp_path: Path, clock: MovableClock | None, backdate_days: int) -> Iterator[Api]:
    """The conftest's platform, with the national rules alone."""
    national = rules_file(tmp_path / "national.json", legacy=False)
    p = build_platform(tmp_path / "data", clock, backdate_days, rules_file=national)
    p.start()
    yield Api.of(p)
    p.stop()


@pytest.fixture
def seeded(api: Api) -> tuple[Api, History]:
    history = seed_history(api.platform)
    api.settle()
    return api, history


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response


def test_a_report_before_every_rule_shows_its_figures_as_not_applicable(
    seeded: tuple[Api, History],
) -> None:
    api, _ = seeded
    headers = api.auth(county_op())
    body = ok(api.county.get(f"/api/v1/reports/{COUNTY}?{OLD}", headers=headers)).json()
    na = body["not_applicable"]
    assert set(na) >= WITHHELD
    assert na["zombies.count"]["reason"] == "rule_not_in_force"
    assert na["zombies.count"]["family"] == "zombie"
    assert "2017-12-27" in na["zombies.count"]["message"]
    assert body["figures"]["zombies"]["count"] is None
    assert body["figures"]["density"]["meeting_standard"] is None
    assert body["figures"]["ranking"]["avg_total"] is None
    # Figures that need no rule are still numbers.
    assert isinstance(body["figures"]["organisations"]["active"], int)
    assert set(body["rule_versions"].values()) == {"rule_not_in_force"}
    for child in body["children"]:
        assert child["figures"]["zombies"]["count"] is None
    township = ok(api.county.get(f"/api/v1/reports/{TOWNSHIP}?{OLD}", headers=headers)).json()
    village = ok(
        api.county.get(township["links"]["self"].replace(TOWNSHIP, VILLAGE), headers=headers)
    ).json()
    for line in village["children"]:
        org = ok(api.county.get(line["links"]["report"], headers=headers)).json()
        assert org["ranking"] is None and org["zombie"] is None
        assert org["figures"]["zombies"]["count"] is None
    zombies = ok(api.county.get(f"/api/v1/reports/{COUNTY}/zombies?{OLD}", headers=headers)).json()
    assert zombies["count"] is None and zombies["organisations"] == []
    assert zombies["not_applicable"]["family"] == "zombie"
    ranked = ok(api.county.get(f"/api/v1/reports/{COUNTY}/ranking?{OLD}", headers=headers)).json()
    assert ranked["total"] is None and ranked["not_applicable"]["family"] == "ranking"
    for fmt in ("csv", "xlsx"):
        ok(api.county.get(f"/api/v1/reports/{COUNTY}/zombies?{OLD}&format={fmt}", headers=headers))
    ok(api.county.get(f"/api/v1/reconciliation/{COUNTY}?{OLD}", headers=headers))


def test_exports_print_not_applicable(seeded: tuple[Api, History]) -> None:
    api, _ = seeded
    headers = api.auth(county_op())
    get = lambda fmt: ok(  # noqa: E731
        api.county.get(f"/api/v1/reports/{COUNTY}/export.{fmt}?{OLD}", headers=headers)
    )
    text = get("csv").content.decode("utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(text)) if any(LABEL in c for c in r)]
    assert rows, text[:500]
    book = load_workbook(io.BytesIO(get("xlsx").content))
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert LABEL in cells
    assert "不适用" in get("html").text
    assert get("json").json()["not_applicable"]


def test_a_report_before_the_credit_rule_withholds_only_the_credit_lists(
    seeded: tuple[Api, History],
) -> None:
    api, _ = seeded
    headers = api.auth(county_op())
    body = ok(api.county.get(f"/api/v1/reports/{COUNTY}?{BEFORE_CREDIT}", headers=headers)).json()
    assert set(body["not_applicable"]) == {"supervision.abnormal_list", "supervision.serious_list"}
    assert body["rule_versions"]["credit"] == "rule_not_in_force"
    assert body["figures"]["supervision"]["abnormal_list"] is None
    assert isinstance(body["figures"]["zombies"]["count"], int)


def test_a_report_with_every_rule_in_force_keeps_its_shape(seeded: tuple[Api, History]) -> None:
    api, _ = seeded
    body = ok(
        api.county.get(f"/api/v1/reports/{COUNTY}?period=2026", headers=api.auth(county_op()))
    )
    assert "not_applicable" not in body.json()


def test_an_old_report_is_issued_and_reproduced_exactly(seeded: tuple[Api, History]) -> None:
    api, _ = seeded
    headers = api.auth(county_op())
    issued = ok(
        api.county.post(
            f"/api/v1/reports/{COUNTY}/issue?{OLD}", json={"title": "2015年上半年"}, headers=headers
        ),
        201,
    ).json()
    assert issued["report"]["not_applicable"]
    api.settle()  # the record of the issued report is read from the read model
    check = ok(
        api.county.get(
            f"/api/v1/issued-reports/{issued['report_id']}/reproduction", headers=headers
        )
    ).json()
    assert check["reproduced"] is True
