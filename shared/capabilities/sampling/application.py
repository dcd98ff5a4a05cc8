"""Commands of inspection sampling, the same code at the county and the townships (ADR 0010).

The county draws from the organisations registered in the county, a township from the groups
it filed; both from their read model on the draw date, with the quota of the ``sampling``
rule in force (its version recorded on the event). An inspection needs the rule's minimum of
distinct inspectors on site, and may name the draw it fulfils.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from shared.capabilities.sampling import projection as rm
from shared.capabilities.sampling.domain import (
    ALGORITHM,
    POPULATION,
    SampleDraw,
    canonical,
    population_hash,
    quota,
    regular_draw_id,
    select,
)
from shared.kernel.domain import (
    CommandResult,
    Conflict,
    InvalidInput,
    Meta,
    NotFound,
    OutOfJurisdiction,
    legal_date,
)
from shared.kernel.jurisdiction import prefix_of
from shared.kernel.rules import RuleVersion

if TYPE_CHECKING:  # type only: the tier application is composed above this layer
    from shared.tier.application import TierApplication

# Before any sampling rule was in force, inspections needed no minimum (and record none).
NO_MINIMUM = 1


def sampling_rule(app: TierApplication, day: date) -> RuleVersion | None:
    try:
        return app.rules.version_on("sampling", day)
    except LookupError:
        return None


def draw(
    app: TierApplication,
    division_code: str | None,
    year: int,
    seed: str | None,
    size: int | None,
    meta: Meta,
) -> CommandResult:
    """Draw the organisations to inspect in a division for a year. ``size`` makes it a
    supplementary draw of that many, from those not drawn yet; otherwise the quota of the
    rule, once per tier, division and year (409 ``draw_exists``)."""
    if app.tier not in POPULATION:
        raise OutOfJurisdiction("wrong_tier", f"the {app.tier} does not draw inspections")
    code = division_code or meta.actor.division
    division = app.division_in_force(code, meta)
    if division.tier is not app.tier:
        raise InvalidInput(
            "division_tier_mismatch", f"a {app.tier} draws for a {app.tier}, not {code}"
        )
    app.check_jurisdiction(meta, code)
    day = legal_date(meta.effective_at)
    if year not in (day.year, day.year + 1):
        raise InvalidInput("invalid_year", f"a draw on {day} is for {day.year} or {day.year + 1}")
    rule = app.rules.version_on("sampling", day)  # else 409 rule_not_in_force
    if size is None:
        draw_id = regular_draw_id(app.tier, code, year)
        if replayed := app.replay_create(draw_id, meta, "draw_exists"):
            return replayed
    else:
        draw_id, replayed = app.create_id(meta)
        if replayed:
            return replayed
    kind = POPULATION[app.tier]
    with app.lookup.db.transaction() as tx:
        eligible = rm.population(tx, kind, prefix_of(code) + "%", day)
        if size is not None:
            for org_id in rm.drawn_before(tx, app.name, code, year):
                eligible.pop(org_id, None)
    population = canonical(eligible)
    seed = seed or secrets.token_hex(16)
    rate = str(rule.parameters["quotas"][str(app.tier)]["rate"])
    k = min(size, len(population)) if size is not None else quota(rate, len(population))
    chosen = select(seed, population, k)
    sample = SampleDraw.draw(
        draw_id,
        replace(meta, rule_version=rule.version),
        division_code=code,
        year=year,
        population_kind=kind,
        population=population,
        population_hash=population_hash(population),
        seed=seed,
        rate=rate,
        quota=k,
        algorithm=ALGORITHM,
        selected=[{"organisation_id": o, "village_code": eligible[o]} for o in chosen],
        supplementary=size is not None,
        minimum_inspectors=int(rule.parameters["minimum_inspectors"]),
    )
    app.save(sample)
    return CommandResult(sample.id, sample.version, None, extra={"selected": chosen})


def check_inspection(
    app: TierApplication,
    organisation_id: UUID,
    inspectors: list[str],
    draw_id: UUID | None,
    meta: Meta,
) -> Meta:
    """422 ``too_few_inspectors`` below the rule's minimum of distinct inspectors on site;
    with a draw: 404 ``unknown_draw``, 422 ``not_drawn``, 409 ``draw_already_fulfilled``.
    Returns ``meta`` carrying the sampling rule's version."""
    rule = sampling_rule(app, legal_date(meta.effective_at))
    minimum = int(rule.parameters["minimum_inspectors"]) if rule else NO_MINIMUM
    distinct = {name.strip() for name in inspectors if name.strip()}
    if len(distinct) < minimum:
        raise InvalidInput(
            "too_few_inspectors",
            f"at least {minimum} distinct inspectors on site, got {len(distinct)}",
        )
    if draw_id is not None:
        with app.lookup.db.transaction() as tx:
            if rm.draw(tx, str(draw_id)) is None:
                raise NotFound("unknown_draw", f"no draw {draw_id}")
            if not rm.selected(tx, str(draw_id), str(organisation_id)):
                raise InvalidInput("not_drawn", f"{organisation_id} was not drawn in {draw_id}")
            if rm.fulfilled(tx, str(draw_id), str(organisation_id)):
                raise Conflict(
                    "draw_already_fulfilled", f"{organisation_id} was inspected for {draw_id}"
                )
    return replace(meta, rule_version=rule.version) if rule else meta
