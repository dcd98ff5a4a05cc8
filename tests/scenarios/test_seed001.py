"""Seed 001: the county report reproduces the figures of a published speech exactly.

The county of ``../shared/seeds/001_586b06467a153587.txt`` is rebuilt through the three tiers'
operator APIs (:mod:`tests.scenarios.seed001`) on an embedded platform (SQLite files in a
temporary directory), once for the module. The county report must then say what the speech says
(2,216 organisations, 156 registered, 2,060 filed, urban 1,030 ≈ 23 per community, rural 1,186
≈ 15 per village, both charter rates 100%, platforms 1 / 12 / 180), the townships and villages
must add up to it, and the raw integration events in the three stores must agree independently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from services.platform import Platform
from shared.infrastructure.settings import Settings
from shared.kernel.domain import Actor
from shared.kernel.integration.envelope import Envelope
from shared.kernel.jurisdiction import Area, Tier, contains
from tests.helpers import HISTORY_BACKDATE_DAYS, Api, envelopes_by_source
from tests.scenarios.seed001 import (
    AS_OF,
    COUNTY,
    JURISDICTION_FILE,
    PUBLISHED,
    Loaded,
    load_seed001,
)

# Additive figures that must reconcile: county = Σ townships = Σ villages.
ADDITIVE = [
    "organisations.active",
    "organisations.registered",
    "organisations.filed",
    "organisations.urban",
    "organisations.rural",
    "density.villages",
    "density.urban_communities",
    "density.rural_villages",
    "density.registered_population",
    "density.resident_population",
    "party_building.party_clause",
    "party_building.integrity_clause",
]
# Platforms sit in villages and townships; the county centre sits in the county division
# itself, above every township, so it is checked on its own (test_platforms_add_up).
ADDITIVE_PLATFORMS = ["platforms.township_platforms", "platforms.village_stations"]


@dataclass
class Seeded:
    platform: Platform
    api: Api
    loaded: Loaded

    def report(self, tier: Tier, code: str) -> dict[str, Any]:
        """GET the division's report as of :data:`AS_OF` from ``tier``'s API, by an operator
        of that division."""
        actor = Actor(f"seed001-reader-{code}", tier, code)
        response = self.api.clients[tier].get(
            f"/api/v1/reports/{code}",
            params={"as_of": AS_OF.isoformat()},
            headers=self.api.auth(actor),
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["division"]["code"] == code
        return body


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    settings = Settings(
        persistence="sqlite",
        data_dir=tmp_path_factory.mktemp("seed001"),
        jurisdiction_file=JURISDICTION_FILE,
        # One operator per division loads years of records as fast as it can: a bulk load,
        # not an operator at a keyboard (the per-account limit is tested on its own).
        rate_limit_per_second=0,
        demo=False,
        backdate_days=HISTORY_BACKDATE_DAYS,  # years of history loaded through the API
    )
    platform = Platform.build(settings)
    api = Api.of(platform)
    try:
        loaded = load_seed001(api.clients, api.auth, platform.jurisdiction, platform.drain)
        platform.drain()
        print(
            f"\nseed001: {loaded.commands} commands in {loaded.total_seconds:.1f} s ("
            + ", ".join(f"{k} {v:.1f} s" for k, v in loaded.seconds.items())
            + ")"
        )
        yield Seeded(platform, api, loaded)
    finally:
        platform.stop()


@pytest.fixture(scope="module")
def county(seeded: Seeded) -> dict[str, Any]:
    return seeded.report(Tier.COUNTY, COUNTY)


@pytest.fixture(scope="module")
def townships(seeded: Seeded) -> dict[str, dict[str, Any]]:
    j = seeded.platform.jurisdiction
    return {t.code: seeded.report(Tier.TOWNSHIP, t.code) for t in j.townships()}


@pytest.fixture(scope="module")
def villages(seeded: Seeded) -> dict[str, dict[str, Any]]:
    j = seeded.platform.jurisdiction
    return {v.code: seeded.report(Tier.VILLAGE, v.code) for v in j.villages()}


def figure(report: dict[str, Any], key: str) -> Any:
    value: Any = report["figures"]
    for part in key.split("."):
        assert part in value, f"{key}: no {part!r} in {sorted(value)}"
        value = value[part]
    return value


def test_the_load_went_through_the_apis(seeded: Seeded) -> None:
    loaded = seeded.loaded
    assert len(loaded.filed) == PUBLISHED.filed
    assert len(loaded.registered) == PUBLISHED.registered
    assert len(loaded.platforms) == (
        PUBLISHED.county_centres + PUBLISHED.township_platforms + PUBLISHED.village_stations
    )
    # 3 commands per filed group, 2 per registered organisation, 1 per platform
    assert loaded.commands == 3 * 2060 + 2 * 156 + 193


def test_county_report_reproduces_the_speech(county: dict[str, Any]) -> None:
    assert county["as_of"] == AS_OF.isoformat()
    organisations = county["figures"]["organisations"]
    assert {k: organisations[k] for k in ("active", "registered", "filed", "urban", "rural")} == {
        "active": PUBLISHED.active,  # 全县登记备案城乡社区社会组织2216家
        "registered": PUBLISHED.registered,  # 登记156家
        "filed": PUBLISHED.filed,  # 备案2060家
        "urban": PUBLISHED.urban,  # 城市社区社会组织有1030家
        "rural": PUBLISHED.rural,  # 农村社区社会组织有1186家
    }
    assert organisations["by_legal_form"]["filed_group"] == PUBLISHED.filed
    registered_forms = {
        k: v for k, v in organisations["by_legal_form"].items() if k != "filed_group" and v
    }
    assert sum(registered_forms.values()) == PUBLISHED.registered
    assert len(registered_forms) == 3  # social groups, private non-enterprise units, foundations
    assert sum(organisations["by_field"].values()) == PUBLISHED.active
    assert sum(1 for n in organisations["by_field"].values() if n) >= 8  # fields of work vary


def test_county_density_matches_the_speech(county: dict[str, Any]) -> None:
    density = county["figures"]["density"]
    assert density["urban_communities"] == PUBLISHED.urban_communities
    assert density["rural_villages"] == PUBLISHED.rural_villages
    assert density["villages"] == PUBLISHED.urban_communities + PUBLISHED.rural_villages
    assert density["avg_per_urban_community"] == round(1030 / 45, 4)  # 22.8889
    assert density["avg_per_rural_village"] == round(1186 / 79, 4)  # 15.0127
    assert round(density["avg_per_urban_community"]) == 23  # 平均每个社区近23家
    assert int(density["avg_per_rural_village"]) == 15  # 平均每个行政村15家


def test_county_charter_rates_are_100_percent(county: dict[str, Any]) -> None:
    party = county["figures"]["party_building"]
    assert party["party_clause"] == PUBLISHED.active
    assert party["integrity_clause"] == PUBLISHED.active
    assert party["party_clause_rate"] == PUBLISHED.party_clause_rate  # 党建入章率100%
    assert party["integrity_clause_rate"] == PUBLISHED.integrity_clause_rate  # 清廉入章率100%


def test_county_platforms_match_the_speech(county: dict[str, Any]) -> None:
    assert "platforms" in county["figures"], f"no platforms group in {sorted(county['figures'])}"
    platforms = county["figures"]["platforms"]
    assert {
        k: platforms.get(k) for k in ("county_centres", "township_platforms", "village_stations")
    } == {
        "county_centres": PUBLISHED.county_centres,  # 县级社会组织党群服务中心1家
        "township_platforms": PUBLISHED.township_platforms,  # 乡镇级社会组织服务平台12家
        "village_stations": PUBLISHED.village_stations,  # 村级社会组织服务站180家
    }


def test_townships_add_up_to_the_county(
    county: dict[str, Any], townships: dict[str, dict[str, Any]]
) -> None:
    assert len(townships) == 12
    for key in ADDITIVE:
        assert sum(figure(t, key) for t in townships.values()) == figure(county, key), key
    # the county's drill-down lines are what each township's own API reports
    lines = {line["code"]: line["figures"] for line in county["children"]}
    assert set(lines) == set(townships)
    for code, report in townships.items():
        assert lines[code]["organisations"] == report["figures"]["organisations"], code
        assert lines[code]["party_building"] == report["figures"]["party_building"], code
        assert report["figures"]["party_building"]["party_clause_rate"] == 1.0, code
        assert report["figures"]["party_building"]["integrity_clause_rate"] == 1.0, code
    # 3 街道: urban only; 9 镇/乡: rural only
    urban = [t for t in townships.values() if figure(t, "organisations.urban")]
    assert len(urban) == 3 and all(figure(t, "organisations.rural") == 0 for t in urban)
    assert sum(figure(t, "organisations.urban") for t in urban) == PUBLISHED.urban


def test_platforms_add_up(
    county: dict[str, Any],
    townships: dict[str, dict[str, Any]],
    villages: dict[str, dict[str, Any]],
) -> None:
    for key in ADDITIVE_PLATFORMS:
        assert sum(figure(t, key) for t in townships.values()) == figure(county, key), key
    assert all(figure(t, "platforms.township_platforms") == 1 for t in townships.values())
    stations = [figure(v, "platforms.village_stations") for v in villages.values()]
    assert sum(stations) == PUBLISHED.village_stations
    assert Counter(stations) == {1: 124 - 56, 2: 56}
    # the county centre sits in the county division itself, in no township
    assert figure(county, "platforms.county_centres") == PUBLISHED.county_centres
    assert all(figure(t, "platforms.county_centres") == 0 for t in townships.values())


def test_villages_add_up_to_the_county(
    seeded: Seeded, county: dict[str, Any], villages: dict[str, dict[str, Any]]
) -> None:
    assert len(villages) == 124
    assert sum(figure(v, "organisations.active") for v in villages.values()) == PUBLISHED.active
    for key in ADDITIVE:
        assert sum(figure(v, key) for v in villages.values()) == figure(county, key), key
    # each village holds what the plan put there: 23 or 22 per community, 15 or 16 per village
    planned = Counter(o.village_code for o in seeded.loaded.plan.organisations)
    assert {code: figure(v, "organisations.active") for code, v in villages.items()} == planned
    j = seeded.platform.jurisdiction
    urban = Counter(planned[v.code] for v in j.villages() if v.area is Area.URBAN)
    rural = Counter(planned[v.code] for v in j.villages() if v.area is Area.RURAL)
    assert urban == {23: 40, 22: 5} and rural == {15: 78, 16: 1}


def test_raw_events_agree(seeded: Seeded) -> None:
    """Independently of the read models: count the integration events in the three stores."""
    stores = envelopes_by_source(seeded.platform)
    # The operators' accounts (ADR 0012) are opened by the test setup, not by the scenario.
    stores = {
        name: [e for e in envelopes if ".account." not in e.type]
        for name, envelopes in stores.items()
    }
    types = {name: Counter(e.type for e in envelopes) for name, envelopes in stores.items()}
    assert types["village"] == {
        "sanji.village.group.applied.v1": PUBLISHED.filed,
        "sanji.village.platform.opened.v1": PUBLISHED.village_stations,
    }
    assert types["township"] == {
        "sanji.township.filing.filed.v1": PUBLISHED.filed,
        "sanji.township.charter.approved.v1": PUBLISHED.filed,
        "sanji.township.platform.opened.v1": PUBLISHED.township_platforms,
    }
    assert types["county"] == {
        "sanji.county.organisation.registered.v1": PUBLISHED.registered,
        "sanji.county.usci.claimed.v1": PUBLISHED.registered,  # each code once (ADR 0034)
        "sanji.county.charter.approved.v1": PUBLISHED.registered,
        "sanji.county.platform.opened.v1": PUBLISHED.county_centres,
    }

    def of(tier: str, kind: str) -> list[Envelope]:
        return [e for e in stores[tier] if e.type == f"sanji.{tier}.{kind}.v1"]

    charters = of("township", "charter.approved") + of("county", "charter.approved")
    assert all(e.data["party_clause"] and e.data["integrity_clause"] for e in charters)
    entered = of("township", "filing.filed") + of("county", "organisation.registered")
    assert len({e.organisation_id for e in entered}) == PUBLISHED.active
    j = seeded.platform.jurisdiction
    areas = Counter(
        division.area for e in entered if (division := j.get(e.division_code)) is not None
    )
    assert areas == {Area.URBAN: PUBLISHED.urban, Area.RURAL: PUBLISHED.rural}
    forms = Counter(e.data["usci"][1] for e in of("county", "organisation.registered"))
    assert set(forms) == {"1", "2", "3"} and sum(forms.values()) == PUBLISHED.registered
    # every command took legal effect on a fixed past day, before the report's as-of date
    assert max(e.effective_at.date() for es in stores.values() for e in es) < AS_OF
    # every command was made by an operator of the division it concerns
    for tier, envelopes in stores.items():
        for e in envelopes:
            assert e.actor.tier == tier
            assert contains(e.actor.division, e.division_code), e


def test_the_three_read_models_reconcile_at_one_point(seeded: Seeded) -> None:
    """The CLI's check (python -m services reconcile) over the scenario: every additive figure,
    within each tier's read model and across the three, at equal watermarks."""
    from shared.kernel.periods import resolve
    from shared.reporting.reconcile import reconcile_tiers

    p = seeded.platform
    as_of, period = resolve(AS_OF)
    rules = p.tiers[Tier.COUNTY].rules.in_force(as_of)
    result = reconcile_tiers(
        {t: rt.db for t, rt in p.tiers.items()}, p.jurisdiction, COUNTY, as_of, period, rules
    )
    assert result["consistent_point"] and result["ok"], result
    assert result["totals"]["county"]["organisations.active"] == 2216
    assert result["totals"]["village"]["platforms.village_stations"] == 180
