"""Division changes over HTTP (ADR 0005): recorded by the county, seen by every tier, and
reports on the tree as it was or as it is now — history is never rewritten."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from shared.kernel.domain import Actor
from tests.helpers import (
    COUNTY,
    HISTORY_BACKDATE_DAYS,
    RURAL_TOWNSHIP,
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    VILLAGE_2,
    Api,
    county_op,
    today_cst,
    township_op,
    village_op,
)


@pytest.fixture
def backdate_days() -> int:
    return HISTORY_BACKDATE_DAYS  # this module loads history years back through the API


TODAY = today_cst()
EARLY = TODAY - timedelta(days=200)  # organisations filed
CHANGED = TODAY - timedelta(days=30)  # the division change takes effect
BEFORE = CHANGED - timedelta(days=1)
CHANGES = "/api/v1/divisions/changes"
# Figure groups counted from the rows, whichever tree they are taken on.
ROW_GROUPS = ("activity", "supervision", "funding", "ratings", "zombies")


def post(api: Api, client: Any, path: str, body: dict[str, Any], actor: Actor) -> Any:
    return client.post(path, json=body, headers=api.auth(actor))


def get(api: Api, client: Any, path: str, actor: Actor | None = None) -> Any:
    response = client.get(path, headers=api.auth(actor or county_op()))
    assert response.status_code == 200, response.text
    return response.json()


def file_group(api: Api, village: str, name: str) -> str:
    """A group applied at ``village`` and filed by its township, both on EARLY; one activity."""
    body = {
        "village_code": village,
        "name": name,
        "field": "culture_sports",
        "founded_on": str(EARLY - timedelta(days=10)),
        "effective_on": str(EARLY),
    }
    applied = post(api, api.village, "/api/v1/filing-applications", body, village_op(village))
    assert applied.status_code == 201, applied.text
    org = str(applied.json()["id"])
    api.settle()
    decision = {"decision": "filed", "effective_on": str(EARLY)}
    path = f"/api/v1/organisations/{org}/filing-decision"
    filed = post(api, api.township, path, decision, township_op(village[:9] + "000"))
    assert filed.status_code == 201, filed.text
    api.settle()
    activity = {
        "occurred_on": str(EARLY + timedelta(days=5)),
        "field": "culture_sports",
        "participants": 10,
        "volunteers": 2,
        "volunteer_services": 3,
        "volunteer_hours": "4.5",
        "beneficiaries": 30,
        "money_spent": "100",
    }
    path = f"/api/v1/organisations/{org}/activities"
    assert post(api, api.village, path, activity, village_op(village)).status_code == 201
    # Reports and a return's figures are read models: callers read them next (a report taken
    # "before" a change, a return refused while the village's own store is ahead of them).
    api.settle()
    return org


def change(api: Api, body: dict[str, Any], status: int = 201, key: str | None = None) -> Any:
    headers = api.auth(county_op(), key)
    response = api.county.post(CHANGES, json=body, headers=headers)
    assert response.status_code == status, response.text
    api.settle()
    return response.json()


def report(api: Api, code: str, as_of: date, tree: str = "as_of") -> dict[str, Any]:
    return get(api, api.county, f"/api/v1/reports/{code}?as_of={as_of}&tree={tree}")


def line(body: dict[str, Any], code: str) -> dict[str, Any]:
    figures: dict[str, Any] = next(c for c in body["children"] if c["code"] == code)["figures"]
    return figures


def active(figures: dict[str, Any]) -> int:
    return int(figures["organisations"]["active"])


@pytest.fixture
def merged(api: Api) -> tuple[Api, list[str]]:
    """Two groups in 文昌社区 (urban, 城关街道), one in 青溪村 (rural, 青溪镇); then 文昌社区
    is merged into 青溪村 — a successor in another township — from CHANGED."""
    orgs = [
        file_group(api, VILLAGE, "文昌合唱团"),
        file_group(api, VILLAGE, "文昌棋社"),
        file_group(api, RURAL_VILLAGE, "青溪龙舟队"),
    ]
    return api, orgs


def test_a_merge_moves_records_on_later_trees_and_leaves_earlier_reports_alone(
    merged: tuple[Api, list[str]],
) -> None:
    api, orgs = merged
    before = report(api, COUNTY, BEFORE)
    before_township = report(api, RURAL_TOWNSHIP, BEFORE)
    merge = {"kind": "merge", "codes": [VILLAGE], "into": RURAL_VILLAGE}
    change(api, {**merge, "effective_on": str(CHANGED)})

    # The as-was tree before the merge date: exactly the report of before the merge.
    again = report(api, COUNTY, BEFORE)
    assert again["tree"] == {
        "basis": "as_of",
        "on": str(BEFORE),
        "changes_applied": 0,
        "retired": {},
    }
    assert again["figures"] == before["figures"] and again["children"] == before["children"]
    assert report(api, RURAL_TOWNSHIP, BEFORE)["children"] == before_township["children"]

    # The current tree on the same day: 文昌社区's groups count in 青溪村, 青溪镇.
    current = report(api, COUNTY, BEFORE, "current")
    assert current["tree"]["basis"] == "current" and current["tree"]["on"] == str(TODAY)
    assert current["tree"]["retired"] == {VILLAGE: RURAL_VILLAGE}
    assert active(current["figures"]) == active(before["figures"]) == 3
    for group in ROW_GROUPS:
        assert current["figures"][group] == before["figures"][group], group
    assert active(line(before, TOWNSHIP)) == 2 and active(line(current, TOWNSHIP)) == 0
    assert active(line(before, RURAL_TOWNSHIP)) == 1 and active(line(current, RURAL_TOWNSHIP)) == 3
    assert line(current, RURAL_TOWNSHIP)["activity"]["activities"] == 3
    # The successor is rural: on the current tree the groups are rural groups.
    assert before["figures"]["organisations"]["urban"] == 2
    assert current["figures"]["organisations"]["rural"] == 3
    assert current["figures"]["density"]["villages"] == before["figures"]["density"]["villages"] - 1
    assert (
        current["figures"]["density"]["resident_population"]
        == before["figures"]["density"]["resident_population"]
    )
    township = report(api, RURAL_TOWNSHIP, BEFORE, "current")
    assert active(line(township, RURAL_VILLAGE)) == 3
    village = report(api, RURAL_VILLAGE, BEFORE, "current")
    assert {c["org_id"] for c in village["children"]} == set(orgs)
    assert all(c["name"] for c in village["children"])
    assert village["links"]["self"].endswith("&tree=current")

    # On or after the merge date, the as-was tree is the merged one too.
    after = report(api, COUNTY, TODAY)
    assert after["tree"]["retired"] == {VILLAGE: RURAL_VILLAGE}
    assert active(line(after, RURAL_TOWNSHIP)) == 3 and active(line(after, TOWNSHIP)) == 0

    # The retired village: reported on a tree where it exists, 404 on the others.
    assert active(report(api, VILLAGE, BEFORE)["figures"]) == 2
    response = api.county.get(f"/api/v1/reports/{VILLAGE}", headers=api.auth(county_op()))
    assert response.status_code == 404 and RURAL_VILLAGE in response.json()["error"]["message"]


def test_lists_reconciliation_and_organisations_follow_the_tree(
    merged: tuple[Api, list[str]],
) -> None:
    api, orgs = merged
    change(api, {"kind": "merge", "codes": [VILLAGE], "into": RURAL_VILLAGE})
    for tree in ("as_of", "current"):
        q = f"as_of={BEFORE}&tree={tree}"
        body = get(api, api.county, f"/api/v1/reconciliation/{COUNTY}?{q}")
        assert body["ok"], body["mismatches"]
        assert body["tree"]["basis"] == tree
        ranked = get(api, api.county, f"/api/v1/reports/{RURAL_TOWNSHIP}/ranking?{q}")
        assert len(ranked["organisations"]) == (1 if tree == "as_of" else 3)
    moved = get(api, api.county, f"/api/v1/reports/{RURAL_TOWNSHIP}/ranking")["organisations"]
    assert {e["village_in_tree"] for e in moved} == {RURAL_VILLAGE}
    assert {e["village_code"] for e in moved} == {VILLAGE, RURAL_VILLAGE}  # as recorded
    assert {e["township_code"] for e in moved} == {RURAL_TOWNSHIP}
    listed = get(api, api.county, f"/api/v1/organisations?division={RURAL_TOWNSHIP}")
    assert {o["org_id"] for o in listed["organisations"]} == set(orgs)
    listed = get(api, api.county, f"/api/v1/organisations?division={TOWNSHIP}")
    assert listed["organisations"] == []
    organisation = get(api, api.county, f"/api/v1/reports/organisations/{orgs[0]}")
    assert organisation["village_in_tree"] == RURAL_VILLAGE
    assert organisation["organisation"]["village_code"] == VILLAGE  # history kept
    assert organisation["ranking"]["township_code"] == RURAL_TOWNSHIP
    csv_body = api.county.get(
        f"/api/v1/reports/{RURAL_TOWNSHIP}/export.csv?tree=current",
        headers=api.auth(county_op()),
    ).content.decode("utf-8-sig")
    assert "区划树" in csv_body and "现行区划" in csv_body


def test_every_tier_serves_the_changes_and_the_tree_on_a_date(
    merged: tuple[Api, list[str]],
) -> None:
    api, _ = merged
    change(
        api,
        {"kind": "merge", "codes": [VILLAGE], "into": RURAL_VILLAGE, "effective_on": str(CHANGED)},
    )
    for client, actor in (
        (api.county, county_op()),
        (api.township, township_op()),
        (api.village, village_op()),
    ):
        (recorded,) = get(api, client, CHANGES, actor)["changes"]
        assert recorded["kind"] == "merge" and recorded["effective_on"] == str(CHANGED)
        assert recorded["merged"] == [VILLAGE] and recorded["code"] == RURAL_VILLAGE
        was = get(api, client, f"/api/v1/divisions?on={BEFORE}", actor)
        assert VILLAGE in {d["code"] for d in was["divisions"]} and was["retired"] == {}
        now = get(api, client, f"/api/v1/divisions?on={CHANGED}", actor)
        assert VILLAGE not in {d["code"] for d in now["divisions"]}
        assert now["retired"] == {VILLAGE: RURAL_VILLAGE}


def test_a_reclassification_moves_urban_and_rural_lines_from_its_date(api: Api) -> None:
    file_group(api, VILLAGE, "文昌合唱团")
    day_before = report(api, COUNTY, BEFORE)["figures"]
    change(
        api, {"kind": "reclassify", "code": VILLAGE, "area": "rural", "effective_on": str(CHANGED)}
    )
    assert report(api, COUNTY, BEFORE)["figures"] == day_before
    assert day_before["organisations"]["urban"] == 1 and day_before["organisations"]["rural"] == 0
    for as_of in (CHANGED, TODAY):
        figures = report(api, COUNTY, as_of)["figures"]
        assert figures["organisations"]["urban"] == 0 and figures["organisations"]["rural"] == 1
        assert (
            figures["density"]["urban_communities"]
            == day_before["density"]["urban_communities"] - 1
        )
        assert figures["density"]["rural_villages"] == day_before["density"]["rural_villages"] + 1
    current = report(api, COUNTY, BEFORE, "current")["figures"]
    assert current["organisations"]["rural"] == 1  # the current tree, even for an earlier day


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "merge", "codes": [VILLAGE], "into": VILLAGE}, 422, "merge_into_itself"),
        ({"kind": "merge", "codes": [TOWNSHIP], "into": VILLAGE}, 422, "division_tier_mismatch"),
        ({"kind": "rename", "code": "330699001099", "name": "x"}, 422, "unknown_division"),
        ({"kind": "rename", "code": "330799001001", "name": "x"}, 403, "out_of_jurisdiction"),
        ({"kind": "create", "code": VILLAGE, "name": "x", "area": "urban",
          "registered_population": 1, "resident_population": 1}, 409, "division_exists"),
        ({"kind": "reclassify", "code": VILLAGE, "area": "urban"}, 409, "division_unchanged"),
        ({"kind": "split", "code": VILLAGE, "retire": True,
          "into": [{"code": "330699001090", "name": "x", "area": "urban",
                    "registered_population": 1, "resident_population": 1}]},
         422, "invalid_successor"),
        ({"kind": "rename", "code": VILLAGE, "name": "x", "effective_on": "2999-01-01"},
         422, "date_in_future"),
        ({"kind": "move", "code": VILLAGE}, 422, "invalid_input"),
    ],
)  # fmt: skip
def test_impossible_changes_are_refused(
    api: Api, body: dict[str, Any], status: int, code: str
) -> None:
    response = api.county.post(CHANGES, json=body, headers=api.auth(county_op()))
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_changes_are_idempotent_ordered_and_only_for_county_operators(api: Api) -> None:
    rename = {"kind": "rename", "code": VILLAGE, "name": "文昌新社区", "effective_on": str(CHANGED)}
    first = change(api, rename, key="rename-1")
    again = change(api, rename, status=201, key="rename-1")
    assert again["replayed"] and again["version"] == first["version"] == 1
    late = {**rename, "name": "文昌老社区", "effective_on": str(BEFORE)}
    assert change(api, late, 409)["error"]["code"] == "effective_before_last_change"
    other = {"kind": "rename", "code": TOWNSHIP, "name": "城关新街道"}
    response = api.township.post(CHANGES, json=other, headers=api.auth(township_op()))
    assert response.status_code == 405  # no such command at the township service
    viewer = Actor("county-viewer", county_op().tier, COUNTY, role="viewer")
    response = api.county.post(CHANGES, json=other, headers=api.auth(viewer))
    assert response.json()["error"]["code"] == "role_forbidden"
    assert report(api, COUNTY, TODAY)["children"][0]["name"] == "城关街道"
    assert line(report(api, TOWNSHIP, TODAY), VILLAGE)  # still there, renamed
    names = {c["code"]: c["name"] for c in report(api, TOWNSHIP, TODAY)["children"]}
    assert names[VILLAGE] == "文昌新社区"
    assert {c["code"]: c["name"] for c in report(api, TOWNSHIP, BEFORE)["children"]}[
        VILLAGE
    ] == "文昌社区"


def test_new_records_go_to_divisions_in_force_on_their_effective_date(api: Api) -> None:
    """A created village takes records from its effective date; a merged one no longer does."""
    new_village = "330699001090"
    create = {
        "kind": "create",
        "code": new_village,
        "name": "文昌新社区",
        "area": "urban",
        "registered_population": 900,
        "resident_population": 1200,
        "effective_on": str(CHANGED),
    }
    change(api, create)
    change(
        api,
        {"kind": "merge", "codes": [VILLAGE], "into": RURAL_VILLAGE, "effective_on": str(TODAY)},
    )

    def apply(village: str, on: date) -> Any:
        body = {
            "village_code": village,
            "name": "新组织",
            "field": "services",
            "founded_on": str(on - timedelta(days=1)),
            "effective_on": str(on),
        }
        return post(api, api.village, "/api/v1/filing-applications", body, village_op(village))

    assert apply(new_village, CHANGED).status_code == 201
    before = apply(new_village, BEFORE)
    assert before.status_code == 422 and before.json()["error"]["code"] == "unknown_division"
    assert apply(VILLAGE, BEFORE).status_code == 201  # before the merge it still existed
    retired = apply(VILLAGE, TODAY)
    assert retired.status_code == 422, retired.text
    assert RURAL_VILLAGE in retired.json()["error"]["message"]  # names the successor


def test_the_successor_takes_over_a_merged_villages_organisations(api: Api) -> None:
    org = file_group(api, VILLAGE, "文昌合唱团")
    successor = village_op(RURAL_VILLAGE)
    activity = {
        "occurred_on": str(TODAY),
        "field": "culture_sports",
        "participants": 8,
        "volunteers": 1,
        "volunteer_services": 1,
        "volunteer_hours": "2",
        "beneficiaries": 20,
        "money_spent": "0",
    }
    path = f"/api/v1/organisations/{org}"
    assert api.village.get(path, headers=api.auth(successor)).status_code == 403
    refused = post(api, api.village, f"{path}/activities", activity, successor)
    assert refused.status_code == 403
    change(
        api,
        {"kind": "merge", "codes": [VILLAGE], "into": RURAL_VILLAGE, "effective_on": str(CHANGED)},
    )
    assert api.village.get(path, headers=api.auth(successor)).status_code == 200
    reported = post(api, api.village, f"{path}/activities", activity, successor)
    assert reported.status_code == 201, reported.text
    # The record keeps its recorded village; reports on the current tree count it under the
    # successor (history is not rewritten).
    assert get(api, api.village, path, successor)["village_code"] == VILLAGE
    # Another village's operator still may not.
    other = village_op(VILLAGE_2)
    assert api.village.get(path, headers=api.auth(other)).status_code == 403


def test_the_successor_reads_a_retired_villages_records_and_a_sibling_does_not(
    merged: tuple[Api, list[str]],
) -> None:
    """ADR 0005 through the one scope check (ADR 0014): after 文昌社区 is merged into 青溪村,
    青溪村's operator reads 文昌社区's organisation and return (once a 500: the route's own
    check read the division tree inside its read transaction); 南门社区's is refused."""
    api, orgs = merged
    period = (TODAY.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    submitted = post(
        api,
        api.village,
        "/api/v1/returns",
        {"kind": "activity_return", "division_code": VILLAGE, "period": period},
        village_op(),
    )
    assert submitted.status_code == 201, submitted.text
    change(api, {"kind": "merge", "codes": [VILLAGE], "into": RURAL_VILLAGE})
    paths = [
        f"/api/v1/organisations/{orgs[0]}",
        f"/api/v1/organisations/{orgs[0]}/timeline",
        f"/api/v1/reports/organisations/{orgs[0]}",
        f"/api/v1/returns/{submitted.json()['return_id']}",
    ]
    for path in paths:
        get(api, api.village, path, village_op(RURAL_VILLAGE))
        refused = api.village.get(path, headers=api.auth(village_op(VILLAGE_2)))
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["error"]["code"] == "out_of_jurisdiction"
