"""The division tree on a date: the jurisdiction file plus recorded changes (ADR 0005)."""

from __future__ import annotations

from datetime import date

import pytest

from shared.capabilities.divisions.history import Change, NewDivision, check_next, tree_on
from shared.kernel.domain import DomainError
from shared.kernel.integration.events import DivisionChangeKind as Kind
from shared.kernel.jurisdiction import Area, Jurisdiction, Tier, load

BASE = load()
WENCHANG = "330699001001"  # 文昌社区 (urban, 城关街道)
NANMEN = "330699001002"  # 南门社区 (urban, 城关街道)
QINGXI = "330699101001"  # 青溪村 (rural, 青溪镇)
SHANGTANG = "330699101002"  # 上塘村 (rural, 青溪镇)
CHENGGUAN = "330699001000"
QINGXI_TOWN = "330699101000"
D1, D2, D3 = date(2025, 3, 1), date(2025, 6, 1), date(2025, 9, 1)


def change(kind: Kind, code: str, on: date, seq: int, **fields: object) -> Change:
    return Change(kind, code, on, seq, **fields)  # type: ignore[arg-type]


def test_without_changes_the_tree_is_the_file() -> None:
    tree = tree_on(BASE, [], D1)
    assert tree.divisions == BASE.divisions and tree.aliases == {}
    assert tree.in_force_on == D1 and tree.changes_applied == 0


def test_rename_applies_from_its_effective_date() -> None:
    renamed = [change(Kind.RENAME, WENCHANG, D2, 1, name="文昌新社区")]
    assert tree_on(BASE, renamed, date(2025, 5, 31)).divisions[WENCHANG].name == "文昌社区"
    assert tree_on(BASE, renamed, D2).divisions[WENCHANG].name == "文昌新社区"
    assert tree_on(BASE, renamed, D3).divisions[WENCHANG].name == "文昌新社区"
    assert tree_on(BASE, renamed, D3).changes_applied == 1


def test_reclassify_moves_a_village_between_urban_and_rural_on_its_date() -> None:
    changes = [change(Kind.RECLASSIFY, QINGXI, D2, 1, area="urban")]
    assert tree_on(BASE, changes, D1).divisions[QINGXI].area is Area.RURAL
    assert tree_on(BASE, changes, D2).divisions[QINGXI].area is Area.URBAN


def test_create_adds_a_division_under_the_parent_its_code_implies() -> None:
    new = "330699101007"
    changes = [
        change(
            Kind.CREATE,
            new,
            D2,
            1,
            name="新村",
            area="rural",
            registered_population=100,
            resident_population=120,
        )
    ]
    assert tree_on(BASE, changes, D1).get(new) is None
    tree = tree_on(BASE, changes, D2)
    division = tree.divisions[new]
    assert division.parent == QINGXI_TOWN and division.tier is Tier.VILLAGE
    assert new in tree.children[QINGXI_TOWN]
    assert division.resident_population == 120


def test_merge_retires_codes_into_a_successor_even_in_another_township() -> None:
    changes = [change(Kind.MERGE, QINGXI, D2, 1, merged=(WENCHANG,))]
    before = tree_on(BASE, changes, date(2025, 5, 31))
    assert WENCHANG in before.divisions and before.aliases == {}
    after = tree_on(BASE, changes, D2)
    assert WENCHANG not in after.divisions and WENCHANG not in after.children[CHENGGUAN]
    assert after.aliases == {WENCHANG: QINGXI}
    assert after.resolve(WENCHANG) == QINGXI and after.township_of(WENCHANG) == QINGXI_TOWN
    # Populations of the merged village are added to the successor.
    assert after.divisions[QINGXI].resident_population == 3522 + 5578


def test_split_creates_divisions_and_a_retired_code_names_its_successor() -> None:
    parts = (
        NewDivision("330699101007", "青溪东村", "rural", 1000, 1500),
        NewDivision("330699101008", "青溪西村", "rural", 1610, 2022),
    )
    retired = [
        change(Kind.SPLIT, QINGXI, D2, 1, created=parts, successor="330699101008", retired=True)
    ]
    tree = tree_on(BASE, retired, D2)
    assert QINGXI not in tree.divisions and tree.aliases == {QINGXI: "330699101008"}
    assert {"330699101007", "330699101008"} <= set(tree.children[QINGXI_TOWN])
    kept = [change(Kind.SPLIT, QINGXI, D2, 1, created=parts[:1])]
    tree = tree_on(BASE, kept, D2)
    assert QINGXI in tree.divisions and "330699101007" in tree.divisions and not tree.aliases


