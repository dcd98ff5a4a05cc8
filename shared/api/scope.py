"""Jurisdiction by construction (ADR 0014): one check, applied to every route of every tier.

Before any route runs, every path and query parameter that names a record (an organisation, a
return, a proceeding, a division …) and every such top-level field of a JSON body is resolved to
the division the record belongs to, through this tier's read model and, for what the read model
has not seen yet, this tier's own store. The request is refused with 403 ``out_of_jurisdiction``
unless the account's division holds that division (or, for a retired division, its successor,
ADR 0005). A name that resolves to nothing is refused too, unless the account's jurisdiction is
the whole county: otherwise a 404 would tell an outsider which ids exist.

Every parameter of every route must be classified here: :func:`classify_routes` refuses to build
an app with a parameter that is neither resolved nor declared harmless, so a new route cannot
forget its scope. Routes keep their own checks where they guard domain rules (which tier may
decide what); this check is sufficient for scope on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from shared.api.deps import authenticated, bearer
from shared.capabilities.evaluation.domain import Assignment, EvaluatorMember, member_id_for
from shared.capabilities.identity.accounts import EVALUATOR
from shared.kernel.domain import CHINA, Actor, OutOfJurisdiction
from shared.kernel.jurisdiction import contains
from shared.tier.runtime import TierRuntime

Resolver = Callable[[TierRuntime, str], str | None]


def _row(table: str, key: str, column: str) -> Resolver:
    """Division of the read-model row ``table.key = value``, else of the aggregate of that id in
    this tier's own store (a record this tier has just created, not yet projected)."""

    def resolve(runtime: TierRuntime, value: str) -> str | None:
        try:
            id = UUID(value)
        except ValueError:
            return None  # not an id: names nothing
        with runtime.db.transaction() as tx:
            row = tx.one(f"SELECT {column} AS code FROM {table} WHERE {key} = %s", (str(id),))
        if row is not None:
            return str(row["code"])
        return _stored(runtime, id)

    return resolve


def _stored(runtime: TierRuntime, id: UUID) -> str | None:
    aggregate = runtime.app.find(id)
    if aggregate is None:
        return None
    # An account keeps its division as ``division`` (shared/capabilities/identity/accounts.py).
    for attribute in ("division_code", "village_code", "county_code", "division"):
        code = getattr(aggregate, attribute, None)
        if isinstance(code, str):
            return code
    org = getattr(aggregate, "organisation_id", None)
    if org is not None:
        facts = runtime.app.lookup.get(org)
        return facts.village_code if facts else None
    return None


def _division(_: TierRuntime, value: str) -> str | None:
    return value


# Parameters and body fields that name a record, and how to find its division. The tables are
# the read model's (shared/projection/*); every tier's read model has all of them.
RESOLVERS: dict[str, Resolver] = {
    "division": _division,
    "division_code": _division,
    "village_code": _division,
    "organisation_id": _row("org", "org_id", "village_code"),
    "host_organisation_id": _row("org", "org_id", "village_code"),
    "return_id": _row("approval_return", "return_id", "division_code"),
    "proceeding_id": _row("zombie_exit", "proceeding_id", "village_code"),
    "report_id": _row("issued_report", "report_id", "division_code"),
    "platform_id": _row("platform", "platform_id", "division_code"),
    "draw_id": _row("sample_draw", "draw_id", "division_code"),
    "inspection_id": _row("inspection", "inspection_id", "village_code"),
    "call_id": _row("funding_call", "call_id", "county_code"),
    "application_id": _row("funding_application", "application_id", "village_code"),
    "award_id": _row("funding", "award_id", "village_code"),
    "account_id": _row("account", "account_id", "division_code"),
    "course_id": _row("training_course", "course_id", "division_code"),
    "round_id": _row("commendation_round", "round_id", "division_code"),
    # Third-party evaluation (ADR 0026): county records; evaluators are checked on their own.
    "evaluator_id": _row("evaluator", "evaluator_id", "county_code"),
    "assignment_id": _row("evaluation_assignment", "assignment_id", "county_code"),
}

# A draw is published to the divisions below the one it was drawn for (shared/capabilities/sampling/api.py):
# a village may read its county's draw, which it does not contain, and a township records its
# inspections of the organisations the county drew against that draw.
# A training course likewise (ADR 0024): the townships and villages whose organisations a county
# course trained read it (the route shows them their own organisations' attendance only).
PUBLISHED_DOWNWARD = frozenset({"draw_id", "course_id"})

# Parameters that name no record: formats, periods, filters, paging, rule names. A filter
# narrows a list the route has already limited to the account's division.
HARMLESS = frozenset(
    {
        "fmt",
        "format",
        "as_of",
        "period",
        "from",
        "to",
        "tree",
        "known_at",
        "state",
        "kind",
        "limit",
        "offset",
        "year",
        "on",
        "credit_list",
        "programme",
        "round",
        "since",
        "until",
        "reader",
        "after",  # a position in the anchors list (shared/api/audit.py)
        "theme",  # an activity theme's code (a vocabulary entry, no record)
        # A volunteer's number names an entry only together with {village_code} beside it,
        # which the village_code resolver scopes (ADR 0021 addendum).
        "volunteer_id",
        # An uploaded ledger's digest at the county service (services/ledger_import/api.py):
        # a file, not a record of a division; only county accounts with the import role reach it.
        "file_sha256",
    }
)


