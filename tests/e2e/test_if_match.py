"""Optimistic concurrency over HTTP (ADR 0035): a single record's GET sends its version as an
ETag; a command sent with If-Match is refused (409, nothing stored) when the record has moved
on, answered when it has not, and a replay still answers its original result."""

from __future__ import annotations

from typing import Any

from shared.api import reports
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    RURAL_VILLAGE,
    VILLAGE,
    Api,
    county_op,
    stores_nothing,
    today_cst,
    usci,
    village_op,
)

CHARTER = {"party_clause": True, "integrity_clause": False}


def test_a_command_on_the_version_read_succeeds_and_a_stale_one_is_refused(api: Api) -> None:
    org = api.registered(41)
    read = api.county.get(f"/api/v1/organisations/{org}", headers=api.auth(county_op()))
    assert read.status_code == 200 and read.headers["etag"] == '"v1"'
    # Officer A acts on the version read: accepted, and the record moves on to v2.
    first = api.county.post(
        f"/api/v1/organisations/{org}/charter",
        json=CHARTER,
        headers=api.auth(county_op(), key="charter-1") | {"If-Match": '"v1"'},
    )
    assert first.status_code == 200, first.text
    assert (first.json()["version"], first.json()["replayed"]) == (2, False)
    # Officer B read v1 too: their act is refused, with the record's version now.
    with stores_nothing(api.platform):
        stale = api.county.post(
            f"/api/v1/organisations/{org}/party-organisation",
            json={"kind": "joint"},
            headers=api.auth(county_op()) | {"If-Match": '"v1"'},
        )
    assert stale.status_code == 409, stale.text
    error = stale.json()["error"]
    assert error["code"] == "version_mismatch" and error["current_version"] == 2
    assert error["message_zh"] == "记录已被他人修改（版本不符），请刷新后重试"
    assert stale.headers["etag"] == '"v2"'
    # A's retry (same Idempotency-Key) answers the original result although v1 is stale now.
    with stores_nothing(api.platform):
        again = api.county.post(
            f"/api/v1/organisations/{org}/charter",
            json=CHARTER,
            headers=api.auth(county_op(), key="charter-1") | {"If-Match": '"v1"'},
        )
    assert again.status_code == 200, again.text
    assert (again.json()["version"], again.json()["replayed"]) == (2, True)
    # Without If-Match, as before: accepted on whatever version the record is at.
    plain = api.county.post(
        f"/api/v1/organisations/{org}/party-organisation",
        json={"kind": "joint"},
        headers=api.auth(county_op()),
    )
    assert plain.status_code == 200 and plain.json()["version"] == 3, plain.text
    api.settle()
    moved = api.county.get(f"/api/v1/organisations/{org}", headers=api.auth(county_op()))
    assert moved.headers["etag"] == '"v3"'


def test_a_malformed_or_inapplicable_if_match_is_refused(api: Api) -> None:
    org = api.registered(41)
    for malformed in ("v1", '"1"', 'W/"v1"', '"v1", "v2"', '"v0"', "garbage"):
        with stores_nothing(api.platform):
            answer = api.county.post(
                f"/api/v1/organisations/{org}/charter",
                json=CHARTER,
                headers=api.auth(county_op()) | {"If-Match": malformed},
            )
        assert answer.status_code == 400, (malformed, answer.text)
        assert answer.json()["error"]["code"] == "invalid_if_match"
        assert "If-Match" in answer.json()["error"]["message_zh"]
    # A command creating a record has no version to match: refused, not silently ignored.
    body = {"usci": usci(42), "name": "南门舞蹈队", "field": "services", "village_code": VILLAGE}
    with stores_nothing(api.platform):
        created = api.county.post(
            "/api/v1/registrations",
            json=body,
            headers=api.auth(county_op()) | {"If-Match": '"v1"'},
        )
    assert created.status_code == 400, created.text
    assert created.json()["error"]["code"] == "if_match_not_applicable"
    # "*" names any version: the command acts on the record as it is.
    star = api.county.post(
        f"/api/v1/organisations/{org}/charter",
        json=CHARTER,
        headers=api.auth(county_op()) | {"If-Match": "*"},
    )
    assert star.status_code == 200, star.text


def test_no_etag_while_the_read_model_is_behind_the_store(api: Api, monkeypatch: Any) -> None:
    org = api.registered(41)
    runtime = api.platform.tiers[Tier.COUNTY]
    # The body comes from the read model: an ETag must never vouch for an older body than its
    # version, else If-Match would let its sender overwrite a change they were not shown.
    monkeypatch.setattr(runtime.projector, "position", lambda source: 0)
    read = api.county.get(f"/api/v1/organisations/{org}", headers=api.auth(county_op()))
    assert read.status_code == 200 and "etag" not in read.headers


def test_outside_the_jurisdiction_no_version_is_read(api: Api, monkeypatch: Any) -> None:
    body = {"village_code": VILLAGE, "name": "门球队", "field": "culture_sports",
            "founded_on": today_cst().isoformat()}  # fmt: skip
    applied = api.village.post(
        "/api/v1/filing-applications", json=body, headers=api.auth(village_op())
    )
    assert applied.status_code == 201, applied.text
    org = str(applied.json()["organisation_id"])
    api.settle()
    tags: list[str] = []
    real = reports.version_before_read
    monkeypatch.setattr(
        reports, "version_before_read", lambda rt, i, *a: tags.append(str(i)) or real(rt, i, *a)
    )
    # The village's own station reads it with its ETag (the group's version) ...
    own = api.village.get(f"/api/v1/organisations/{org}", headers=api.auth(village_op()))
    assert own.status_code == 200 and own.headers["etag"] == '"v1"' and tags == [org]
    # ... another village's gets 403 from the scope check (shared/api/scope.py) before the
    # handler runs: no version read, no wait for the read model that only an ETag needs, so
    # the answer's timing says nothing of whether this tier stores the record.
    other = village_op(RURAL_VILLAGE)
    refused = api.village.get(f"/api/v1/organisations/{org}", headers=api.auth(other))
    assert refused.status_code == 403 and "etag" not in refused.headers
    assert refused.json()["error"]["code"] == "out_of_jurisdiction"
    assert tags == [org], (tags, refused.text)