def test_chains_of_changes_resolve_to_the_division_in_force() -> None:
    parts = (NewDivision("330699101007", "青溪新村", "rural", 10, 10),)
    changes = [
        change(Kind.MERGE, NANMEN, D1, 1, merged=(WENCHANG,)),
        change(Kind.MERGE, QINGXI, D2, 2, merged=(NANMEN,)),
        change(Kind.SPLIT, QINGXI, D3, 3, created=parts, successor=parts[0].code, retired=True),
        change(
            Kind.REPOPULATE, parts[0].code, D3, 4, registered_population=1, resident_population=2
        ),
    ]
    assert tree_on(BASE, changes, D1).aliases == {WENCHANG: NANMEN}
    assert tree_on(BASE, changes, D2).aliases == {WENCHANG: QINGXI, NANMEN: QINGXI}
    on_d3 = tree_on(BASE, changes, D3)
    assert on_d3.aliases == {c: parts[0].code for c in (WENCHANG, NANMEN, QINGXI)}
    assert on_d3.divisions[parts[0].code].resident_population == 2
    assert on_d3.changes_applied == 4
    assert on_d3.aliased_into(QINGXI_TOWN) == [WENCHANG, NANMEN]
    assert on_d3.patterns(CHENGGUAN) == ["330699001%"]


def test_the_file_tree_is_never_modified() -> None:
    tree_on(BASE, [change(Kind.MERGE, QINGXI, D1, 1, merged=(WENCHANG,))], D1)
    assert WENCHANG in BASE.divisions and BASE.aliases == {}
    assert BASE.divisions[QINGXI].resident_population == 3522


def _refused(change_: Change, changes: list[Change] | None = None) -> str:
    with pytest.raises(DomainError) as e:
        check_next(BASE, changes or [], change_)
    return e.value.code


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (change(Kind.RENAME, "330699001099", D2, 0, name="x"), "unknown_division"),
        (change(Kind.RENAME, WENCHANG, D2, 0, name="文昌社区"), "division_unchanged"),
        (change(Kind.RECLASSIFY, CHENGGUAN, D2, 0, area="rural"), "not_a_village"),
        (change(Kind.RECLASSIFY, WENCHANG, D2, 0, area="urban"), "division_unchanged"),
        (change(Kind.MERGE, WENCHANG, D2, 0, merged=(WENCHANG,)), "merge_into_itself"),
        (change(Kind.MERGE, WENCHANG, D2, 0, merged=(QINGXI_TOWN,)), "division_tier_mismatch"),
        (change(Kind.MERGE, QINGXI_TOWN, D2, 0, merged=(CHENGGUAN,)), "division_not_empty"),
        (change(Kind.MERGE, WENCHANG, D2, 0, merged=(NANMEN, NANMEN)), "duplicate_division_code"),
        (
            change(Kind.CREATE, WENCHANG, D2, 0, name="x", area="urban"),
            "division_exists",
        ),
        (
            change(Kind.CREATE, "330699301001", D2, 0, name="x", area="rural"),
            "unknown_parent",
        ),
        (
            change(Kind.CREATE, "330699101009", D2, 0, name="x", parent=CHENGGUAN),
            "parent_mismatch",
        ),
        (change(Kind.CREATE, "330699101009", D2, 0, name="x"), "village_needs_area"),
        (
            change(
                Kind.SPLIT,
                WENCHANG,
                D2,
                0,
                created=(NewDivision("330699001009", "x", "urban", 1, 1),),
                retired=True,
            ),
            "invalid_successor",
        ),
        (
            change(Kind.SPLIT, WENCHANG, D2, 0, created=(NewDivision("330699009000", "x"),)),
            "division_tier_mismatch",
        ),
    ],
)
def test_impossible_changes_are_refused_with_a_code(bad: Change, code: str) -> None:
    assert _refused(bad) == code


def test_a_retired_code_is_neither_changed_nor_reused() -> None:
    merged = [change(Kind.MERGE, NANMEN, D1, 1, merged=(WENCHANG,))]
    assert _refused(change(Kind.RENAME, WENCHANG, D2, 0, name="x"), merged) == "division_retired"
    reuse = change(Kind.CREATE, WENCHANG, D2, 0, name="x", area="urban")
    assert _refused(reuse, merged) == "division_exists"
    # Changes are appended to history, never inserted before the last one.
    late = change(Kind.RENAME, NANMEN, date(2025, 2, 1), 0, name="南门新社区")
    assert _refused(late, merged) == "effective_before_last_change"
    check_next(BASE, merged, change(Kind.RENAME, NANMEN, D1, 0, name="南门新社区"))


def test_a_township_merges_once_its_villages_are_gone() -> None:
    town = "330699201000"  # 云岭乡, villages 201001..201004
    villages = tuple(f"330699201{n:03d}" for n in range(1, 5))
    changes = [change(Kind.MERGE, QINGXI, D1, 1, merged=villages)]
    check_next(BASE, changes, change(Kind.MERGE, QINGXI_TOWN, D2, 0, merged=(town,)))
    tree = tree_on(BASE, [*changes, change(Kind.MERGE, QINGXI_TOWN, D2, 2, merged=(town,))], D2)
    assert town not in tree.divisions and tree.aliases[town] == QINGXI_TOWN
    assert isinstance(tree, Jurisdiction) and tree.county.code == "330699000000"
