"""Jurisdiction file: the demo county loads; a bad file stops with a message naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.kernel.jurisdiction import (
    Area,
    JurisdictionError,
    Tier,
    contains,
    load,
    prefix_of,
    tier_of,
)

HEADER = "code,name,area,registered_population,resident_population"
COUNTY = "330699000000,示范县,,,"
TOWNSHIP = "330699001000,城关街道,,,"
VILLAGE = "330699001001,文昌社区,urban,5813,5578"


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "county.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_demo_county_loads() -> None:
    j = load()
    assert j.county.code == "330699000000"
    assert len([d for d in j.divisions.values() if d.tier is Tier.COUNTY]) == 1
    assert len(j.townships()) == 5
    assert len(j.villages()) == 26
    assert len(j.divisions) == 32
    assert {d.tier for d in j.townships()} == {Tier.TOWNSHIP}
    assert len(j.villages(within="330699001000")) == 6
    assert all(v.parent == v.code[:9] + "000" for v in j.villages())
    assert all(v.area in (Area.URBAN, Area.RURAL) for v in j.villages())
    assert sum(v.resident_population for v in j.villages()) > 0


def test_division_codes() -> None:
    assert tier_of("330699000000") is Tier.COUNTY
    assert tier_of("330699001000") is Tier.TOWNSHIP
    assert tier_of("330699001001") is Tier.VILLAGE
    assert prefix_of("330699001000") == "330699001"
    assert contains("330699000000", "330699101003")
    assert contains("330699001000", "330699001006")
    assert not contains("330699001000", "330699002001")
    assert not contains("330699001001", "330699001002")
    with pytest.raises(ValueError):
        tier_of("33069900100")


def test_small_valid_file_with_comments(tmp_path: Path) -> None:
    j = load(write(tmp_path, "# comment", HEADER, COUNTY, "", TOWNSHIP, VILLAGE))
    assert [d.code for d in j.villages()] == ["330699001001"]
    village = j.get("330699001001")
    assert village is not None
    assert (village.registered_population, village.resident_population) == (5813, 5578)


@pytest.mark.parametrize(
    ("lines", "line", "fragment"),
    [
        pytest.param([COUNTY, TOWNSHIP, VILLAGE, VILLAGE], 5, "duplicate", id="duplicate-code"),
        pytest.param(
            [COUNTY, TOWNSHIP, "330699002001,东山社区,urban,1,1"],
            4,
            "330699002000",
            id="village-without-township",
        ),
        pytest.param(
            [COUNTY, TOWNSHIP, "33069900100,短码社区,urban,1,1"], 4, "12 digits", id="11-digits"
        ),
        pytest.param(
            [COUNTY, TOWNSHIP, "3306990010011,长码社区,urban,1,1"], 4, "12 digits", id="13-digits"
        ),
        pytest.param(
            [COUNTY, TOWNSHIP, "33069900100A,字母社区,urban,1,1"], 4, "12 digits", id="letter"
        ),
        pytest.param(
            [COUNTY, TOWNSHIP, "330699001001,文昌社区,town,1,1"], 4, "area", id="bad-area"
        ),
        pytest.param(
            [COUNTY, TOWNSHIP, "330699001001,文昌社区,,1,1"], 4, "area", id="missing-area"
        ),
        pytest.param(
            [COUNTY, TOWNSHIP, "330699001001,文昌社区,urban,-5,1"],
            4,
            "registered_population",
            id="negative-population",
        ),
        pytest.param(
            [COUNTY, TOWNSHIP, "330699001001,文昌社区,urban,12,many"],
            4,
            "resident_population",
            id="non-numeric-population",
        ),
        pytest.param(
            [COUNTY, TOWNSHIP, "330699001001,文昌社区,urban,1.5,1"],
            4,
            "registered_population",
            id="fractional-population",
        ),
        pytest.param([COUNTY, "330699001000,,,,"], 3, "no name", id="no-name"),
    ],
)
def test_bad_line_is_named(tmp_path: Path, lines: list[str], line: int, fragment: str) -> None:
    with pytest.raises(JurisdictionError) as raised:
        load(write(tmp_path, HEADER, *lines))
    message = str(raised.value)
    assert f"county.csv line {line}:" in message
    assert fragment in message


def test_line_numbers_count_comments_and_blank_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path, "# header comment", "", HEADER, COUNTY, "# note", TOWNSHIP, VILLAGE, VILLAGE
    )
    with pytest.raises(JurisdictionError, match=r"line 8: duplicate division code 330699001001"):
        load(path)


def test_village_directly_under_the_county_has_no_township(tmp_path: Path) -> None:
    # Township segment 000 does not exist: the village's township is missing.
    with pytest.raises(JurisdictionError, match="line 3"):
        load(write(tmp_path, HEADER, COUNTY, "330699000001,无乡村,rural,1,1"))


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        ([TOWNSHIP], "parent 330699000000"),  # no county above it
        ([COUNTY, "330698000000,另一县,,,"], "exactly one county"),
        ([], "exactly one county"),
    ],
)
def test_whole_file_checks(tmp_path: Path, lines: list[str], fragment: str) -> None:
    with pytest.raises(JurisdictionError, match=fragment):
        load(write(tmp_path, HEADER, *lines))


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(JurisdictionError, match="empty"):
        load(write(tmp_path, "# only a comment"))
