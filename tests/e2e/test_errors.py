"""Refusals through the HTTP APIs: status, error code, and nothing stored in any tier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest

from shared.capabilities.identity.tokens import Keyring
from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    RURAL_TOWNSHIP,
    VILLAGE,
    VILLAGE_2,
    Api,
    bearer,
    county_op,
    today_cst,
    township_op,
    usci,
    village_op,
)

APPLICATION = {
    "village_code": VILLAGE,
    "name": "文昌舞蹈队",
    "field": "culture_sports",
    "founded_on": "2025-03-01",
}
ACTIVITY = {
    "field": "culture_sports",
    "participants": 20,
    "volunteers": 3,
    "volunteer_services": 3,
    "volunteer_hours": "6.5",
    "beneficiaries": 50,
    "money_spent": "120.50",
}


def refused(api: Api, request: Callable[[], Any], status: int, code: str) -> dict[str, Any]:
    """Sends the request and asserts the refusal and that no tier stored anything."""
    before = api.heads()
    response = request()
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert api.heads() == before
    return body


def apply(api: Api, village: str = VILLAGE, **extra: Any) -> str:
    response = api.village.post(
        "/api/v1/filing-applications",
        json=APPLICATION | {"village_code": village} | extra,
        headers=api.auth(village_op(village)),
    )
    assert response.status_code == 201, response.text
    api.settle()
    return response.json()["organisation_id"]


def filed(api: Api, village: str = VILLAGE) -> str:
    org = apply(api, village)
    response = api.township.post(
        f"/api/v1/organisations/{org}/filing-decision",
        json={"decision": "filed"},
        headers=api.auth(township_op(village[:9] + "000")),
    )
    assert response.status_code == 201, response.text
    api.settle()
    return org


# ------------------------------------------------------------------ 422


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("51330699MJ0000001C", "usci_invalid"),
        ("51330699MJ000001B", "usci_invalid"),
        ("91110000600037341L", "usci_not_civil_affairs"),
    ],
)
def test_bad_usci(api: Api, code: str, reason: str) -> None:
    body = {"usci": code, "name": "社工站", "field": "services", "village_code": VILLAGE}
    refused(
        api,
        lambda: api.county.post("/api/v1/registrations", json=body, headers=api.auth(county_op())),
        422,
        reason,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("participants", -1),
        ("volunteers", -3),
        ("beneficiaries", -50),
        ("volunteer_hours", "-0.5"),
        ("money_spent", "-1"),
    ],
)
def test_negative_counts(api: Api, field: str, value: Any) -> None:
    org = filed(api)
    body = ACTIVITY | {"occurred_on": today_cst().isoformat(), field: value}
    error = refused(
        api,
        lambda: api.village.post(
            f"/api/v1/organisations/{org}/activities", json=body, headers=api.auth(village_op())
        ),
        422,
        "invalid_input",
    )
    assert [d["field"] for d in error["error"]["details"]] == [field]


def test_dates_in_the_future(api: Api) -> None:
    tomorrow = (today_cst() + timedelta(days=1)).isoformat()
    org = filed(api)
    auth = api.auth(village_op())
    refused(
        api,
        lambda: api.village.post(
            "/api/v1/filing-applications", json=APPLICATION | {"founded_on": tomorrow}, headers=auth
        ),
        422,
        "date_in_future",
    )
    refused(
        api,
        lambda: api.village.post(
            f"/api/v1/organisations/{org}/activities",
            json=ACTIVITY | {"occurred_on": tomorrow},
            headers=auth,
        ),
        422,
        "date_in_future",
    )
    refused(
        api,
        lambda: api.village.post(
            "/api/v1/filing-applications",
            json=APPLICATION | {"effective_on": tomorrow},
            headers=auth,
        ),
        422,
        "date_in_future",
    )
    refused(
        api,
        lambda: api.county.post(
            f"/api/v1/organisations/{org}/annual-reports",
            json={"year": today_cst().year + 1},
            headers=api.auth(county_op()),
        ),
        422,
        "date_in_future",
    )


def test_unknown_division(api: Api) -> None:
    # Below the county a division outside the account's own is refused before it is looked up
    # (ADR 0014); the county, which holds every code, learns that it does not exist.
    refused(
        api,
        lambda: api.village.post(
            "/api/v1/filing-applications",
            json=APPLICATION | {"village_code": "330699009001"},
            headers=api.auth(village_op()),
        ),
        403,
        "out_of_jurisdiction",
    )
    refused(
        api,
        lambda: api.county.post(
            "/api/v1/registrations",
            json={
                "usci": usci(1),
                "name": "社工站",
                "field": "services",
                "village_code": "330699009001",
            },
            headers=api.auth(county_op()),
        ),
        422,
        "unknown_division",
    )
    refused(
        api,
        lambda: api.county.get("/api/v1/reports/330699009000", headers=api.auth(county_op())),
        404,
        "unknown_division",
    )


def test_invalid_body(api: Api) -> None:
    refused(
        api,
        lambda: api.village.post(
            "/api/v1/filing-applications",
            json=APPLICATION | {"village_code": "3306990010"},
            headers=api.auth(village_op()),
        ),
        422,
        "invalid_input",
    )
    refused(
        api,
        lambda: api.village.post(
            "/api/v1/filing-applications", content=b"{not json", headers=api.auth(village_op())
        ),
        422,
        "invalid_input",
    )


# ------------------------------------------------------------------ 401 / 403 / 404


def test_missing_or_invalid_token(api: Api) -> None:
    def post(headers: dict[str, str]) -> Any:
        return api.village.post("/api/v1/filing-applications", json=APPLICATION, headers=headers)

    refused(api, lambda: post({}), 401, "missing_token")
    refused(api, lambda: post({"Authorization": "Token abc"}), 401, "missing_token")
    refused(api, lambda: post({"Authorization": "Bearer not-a-token"}), 401, "invalid_token")
    # Signed with a key the platform does not hold, claiming its key id: refused.
    runtime = api.platform.tiers[Tier.VILLAGE]
    stranger = Keyring("another-secret-another-secret-another", lifetime=timedelta(hours=1))
    forged = bearer(runtime.app, stranger, village_op())["Authorization"].split()[1]
    header, claims, signature = forged.split(".")
    ours = bearer(runtime.app, runtime.keyring, village_op())["Authorization"].split()[1]
    stolen_kid = ours.split(".")[0]
    refused(api, lambda: post({"Authorization": f"Bearer {forged}"}), 401, "invalid_token")
    refused(
        api,
        lambda: post({"Authorization": f"Bearer {stolen_kid}.{claims}.{signature}"}),
        401,
        "invalid_token",
    )
    # Claims edited after signing (another village) no longer match the signature.
    other = bearer(runtime.app, runtime.keyring, village_op(VILLAGE_2))["Authorization"]
    theirs = other.split()[1].split(".")[1]
    assert theirs != ours.split(".")[1]
    edited = ".".join([ours.split(".")[0], theirs, ours.split(".")[2]])
    refused(api, lambda: post({"Authorization": f"Bearer {edited}"}), 401, "invalid_token")
    # A token whose algorithm is "none" is not a token.
    unsigned = jwt.encode(jwt.decode(ours, options={"verify_signature": False}), None, "none")
    refused(api, lambda: post({"Authorization": f"Bearer {unsigned}"}), 401, "invalid_token")
    refused(api, lambda: api.county.get("/api/v1/reports/330699000000"), 401, "missing_token")


def test_out_of_jurisdiction(api: Api) -> None:
    org = filed(api, VILLAGE_2)
    neighbour = api.auth(village_op(VILLAGE))
    refused(
        api,
        lambda: api.village.post(
            "/api/v1/filing-applications",
            json=APPLICATION | {"village_code": VILLAGE_2},
            headers=neighbour,
        ),
        403,
        "out_of_jurisdiction",
    )
    refused(
        api,
        lambda: api.village.post(
            f"/api/v1/organisations/{org}/activities",
            json=ACTIVITY | {"occurred_on": today_cst().isoformat()},
            headers=neighbour,
        ),
        403,
        "out_of_jurisdiction",
    )
    refused(
        api,
        lambda: api.village.get(f"/api/v1/reports/{VILLAGE_2}", headers=neighbour),
        403,
        "out_of_jurisdiction",
    )
    refused(
        api,
        lambda: api.village.get(f"/api/v1/organisations/{org}", headers=neighbour),
        403,
        "out_of_jurisdiction",
    )
    refused(
        api,
        lambda: api.township.post(
            f"/api/v1/organisations/{org}/inspections",
            json={"result": "compliant", "inspectors": ["张", "李"]},
            headers=api.auth(township_op(RURAL_TOWNSHIP)),
        ),
        403,
        "out_of_jurisdiction",
    )


def test_wrong_tier_and_viewer_role(api: Api) -> None:
    refused(
        api,
        lambda: api.village.post(
            "/api/v1/filing-applications", json=APPLICATION, headers=api.auth(township_op())
        ),
        403,
        "wrong_tier",
    )
    viewer = Actor("viewer-1", Tier.VILLAGE, VILLAGE, role="viewer")
    as_viewer = api.auth(viewer)
    refused(
        api,
        lambda: api.village.post(
            "/api/v1/filing-applications", json=APPLICATION, headers=as_viewer
        ),
        403,
        "role_forbidden",
    )
    assert api.village.get(f"/api/v1/reports/{VILLAGE}", headers=as_viewer).status_code == 200


def test_unknown_organisation(api: Api) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    # Below the county an unknown id is refused like another division's, so that nobody can
    # probe which ids exist (ADR 0014); the county gets the 404.
    refused(
        api,
        lambda: api.village.post(
            f"/api/v1/organisations/{unknown}/activities",
            json=ACTIVITY | {"occurred_on": today_cst().isoformat()},
            headers=api.auth(village_op()),
        ),
        403,
        "out_of_jurisdiction",
    )
    refused(
        api,
        lambda: api.county.post(
            f"/api/v1/organisations/{unknown}/ratings",
            json={"grade": 3},
            headers=api.auth(county_op()),
        ),
        404,
        "unknown_organisation",
    )


# ------------------------------------------------------------------ 409


def test_activity_of_a_group_not_yet_filed(api: Api) -> None:
    org = apply(api)
    refused(
        api,
        lambda: api.village.post(
            f"/api/v1/organisations/{org}/activities",
            json=ACTIVITY | {"occurred_on": today_cst().isoformat()},
            headers=api.auth(village_op()),
        ),
        409,
        "organisation_not_active",
    )


def test_second_township_operator_gets_already_decided(api: Api) -> None:
    org = apply(api)
    # Two officers of the same township, each with an account of their own.
    headers = {o: api.auth(township_op(id=o)) for o in ("operator-a", "operator-b")}

    def decide(operator: str, decision: str) -> Any:
        return api.township.post(
            f"/api/v1/organisations/{org}/filing-decision",
            json={"decision": decision, "reason": "材料不全"},
            headers=headers[operator],
        )

    before = api.heads()
    assert decide("operator-a", "filed").status_code == 201
    assert api.heads()[Tier.TOWNSHIP] == before[Tier.TOWNSHIP] + 1
    refused(api, lambda: decide("operator-b", "rejected"), 409, "already_decided")
    refused(api, lambda: decide("operator-a", "filed"), 409, "already_decided")


def race(requests: list[Callable[[], Any]]) -> list[Any]:
    """Runs the requests in threads released together; returns their responses in order."""
    start = threading.Barrier(len(requests), timeout=10)
    responses: list[Any] = [None] * len(requests)

    def run(i: int) -> None:
        start.wait()
        responses[i] = requests[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(r is not None for r in responses)
    return responses


def decide_request(api: Api, org: str, operator: str) -> Callable[[], Any]:
    headers = api.auth(township_op(id=operator))  # the account exists before the race
    return lambda: api.township.post(
        f"/api/v1/organisations/{org}/filing-decision",
        json={"decision": "filed"},
        headers=headers,
    )


def assert_one_winner(
    api: Api, responses: list[Any], before: dict[Tier, int], codes: set[str]
) -> None:
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409], [r.text for r in responses]
    (loser,) = [r for r in responses if r.status_code == 409]
    assert loser.json()["error"]["code"] in codes
    after = api.heads()
    assert after[Tier.TOWNSHIP] == before[Tier.TOWNSHIP] + 1
    assert {t: h for t, h in after.items() if t is not Tier.TOWNSHIP} == {
        t: h for t, h in before.items() if t is not Tier.TOWNSHIP
    }


def test_concurrent_decisions_both_pass_the_checks(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both requests read "not decided yet" before either saves: the event store's optimistic
    # concurrency (unique aggregate version) must stop the second save.
    org = apply(api)
    app = api.platform.tiers[Tier.TOWNSHIP].app
    both_checked = threading.Barrier(2, timeout=10)
    find = app.find

    def find_then_wait(aggregate_id: Any) -> Any:
        found = find(aggregate_id)
        both_checked.wait()
        return found

    requests = [decide_request(api, org, "operator-a"), decide_request(api, org, "operator-b")]
    for operator in ("operator-a", "operator-b"):  # their accounts are read before the race
        assert api.township.get("/api/v1/auth/me", headers=api.auth(township_op(id=operator)))
    monkeypatch.setattr(app, "find", find_then_wait)
    before = api.heads()
    responses = race(requests)
    assert_one_winner(api, responses, before, {"concurrent_change"})


def test_concurrent_decisions_race_freely(api: Api) -> None:
    for _ in range(3):
        org = apply(api)
        requests = [
            decide_request(api, org, "operator-a"),
            decide_request(api, org, "operator-b"),
        ]
        before = api.heads()
        responses = race(requests)
        assert_one_winner(api, responses, before, {"concurrent_change", "already_decided"})


def test_concurrent_registrations_of_one_usci(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both pass every check (the read model knows neither) before either saves: the claim
    stored with the registration (ADR 0034) keeps one, and the other is refused as the code's,
    not as a bare concurrent change; the winner's retry still answers its result."""
    app = api.platform.tiers[Tier.COUNTY].app
    both_checked = threading.Barrier(2, timeout=10)
    holder = app.lookup.usci_holder

    def holder_then_wait(code: str) -> str | None:
        found = holder(code)
        both_checked.wait()
        return found

    body = {"usci": usci(8), "name": "社工站", "field": "services", "village_code": VILLAGE}
    auths = [api.auth(county_op(), key=k) for k in ("reg-a", "reg-b")]

    def post(i: int) -> Callable[[], Any]:
        return lambda: api.county.post("/api/v1/registrations", json=body, headers=auths[i])

    monkeypatch.setattr(app.lookup, "usci_holder", holder_then_wait)
    before = api.heads()
    responses = race([post(0), post(1)])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    (winner,) = [i for i, r in enumerate(responses) if r.status_code == 201]
    assert responses[1 - winner].json()["error"]["code"] == "usci_already_registered"
    assert responses[1 - winner].json()["error"]["message_zh"] == "该统一社会信用代码已登记"
    assert api.heads()[Tier.COUNTY] == before[Tier.COUNTY] + 2  # a registration and its claim
    monkeypatch.undo()
    again = api.county.post("/api/v1/registrations", json=body, headers=auths[winner])
    assert again.status_code == 201
    assert again.json() == responses[winner].json() | {"replayed": True}
    refused(api, post(1 - winner), 409, "usci_already_registered")


