"""One report, four renderings (issue 12 item 1): the JSON API, the CSV, the XLSX and the
printable HTML all come from the same typed ``DivisionReport``, so each shows the same value
for a figure — a count, a 0, a rate, an amount, and on a 2015 as-of date (before every rule)
a figure that is not applicable."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from shared.reporting.catalogue import GROUPS, flatten, lookup
from shared.reporting.export import NOT_APPLICABLE, format_value
from tests.helpers import COUNTY, Api, History, county_op, seed_history

NOW = "period=2026"
OLD = "as_of=2015-06-30&from=2015-01-01&to=2015-06-30"  # before every rule family


@pytest.fixture
def seeded(api: Api) -> tuple[Api, History]:
    history = seed_history(api.platform)
    api.settle()
    return api, history


def fetch(api: Api, path: str) -> Any:
    response = api.county.get(path, headers=api.auth(county_op()))
    assert response.status_code == 200, response.text
    return response


def group_zh(key: str) -> str:
    return next(g.zh for g in GROUPS if g.key == key.split(".", 1)[0])


def csv_cells(body: bytes) -> dict[tuple[str, str], str]:
    """(group, metric) → the division's own column (the first after the four fixed ones)."""
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    table = rows[rows.index([]) + 2 :]
    # The table ends at the next blank line (the table by theme follows it, ADR 0019).
    table = table[: table.index([])] if [] in table else table
    return {(r[0], r[1]): r[4] for r in table}


def xlsx_cells(body: bytes) -> dict[tuple[str, str], object]:
    sheet = load_workbook(io.BytesIO(body))["报表"]
    return {(r[0], r[1]): r[4] for r in sheet.iter_rows(min_row=2, values_only=True)}


def html_cell(page: str, key: str) -> str:
    """The division's own cell of a figure's row in its group's table."""
    start = page.index(f'id="group-{key.split(".", 1)[0]}"')
    section = page[start : page.index("</section>", start)]
    zh = re.escape(html.escape(lookup(key).zh))
    m = re.search(
        rf'<th class="metric" scope="row">{zh}</th><td class="unit">[^<]*</td>'
        r'<td class="num[^"]*">([^<]*)</td>',
        section,
    )
    assert m, key
    return html.unescape(m.group(1))


def renderings(api: Api, query: str) -> tuple[dict[str, Any], dict[str, object], Any, Any, str]:
    base = f"/api/v1/reports/{COUNTY}"
    body = fetch(api, f"{base}?{query}").json()
    return (
        body,
        flatten(body["figures"]),
        csv_cells(fetch(api, f"{base}/export.csv?{query}").content),
        xlsx_cells(fetch(api, f"{base}/export.xlsx?{query}").content),
        fetch(api, f"{base}/export.html?{query}").text,
    )


def check_same(api: Api, query: str, keys: list[str]) -> dict[str, object]:
    body, figures, in_csv, in_xlsx, page = renderings(api, query)
    withheld = body.get("not_applicable") or {}
    for key in keys:
        row = (group_zh(key), lookup(key).zh)
        unit = lookup(key).unit
        if key in withheld:
            assert figures[key] is None, key
            assert in_csv[row] == NOT_APPLICABLE, key
            assert in_xlsx[row] == NOT_APPLICABLE, key
            assert html_cell(page, key) == NOT_APPLICABLE, key
            continue
        value = figures[key]
        assert in_csv[row] == format_value(value, unit), key
        assert in_xlsx[row] == (pytest.approx(value) if value is not None else None), key
        assert html_cell(page, key) == format_value(value, unit, blank="—", grouping=True), key
    return figures


def test_api_csv_xlsx_and_html_show_the_same_figures(seeded: tuple[Api, History]) -> None:
    api, _ = seeded
    _, figures, *_ = renderings(api, NOW)
    zero = next(k for k, v in figures.items() if v == 0 and type(v) is int)
    counts = [k for k, v in figures.items() if type(v) is int and v > 0]
    assert counts, figures
    keys = [
        "organisations.active",
        zero,
        "party_building.party_clause_rate",
        "funding.awarded_yuan",
        "zombies.count",
        "density.meeting_standard",
    ]
    seen = check_same(api, NOW, keys)
    assert seen["organisations.active"] and seen[zero] == 0


def test_a_figure_not_applicable_in_2015_reads_so_in_every_format(
    seeded: tuple[Api, History],
) -> None:
    api, _ = seeded
    body, figures, *_ = renderings(api, OLD)
    assert "zombies.count" in body["not_applicable"]
    # Withheld figures, and figures needing no rule (a number, 0 in 2015) side by side.
    seen = check_same(
        api, OLD, ["zombies.count", "density.meeting_standard", "organisations.active"]
    )
    assert seen["organisations.active"] == 0