def classify_routes(app: FastAPI) -> None:
    """Refuse to build an app whose routes take a path or query parameter this module does not
    classify: a new record id must get a resolver (or be declared harmless) before it ships."""
    routes = [
        r for r in _api_routes(app.routes) if r.path.startswith("/api/") or r.include_in_schema
    ]
    if not routes:  # a FastAPI that hides its routes from us would make this guard vacuous
        raise RuntimeError("no API routes found to classify")
    unknown = sorted(
        f"{sorted(route.methods or ())} {route.path}: {p.alias}"
        for route in routes
        for p in _parameters(route)
        if p.alias not in RESOLVERS and p.alias not in HARMLESS
    )
    if unknown:
        raise RuntimeError(
            "parameters without a jurisdiction rule (add them to shared/api/scope.py): "
            + "; ".join(unknown)
        )


def _api_routes(routes: Iterable[Any]) -> Iterable[APIRoute]:
    # Recent FastAPI keeps an included router as one lazy entry holding the original router.
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(included.routes)


def _parameters(route: APIRoute) -> Iterable[Any]:
    # Walked by hand: FastAPI's own flattening helpers are private and change between releases.
    todo: list[Dependant] = [route.dependant]
    while todo:
        dependant = todo.pop()
        yield from dependant.path_params
        yield from dependant.query_params
        todo.extend(dependant.dependencies)


async def in_scope(request: Request) -> None:
    """403 ``out_of_jurisdiction`` unless every record the request names lies in the account's
    jurisdiction (module docstring). Runs before the route and its other dependencies."""
    if not request.url.path.startswith("/api/"):
        return  # the console's pages: they reach data only through these routes (ADR 0017)
    runtime: TierRuntime = request.app.state.runtime
    named = [
        (name, value)
        for name, value in [*request.path_params.items(), *request.query_params.multi_items()]
        if name in RESOLVERS
    ]
    named += await _body_names(request)
    if not named:
        return  # the route names no record: it acts on the account's own division
    credentials = await bearer(request)
    account = await authenticated(request, runtime, None, credentials)
    actor = account.actor()
    if EVALUATOR in account.roles:
        # An evaluator's account is county-wide by division but reaches only its
        # organisation's assignments (ADR 0026): a check of its own, not the division's.
        await run_in_threadpool(_check_evaluator, runtime, actor, named)
        return
    if all(RESOLVERS[name] is _division and contains(actor.division, v) for name, v in named):
        # Division codes inside the account's own division: _check would allow them without
        # any read, so the hop to a worker thread (~10% of a command's CPU) is skipped.
        return
    # The lookups read the read model and the store: off the event loop, like a sync route.
    await run_in_threadpool(_check_all, runtime, actor, named)


def _check_evaluator(runtime: TierRuntime, actor: Actor, named: list[tuple[str, str]]) -> None:
    """An evaluator may name its organisation's assignments, and the organisations and awards
    they list; anything else is refused as out of its jurisdiction, known or not."""
    member = runtime.app.find(member_id_for(actor.id))
    mine = member.evaluator_id if isinstance(member, EvaluatorMember) else None
    targets: set[str] = set()
    for name, value in named:
        if name != "assignment_id":
            continue
        found = runtime.app.find(UUID(value)) if _well_formed(name, value) else None
        if mine is None or not isinstance(found, Assignment) or found.evaluator_id != mine:
            raise _refused(actor, name, value)
        targets |= {t["organisation_id"] for t in found.targets}
        targets |= {t["award_id"] for t in found.targets if t["award_id"]}
    for name, value in named:
        if name == "assignment_id":
            continue
        if name not in ("organisation_id", "award_id") or _canonical(value) not in targets:
            raise _refused(actor, name, value)


def _canonical(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        return value


def _refused(actor: Actor, name: str, value: str) -> OutOfJurisdiction:
    return OutOfJurisdiction(
        "out_of_jurisdiction",
        f"{name}={value} 不在本评估机构的评估委托中 / not in your organisation's assignments",
    )


def _check_all(runtime: TierRuntime, actor: Actor, named: list[tuple[str, str]]) -> None:
    for name, value in named:
        _check(runtime, actor, name, value)


async def _body_names(request: Request) -> list[tuple[str, str]]:
    if request.method not in ("POST", "PUT", "PATCH"):
        return []
    if not request.headers.get("content-type", "").startswith("application/json"):
        return []
    body = await request.body()  # Starlette keeps it for the route's own parsing
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return []  # the route answers 422
    if not isinstance(data, dict):
        return []
    # A value that cannot name a record is left to the route's validation (422): it tells
    # nothing about which records exist.
    return [(k, v) for k, v in data.items() if k in RESOLVERS and _well_formed(k, v)]


def _well_formed(name: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if RESOLVERS[name] is _division:
        return len(value) == 12 and value.isdigit()
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _within(division: str, code: str) -> bool:
    try:
        return contains(code, division)
    except ValueError:  # a malformed code holds nothing
        return False


def _check(runtime: TierRuntime, actor: Actor, name: str, value: str) -> None:
    county = runtime.jurisdiction.county.code
    code = RESOLVERS[name](runtime, value)
    if code is None:
        if contains(actor.division, county):
            return  # the whole county: the route's own 404 tells nothing it may not know
        refused = True
    elif name in PUBLISHED_DOWNWARD and _within(actor.division, code):
        refused = False
    else:
        today = runtime.app.clock().astimezone(CHINA).date()
        refused = not runtime.app.in_charge(actor, code, today)
    if refused:
        # One answer for "elsewhere" and "not known here (yet)": telling them apart would tell
        # which ids exist. A record another tier has just made arrives within seconds, so
        # the message says to retry (ADR 0014).
        raise OutOfJurisdiction(
            "out_of_jurisdiction",
            f"{name}={value} 不在本账号辖区（{actor.division}），或本级尚未同步，请稍后重试 / "
            f"outside your jurisdiction ({actor.division}), or not known here yet: retry shortly",
        )
