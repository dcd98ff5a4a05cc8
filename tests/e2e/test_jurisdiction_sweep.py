"""Jurisdiction by construction (ADR 0014): every route of every tier's OpenAPI, called by an
operator and a viewer of a sibling division with another division's real records, is refused.

The routes come from the running apps' OpenAPI, not from a list kept here, so a route added
without scope fails this test: either it is called and answers 2xx, or it is not covered and
the coverage assertion names it.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from shared.api import scope
from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    COUNTY,
    RURAL_TOWNSHIP,
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    VILLAGE_2,
    Api,
    MovableClock,
    account_of,
    apps,
    county_op,
    meta,
    seed_history,
    settle,
    today_cst,
    township_op,
    village_op,
)

START = today_cst()


@pytest.fixture
def clock() -> MovableClock:
    # Moved a year on so that a group filed today without activity becomes a zombie-exit
    # candidate: the sweep needs a real proceeding.
    return MovableClock(START)


# Routes that name no record and act on the caller's own account or division; each is still
# called, may answer 2xx, and must not show any of the other division's records.
OWN_ONLY = {
    ("GET", "/api/v1/auth/me"),  # the caller's own account
    ("POST", "/api/v1/auth/password"),  # the caller's own password
    ("GET", "/api/v1/metrics"),  # process counters, no records
    ("GET", "/api/v1/divisions"),  # the division tree is public within the county
    ("GET", "/api/v1/divisions/changes"),  # likewise its recorded changes
    ("GET", "/api/v1/rules/activity-themes"),  # rule data, the same for every division
    ("GET", "/api/v1/assessments/rules"),  # rule data, the same for every division
    ("GET", "/api/v1/rules/training"),  # likewise the kinds of training course (ADR 0024)
    ("GET", "/api/v1/points/rules"),  # and the resident points rule (ADR 0027)
    ("GET", "/api/v1/issued-reports"),  # lists the caller's division's issued reports
    ("GET", "/api/v1/integrity"),  # county only (403 below)
    ("POST", "/api/v1/sample-draws/reproduction"),  # recomputes a record the caller sends
    ("GET", "/api/v1/accounts"),  # without division=: the caller's division (admins only)
    ("POST", "/api/v1/zombie-exit/run-due"),  # the caller's division's due exits: see below
    ("POST", "/api/v1/supervision/run-due"),  # county only
    # Without division_code, the caller's own division's round of a year (ADR 0024); with the
    # other division's code in the body it is refused (the body sweep below).
    ("POST", "/api/v1/commendation-rounds"),
}
# Not called at all (commented why); everything else in the OpenAPI must be.
NOT_CALLED = {
    ("GET", "/health"),  # liveness, no records, no token
    ("GET", "/ready"),  # readiness, no records, no token
    ("POST", "/api/v1/auth/token"),  # login: names an account by its password, not by scope
    ("POST", "/api/v1/auth/logout"),  # revokes the caller's own token (would end the sweep)
}

# Where the first enum value would make a body invalid at that tier (so that the application
# would answer 422 before it looks at scope), the value that tier's own operator would send.
BODIES: dict[tuple[Tier, str], dict[str, Any]] = {
    (Tier.VILLAGE, "/api/v1/platforms"): {"kind": "village_station"},
    (Tier.TOWNSHIP, "/api/v1/platforms"): {"kind": "township_platform"},
    (Tier.TOWNSHIP, "/api/v1/returns"): {"division_code": VILLAGE},  # villages' returns
    (Tier.VILLAGE, "/api/v1/volunteers"): {"volunteer_id": "V001"},  # a register number
}

# The other division's records, per tier service (filled by _seed).
Victims = dict[Tier, dict[str, str]]


def _sibling(tier: Tier, role: str) -> Actor:
    """An account of a division beside the victims' (青溪镇 / 青溪村): the county has no sibling,
    so its service is called with the sibling township's accounts."""
    code = RURAL_VILLAGE if tier is Tier.VILLAGE else RURAL_TOWNSHIP
    acting = Tier.VILLAGE if tier is Tier.VILLAGE else Tier.TOWNSHIP
    if role == "operator":
        return village_op(code) if acting is Tier.VILLAGE else township_op(code)
    return Actor(f"viewer-{code}", acting, code, "viewer", roles=("viewer",))


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code < 300, response.text
    body: dict[str, Any] = response.json()
    return body


