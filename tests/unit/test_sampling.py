"""Random inspection sampling (ADR 0010): quota at its boundaries, the draw reproducible from
its record, the draw and the two-inspector rule recorded with the rule version."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.platform import Platform
from shared.capabilities.sampling.application import draw
from shared.capabilities.sampling.domain import canonical, population_hash, quota, reproduce, select
from shared.kernel.domain import Conflict, InvalidInput, NotFound, OutOfJurisdiction
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    COUNTY,
    TOWNSHIP,
    VILLAGE,
    apps,
    county_op,
    envelopes_by_source,
    meta,
    stores_nothing,
    township_op,
    usci,
    village_op,
)

RULE = "sampling/2017-3pct/v1"


@pytest.mark.parametrize(
    ("size", "expected"),
    [(0, 0), (1, 1), (33, 1), (34, 2), (66, 2), (67, 3), (100, 3), (101, 4), (1000, 30)],
)
def test_quota_is_the_ceiling_of_3_percent_at_least_one(size: int, expected: int) -> None:
    # Exact on the decimal rate: 0.03 × 100 is 3, not 3.0000000000000004 (which would give 4).
    assert quota("0.03", size) == expected


def _population(n: int) -> list[str]:
    return canonical(UUID(int=i * 7919 + 1) for i in range(n))


def _record(seed: str, population: list[str], rate: str = "0.03") -> dict[str, Any]:
    k = quota(rate, len(population))
    chosen = select(seed, population, k)
    return {
        "population": population,
        "population_hash": population_hash(population),
        "seed": seed,
        "rate": rate,
        "quota": k,
        "algorithm": "sha256-rank/v1",
        "selected": [{"organisation_id": o, "village_code": VILLAGE} for o in chosen],
        "supplementary": False,
    }


def test_same_seed_and_population_give_the_same_selection_another_seed_another() -> None:
    population = _population(101)
    first = select("抽查-2026", population, 4)
    assert first == select("抽查-2026", list(reversed(population)), 4)
    assert first != select("抽查-2027", population, 4)
    assert len(set(first)) == 4


def test_the_algorithm_is_sha256_ranking_as_documented() -> None:
    population = _population(10)
    keyed = sorted(population, key=lambda i: hashlib.sha256(f"s|{i}".encode()).hexdigest())
    assert select("s", population, 3) == keyed[:3]
    text = "\n".join(population).encode()
    assert population_hash(population) == hashlib.sha256(text).hexdigest()


def test_a_record_reproduces_and_any_tampering_is_detected() -> None:
    record = _record("seed-1", _population(100))
    assert reproduce(record, "0.03")["reproduced"]
    swapped = {**record, "selected": [*record["selected"][:-1], {"organisation_id": str(uuid4())}]}
    assert reproduce(swapped)["checks"]["selection"] is False
    assert reproduce({**record, "seed": "seed-2"})["reproduced"] is False
    dropped = {**record, "population": record["population"][1:]}
    assert reproduce(dropped)["checks"]["population_hash"] is False
    assert reproduce({**record, "quota": 2})["checks"]["quota"] is False
    assert reproduce(record, "0.05")["checks"]["rate"] is False


# ------------------------------------------------------------------ the draw as an event


def _register(p: Platform, n: int) -> list[UUID]:
    c = apps(p)[2]
    ids = [
        c.register(usci(i), f"组织{i}", "services", VILLAGE, None, meta(county_op())).id
        for i in range(1, n + 1)
    ]
    p.drain()
    return ids


def _drawn(p: Platform, source: str, draw_id: UUID) -> Any:
    (env,) = [
        e
        for e in envelopes_by_source(p)[source]
        if e.type.endswith("sample.drawn.v1") and e.data["draw_id"] == str(draw_id)
    ]
    return env


def test_a_county_draw_records_seed_population_quota_selection_and_rule_version(
    platform: Platform,
) -> None:
    ids = _register(platform, 34)
    c = apps(platform)[2]
    year = date.today().year
    done = draw(c, None, year, "county-seed", None, meta(county_op()))
    platform.drain()
    env = _drawn(platform, "county", done.id)
    assert env.rule_version == RULE
    assert env.division_code == COUNTY and env.organisation_id is None
    d = env.data
    assert d["population"] == canonical(ids) and d["quota"] == 2 and d["rate"] == "0.03"
    assert [s["organisation_id"] for s in d["selected"]] == done.extra["selected"]
    assert done.extra["selected"] == select("county-seed", canonical(ids), 2)
    assert reproduce(d, "0.03")["reproduced"]
    with stores_nothing(platform), pytest.raises(Conflict) as again:
        draw(c, None, year, "other", None, meta(county_op()))
    assert again.value.code == "draw_exists"
    more = draw(c, None, year, "more", 3, meta(county_op()))
    platform.drain()
    extra = _drawn(platform, "county", more.id).data
    assert extra["supplementary"] and extra["quota"] == 3 and len(extra["population"]) == 32
    assert not set(more.extra["selected"]) & set(done.extra["selected"])


def test_draw_refusals(platform: Platform) -> None:
    _, t, c = apps(platform)
    year = date.today().year
    with pytest.raises(OutOfJurisdiction) as wrong:
        draw(apps(platform)[0], None, year, None, None, meta(village_op()))
    assert wrong.value.code == "wrong_tier"
    with pytest.raises(OutOfJurisdiction) as outside:
        draw(t, "330699101000", year, None, None, meta(township_op()))
    assert outside.value.code == "out_of_jurisdiction"
    with pytest.raises(InvalidInput) as tier:
        draw(c, TOWNSHIP, year, None, None, meta(county_op()))
    assert tier.value.code == "division_tier_mismatch"
    with pytest.raises(InvalidInput) as past:
        draw(c, None, year - 1, None, None, meta(county_op()))
    assert past.value.code == "invalid_year"


def _filed(p: Platform, n: int) -> list[UUID]:
    v, t, _ = apps(p)
    ids = []
    for i in range(n):
        org = v.apply_for_filing(
            VILLAGE, f"团体{i}", "services", date(2024, 1, 1), meta(village_op())
        ).id
        p.drain()
        t.decide_filing(org, True, "", meta(township_op()))
        ids.append(org)
    p.drain()
    return ids


def test_inspections_need_two_inspectors_and_may_fulfil_a_township_draw(
    platform: Platform,
) -> None:
    ids = _filed(platform, 3)
    t = apps(platform)[1]
    done = draw(t, None, date.today().year, "t-seed", None, meta(township_op()))
    platform.drain()
    (org,) = [UUID(o) for o in done.extra["selected"]]
    with stores_nothing(platform), pytest.raises(InvalidInput) as alone:
        t.record_inspection(org, "compliant", "", ["张", " 张 "], meta(township_op()), done.id)
    assert alone.value.code == "too_few_inspectors"
    other = next(i for i in ids if i != org)
    with stores_nothing(platform), pytest.raises(InvalidInput) as undrawn:
        t.record_inspection(other, "compliant", "", ["张", "李"], meta(township_op()), done.id)
    assert undrawn.value.code == "not_drawn"
    with stores_nothing(platform), pytest.raises(NotFound):
        t.record_inspection(org, "compliant", "", ["张", "李"], meta(township_op()), uuid4())
    t.record_inspection(org, "compliant", "", ["张", "李"], meta(township_op()), done.id)
    platform.drain()
    (env,) = [
        e
        for e in envelopes_by_source(platform)["township"]
        if e.type == "sanji.township.inspection.recorded.v1"
    ]
    assert env.data["draw_id"] == str(done.id) and env.rule_version == RULE
    with pytest.raises(Conflict) as twice:
        t.record_inspection(org, "violation", "", ["张", "李"], meta(township_op()), done.id)
    assert twice.value.code == "draw_already_fulfilled"
    assert platform.tiers[Tier.TOWNSHIP].app.tier is Tier.TOWNSHIP