# ------------------------------------------------------------------ idempotency


def test_idempotency_key_retry(api: Api) -> None:
    auth = api.auth(village_op(), key="retry-1")
    first = api.village.post("/api/v1/filing-applications", json=APPLICATION, headers=auth)
    assert first.status_code == 201 and first.json()["replayed"] is False
    before = api.heads()
    again = api.village.post("/api/v1/filing-applications", json=APPLICATION, headers=auth)
    assert again.status_code == 201
    assert again.json() == first.json() | {"replayed": True}
    assert api.heads() == before
    refused(
        api,
        lambda: api.village.post(
            "/api/v1/filing-applications", json=APPLICATION | {"name": "别的队"}, headers=auth
        ),
        422,
        "idempotency_key_reused",
    )


def test_idempotency_key_retry_of_an_activity(api: Api) -> None:
    org = filed(api)
    auth = api.auth(village_op(), key="activity-1")
    body = ACTIVITY | {"occurred_on": today_cst().isoformat()}
    first = api.village.post(f"/api/v1/organisations/{org}/activities", json=body, headers=auth)
    assert first.status_code == 201
    before = api.heads()
    again = api.village.post(f"/api/v1/organisations/{org}/activities", json=body, headers=auth)
    assert (again.json()["id"], again.json()["replayed"]) == (first.json()["id"], True)
    assert api.heads() == before