def _headers(api: Api) -> dict[Actor, dict[str, str]]:
    # Minted before the clock moves on: PyJWT refuses a token issued in the (real) future.
    actors = [township_op()] + [_sibling(t, r) for t in Tier for r in ("operator", "viewer")]
    return {a: api.auth(a) for a in actors}


def _seed(
    api: Api, clock: MovableClock, headers: dict[Actor, dict[str, str]]
) -> tuple[Victims, str]:
    """Records of 城关街道 (330699001000) and its villages at every tier; the id of a zombie-exit
    proceeding that falls due after the notice period."""
    p = api.platform
    history = seed_history(p)
    v, t, c = apps(p)
    # A group filed today that never reports an activity: a zombie candidate a year on.
    idle = v.apply_for_filing(
        VILLAGE_2, "南门合唱队", "services", START, meta(village_op(VILLAGE_2))
    )
    settle(p)  # the township decides on a group its read model knows
    t.decide_filing(idle.id, True, "", meta(township_op()))
    settle(p)  # the return below: its figures need the village's store projected
    period = (START.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    ret = _ok(
        api.village.post(
            "/api/v1/returns",
            json={"kind": "activity_return", "division_code": VILLAGE, "period": period},
            headers=api.auth(village_op()),
        )
    )["return_id"]
    platforms = {
        Tier.VILLAGE: ("village_station", VILLAGE, village_op()),
        Tier.TOWNSHIP: ("township_platform", TOWNSHIP, township_op()),
        Tier.COUNTY: ("county_centre", COUNTY, county_op()),
    }
    platform = {
        tier: _ok(
            api.clients[tier].post(
                "/api/v1/platforms",
                json={"kind": kind, "division_code": code, "name": "服务站"},
                headers=api.auth(actor),
            )
        )["id"]
        for tier, (kind, code, actor) in platforms.items()
    }
    draw = _ok(
        api.township.post(
            "/api/v1/sample-draws",
            json={"year": START.year, "division_code": TOWNSHIP, "seed": "sweep"},
            headers=api.auth(township_op()),
        )
    )["id"]
    issued = {
        tier: _ok(
            api.clients[tier].post(
                f"/api/v1/reports/{code}/issue", json={"title": "报表"}, headers=api.auth(actor)
            )
        )["report_id"]
        for tier, code, actor in (
            (Tier.VILLAGE, VILLAGE, village_op()),
            (Tier.TOWNSHIP, TOWNSHIP, township_op()),
            (Tier.COUNTY, TOWNSHIP, county_op()),
        )
    }
    # A township's training course and commendation round (ADR 0024).
    course = _ok(
        api.township.post(
            "/api/v1/training-courses",
            json={"topic": "骨干培训", "kind": "core_staff", "starts_on": START.isoformat(),
                  "ends_on": START.isoformat(), "trainer": "社工站"},
            headers=api.auth(township_op()),
        )
    )["id"]  # fmt: skip
    commendation = _ok(
        api.township.post(
            "/api/v1/commendation-rounds",
            json={"year": START.year},
            headers=api.auth(township_op()),
        )
    )["id"]
    api.settle()
    with p.tiers[Tier.TOWNSHIP].db.transaction() as tx:
        inspection = tx.one(
            "SELECT inspection_id FROM inspection WHERE org_id = %s", (str(history.filed),)
        )
    with p.tiers[Tier.COUNTY].db.transaction() as tx:
        award = tx.one("SELECT award_id FROM funding WHERE org_id = %s", (str(history.registered),))
    clock.set(START + timedelta(days=400))
    proceeding = _ok(
        api.township.post(
            "/api/v1/zombie-exit/notices",
            json={"organisation_id": str(idle.id)},
            headers=headers[township_op()],
        )
    )["id"]
    api.settle()
    common = {
        "return_id": ret,
        "proceeding_id": proceeding,
        "draw_id": draw,
        "inspection_id": inspection["inspection_id"],
        "award_id": award["award_id"],
        "village_code": VILLAGE,
        "course_id": str(course),
        "round_id": str(commendation),
        "volunteer_id": "V001",  # a register number (ADR 0021): the community named decides
        "host_organisation_id": str(history.filed),
        "fmt": "csv",
        # A ledger upload is named by its content; none is stored, so each route answers 404
        # or its role refusal — never another division's data.
        "file_sha256": "0" * 64,
        "credit_list": "abnormal",
        "programme": "micro_venture",
        "round": str(START.year),
        "year": str(START.year),
        "period": period,
    }
    victims: Victims = {
        Tier.VILLAGE: common
        | {
            "organisation_id": str(history.filed),
            "division": VILLAGE,
            "division_code": VILLAGE,
            "platform_id": platform[Tier.VILLAGE],
            "report_id": issued[Tier.VILLAGE],
            "account_id": account_of(village_op()),
        },
        Tier.TOWNSHIP: common
        | {
            "organisation_id": str(history.filed),
            "division": TOWNSHIP,
            "division_code": TOWNSHIP,
            "platform_id": platform[Tier.TOWNSHIP],
            "report_id": issued[Tier.TOWNSHIP],
            "account_id": account_of(township_op()),
        },
        Tier.COUNTY: common
        | {
            "organisation_id": str(history.registered),
            "division": TOWNSHIP,
            "division_code": TOWNSHIP,
            "platform_id": platform[Tier.COUNTY],
            "report_id": issued[Tier.COUNTY],
            "account_id": account_of(county_op()),
            # County-only records: a random id stands for them (unknown below the county: 403).
            "call_id": str(uuid4()),
            "application_id": str(uuid4()),
            "evaluator_id": str(uuid4()),
            "assignment_id": str(uuid4()),
        },
    }
    return victims, proceeding


def _example(
    schema: dict[str, Any], spec: dict[str, Any], names: dict[str, str], key: str = ""
) -> Any:
    """A valid-looking value for ``schema``, with the other division's records where a field
    names one."""
    if "$ref" in schema:
        return _example(
            spec["components"]["schemas"][schema["$ref"].split("/")[-1]], spec, names, key
        )
    if key in names:
        return names[key]
    for options in ("anyOf", "oneOf", "allOf"):
        if options in schema:
            choices = [s for s in schema[options] if s.get("type") != "null"]
            return _example(choices[0], spec, names, key) if choices else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {
            k: _example(s, spec, names, k)
            for k, s in props.items()
            if k in schema.get("required", props)
        }
    if kind == "array":
        return [_example(schema.get("items", {}), spec, names, key)]
    if kind == "integer":
        return int(schema.get("minimum", 1)) or 1
    if kind == "number":
        return 100
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return START.isoformat()
    if schema.get("format") == "uuid":
        return str(uuid4())
    if schema.get("pattern") == r"^\d{12}$":
        return names["division_code"]
    return "抽查"


def _requests(
    tier: Tier, spec: dict[str, Any], names: dict[str, str]
) -> list[tuple[str, str, str, dict[str, Any] | None, dict[str, str], bool]]:
    """(method, route, url, json body, query, names a record) for every route of ``spec``."""
    out = []
    for route, ops in spec["paths"].items():
        for method, op in ops.items():
            method = method.upper()
            if (method, route) in NOT_CALLED:
                continue
            params = op.get("parameters", [])
            path = route
            query: dict[str, str] = {}
            naming = False
            for p in params:
                name = p["name"]
                if p["in"] == "path":
                    path = path.replace("{" + name + "}", names[name])
                    naming |= name in scope.RESOLVERS
                elif p["in"] == "query" and (name in scope.RESOLVERS or p.get("required")):
                    query[name] = names[name]
                    naming |= name in scope.RESOLVERS
            body = None
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = _example(content["application/json"]["schema"], spec, names)
                body |= BODIES.get((tier, route), {})
                naming |= any(k in scope.RESOLVERS for k in body)
            assert "{" not in path, path
            out.append((method, route, path, body, query, naming))
    return out


def _victim_ids(victims: Victims) -> set[str]:
    return {
        v
        for names in victims.values()
        for k, v in names.items()
        if k.endswith("_id") and k not in ("account_id",)
    }


def _sweep(
    api: Api, tokens: dict[Actor, dict[str, str]], victims: Victims, body_only: bool = False
) -> tuple[int, set[tuple[Tier, str, str]], list[str]]:
    """Every route as the sibling operator and viewer: (requests made, routes called, failures).
    ``body_only``: just the routes that name the other division's records in their body only."""
    secret = _victim_ids(victims)
    count = 0
    covered: set[tuple[Tier, str, str]] = set()
    failures: list[str] = []
    for tier, client in api.clients.items():
        spec = client.app.openapi()
        for role in ("operator", "viewer"):
            headers = tokens[_sibling(tier, role)]
            for method, route, url, body, query, naming in _requests(tier, spec, victims[tier]):
                if body_only and not (naming and url == route and not query and body):
                    continue
                before = api.heads()
                r = client.request(method, url, json=body, params=query, headers=headers)
                count += 1
                covered.add((tier, method, route))
                label = (
                    f"{tier} {role} {method} {url} {query} {body}: {r.status_code} {r.text[:200]}"
                )
                if r.status_code >= 500:
                    failures.append("5xx " + label)
                elif (method, route) in OWN_ONLY:
                    leaked = [i for i in secret if i in r.text]
                    if leaked:
                        failures.append(f"leaks {leaked} " + label)
                elif r.status_code < 300:
                    failures.append("accepted " + label)
                elif naming and r.status_code != 403:
                    failures.append("not 403 " + label)
                if method != "GET" and (method, route) not in OWN_ONLY and api.heads() != before:
                    failures.append("stored events " + label)
                # An id nobody has is refused the same way below the county: no probing.
                if role == "operator" and any("{" + k in route for k in scope.RESOLVERS):
                    unknown = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", str(uuid4()), url)
                    if unknown != url:
                        r = client.request(
                            method, unknown, json=body, params=query, headers=headers
                        )
                        count += 1
                        if r.status_code != 403:
                            failures.append(
                                f"unknown id not 403: {unknown} {r.status_code} {r.text[:200]}"
                            )
    return count, covered, failures


def test_every_route_refuses_a_sibling_division(api: Api, clock: MovableClock) -> None:
    tokens = _headers(api)
    victims, _ = _seed(api, clock, tokens)
    started = time.monotonic()
    count, covered, failures = _sweep(api, tokens, victims)
    elapsed = time.monotonic() - started
    print(f"\njurisdiction sweep: {count} requests in {elapsed:.1f} s, {len(covered)} routes")
    for tier, client in api.clients.items():
        spec = client.app.openapi()
        everything = {(m.upper(), r) for r, ops in spec["paths"].items() for m in ops}
        called = {(m, r) for t, m, r in covered if t is tier}
        # Every route of the OpenAPI is called, but for the commented few in NOT_CALLED.
        assert called == everything - NOT_CALLED, (tier, everything - NOT_CALLED - called)
    assert not failures, "\n".join(failures)


def test_bodies_naming_another_division_are_refused_by_the_applications_too(
    api: Api, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the central look at JSON bodies, the commands' own checks (``village_code``,
    ``organisation_id``, ``division_code`` … in the body) still refuse every one with 403."""
    tokens = _headers(api)
    victims, _ = _seed(api, clock, tokens)
    monkeypatch.setattr(scope, "_body_names", _names_nothing)
    count, covered, failures = _sweep(api, tokens, victims, body_only=True)
    print(f"\nbody sweep without the central body check: {count} requests, {len(covered)} routes")
    assert count >= 20
    assert not failures, "\n".join(failures)


async def _names_nothing(_: Any) -> list[tuple[str, str]]:
    return []


def test_run_due_of_a_sibling_township_leaves_the_others_due_exits_alone(
    api: Api, clock: MovableClock
) -> None:
    tokens = _headers(api)
    victims, proceeding = _seed(api, clock, tokens)
    clock.set(START + timedelta(days=400 + 60))  # the notice period is over
    r = api.township.post(
        "/api/v1/zombie-exit/run-due", headers=tokens[_sibling(Tier.TOWNSHIP, "operator")]
    )
    assert r.status_code < 500, r.text
    api.settle()
    with api.platform.tiers[Tier.TOWNSHIP].db.transaction() as tx:
        row = tx.one("SELECT state FROM zombie_exit WHERE proceeding_id = %s", (proceeding,))
    assert row is not None and row["state"] == "noticed", row


def test_unknown_ids_still_404_for_the_whole_county(api: Api) -> None:
    """The county may see every record, so it gets the route's own 404, not 403."""
    headers = api.auth(county_op())
    for url in (
        f"/api/v1/organisations/{uuid4()}",
        f"/api/v1/returns/{uuid4()}",
        f"/api/v1/issued-reports/{uuid4()}",
        f"/api/v1/sample-draws/{uuid4()}",
    ):
        r = api.county.get(url, headers=headers)
        assert r.status_code == 404, (url, r.text)
