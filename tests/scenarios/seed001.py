"""Seed 001: the county of a published civil-affairs speech, rebuilt through the operator APIs.

Source: ``../shared/seeds/001_586b06467a153587.txt`` (Xx县民政局, a speech at a city meeting on
community social organisations). Its figures, which the county report must reproduce exactly:

- 2,216 community social organisations: 156 registered (登记), 2,060 filed (备案);
- urban 1,030 over 45 communities (平均每个社区近23家), rural 1,186 over 79 administrative
  villages (平均每个行政村15家);
- party-clause and integrity-clause charter rates (党建入章率, 清廉入章率) both 100%;
- 1 county centre (县级社会组织党群服务中心), 12 township platforms (乡镇级社会组织服务平台),
  180 village stations (村级社会组织服务站).

The division tree is ``seed001_county.csv`` (fictional names and populations): 3 街道 with 15
urban communities each, 7 镇 with 9 administrative villages each and 2 乡 with 8 each. The
speech gives no finer breakdown, so :func:`plan_seed001` spreads the organisations
deterministically (seeded ``random.Random``):

- urban: 40 communities with 23 organisations, 5 with 22 (= 1,030); rural: 78 villages with 15,
  1 with 16 (= 1,186);
- registered: 2 in every community plus a third in 6 of them (96 urban), 1 in 60 villages
  (60 rural); legal forms mixed (USCI position 2: 1 social group, 2 private non-enterprise unit,
  3 foundation); everything else filed;
- every charter carries both clauses; fields of work vary by the group's theme;
- 180 village stations: one in each of the 124 villages/communities, a second in 56 of them.

:func:`load_seed001` then records all of it through the three tiers' HTTP APIs only, each call
made by an operator of the division it concerns, with fixed past effective dates (2021–2024),
so that a report as of :data:`AS_OF` (or any later day) is independent of the wall clock.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.kernel.domain import Actor, Category
from shared.kernel.domain import Field as OrgField
from shared.kernel.integration.events import PlatformKind
from shared.kernel.jurisdiction import Area, Division, Jurisdiction, Tier
from tests.helpers import usci

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

# The speech these figures come from: ../shared/seeds/001_586b06467a153587.txt (beside the repo).
JURISDICTION_FILE = Path(__file__).with_name("seed001_county.csv")
COUNTY = "330681000000"
AS_OF = date(2025, 6, 30)  # every effective date of the scenario lies before it
SEED = 586


@dataclass(frozen=True)
class Published:
    """The speech's figures (截至目前)."""

    active: int = 2216
    registered: int = 156
    filed: int = 2060
    urban: int = 1030
    rural: int = 1186
    urban_communities: int = 45
    rural_villages: int = 79
    party_clause_rate: float = 1.0
    integrity_clause_rate: float = 1.0
    county_centres: int = 1
    township_platforms: int = 12
    village_stations: int = 180


PUBLISHED = Published()

# Per-village shape chosen to meet the published totals (see the module docstring).
URBAN_SHORT = 5  # communities with 22 instead of 23
RURAL_LONG = 1  # villages with 16 instead of 15
URBAN_REGISTERED_BASE = 2  # registered organisations in every community …
URBAN_REGISTERED_EXTRA = 6  # … and a third one in this many communities
RURAL_REGISTERED = 60  # villages with one registered organisation
DOUBLE_STATIONS = 56  # villages/communities with a second service station

# Filed groups: (name suffix, field, category). At least 23 urban and 16 rural themes, so no
# village has two groups of the same name.
URBAN_THEMES: list[tuple[str, OrgField, Category]] = [
    (s, f, Category.GENERAL)
    for s, f in [
        ("爱心助老服务队", OrgField.SERVICES),
        ("四点半课堂", OrgField.SERVICES),
        ("便民服务队", OrgField.SERVICES),
        ("助残服务社", OrgField.SERVICES),
        ("居民议事会", OrgField.SELF_GOVERNANCE),
        ("楼道自治小组", OrgField.SELF_GOVERNANCE),
        ("业主自治小组", OrgField.SELF_GOVERNANCE),
        ("广场舞队", OrgField.CULTURE_SPORTS),
        ("太极拳队", OrgField.CULTURE_SPORTS),
        ("合唱团", OrgField.CULTURE_SPORTS),
        ("书画社", OrgField.CULTURE_SPORTS),
        ("读书会", OrgField.CULTURE_SPORTS),
        ("越剧社", OrgField.CULTURE_SPORTS),
        ("篮球队", OrgField.CULTURE_SPORTS),
        ("平安巡逻队", OrgField.SAFETY),
        ("消防志愿队", OrgField.SAFETY),
        ("爱心驿站", OrgField.CHARITY),
        ("微心愿工作室", OrgField.CHARITY),
        ("老娘舅调解室", OrgField.MEDIATION),
        ("和事佬协商队", OrgField.MEDIATION),
        ("邻里互助会", OrgField.MUTUAL_AID),
        ("睦邻客厅", OrgField.MUTUAL_AID),
        ("银龄互助社", OrgField.MUTUAL_AID),
        ("垃圾分类宣讲队", OrgField.OTHER),
        ("亲子阅读会", OrgField.OTHER),
    ]
]
RURAL_THEMES: list[tuple[str, OrgField, Category]] = [
    ("乡贤参事会", OrgField.SELF_GOVERNANCE, Category.VILLAGE_SAGE_COUNCIL),
    *[
        (s, f, Category.GENERAL)
        for s, f in [
            ("村民议事会", OrgField.SELF_GOVERNANCE),
            ("红白理事会", OrgField.SELF_GOVERNANCE),
            ("助老志愿队", OrgField.SERVICES),
            ("留守儿童关爱小组", OrgField.SERVICES),
            ("农技服务队", OrgField.RURAL_REVITALISATION),
            ("乡村振兴促进会", OrgField.RURAL_REVITALISATION),
            ("农家书屋读书会", OrgField.CULTURE_SPORTS),
            ("腰鼓队", OrgField.CULTURE_SPORTS),
            ("广场舞队", OrgField.CULTURE_SPORTS),
            ("舞龙队", OrgField.CULTURE_SPORTS),
            ("平安巡逻队", OrgField.SAFETY),
            ("护林防火队", OrgField.SAFETY),
            ("老娘舅调解室", OrgField.MEDIATION),
            ("爱心互助金", OrgField.CHARITY),
            ("邻里互助会", OrgField.MUTUAL_AID),
            ("环境整治志愿队", OrgField.OTHER),
        ]
    ],
]
# Registered organisations by legal form (USCI position 2): name suffixes and fields.
REGISTERED_STEMS: dict[str, list[tuple[str, OrgField]]] = {
    "1": [
        ("老年协会", OrgField.MUTUAL_AID),
        ("文体协会", OrgField.CULTURE_SPORTS),
        ("志愿者协会", OrgField.SERVICES),
        ("乡贤联谊会", OrgField.RURAL_REVITALISATION),
    ],
    "2": [
        ("社会工作服务中心", OrgField.SERVICES),
        ("居家养老服务中心", OrgField.SERVICES),
        ("青少年服务中心", OrgField.SERVICES),
        ("人民调解服务中心", OrgField.MEDIATION),
    ],
    "3": [("慈善基金会", OrgField.CHARITY)],
}


@dataclass(frozen=True)
class OrgPlan:
    village_code: str
    name: str
    field: str
    category: str
    form: str | None  # USCI legal-form digit if registered; None: a filed group
    usci: str | None
    founded_on: date  # filed groups only
    applied_on: date  # filed: village application; registered: registration
    decided_on: date  # filed: township filing decision; registered: = applied_on
    charter_on: date


@dataclass(frozen=True)
class PlatformPlan:
    tier: Tier
    kind: str
    division_code: str
    name: str
    opened_on: date


@dataclass(frozen=True)
class Plan:
    organisations: list[OrgPlan]
    platforms: list[PlatformPlan]

    @property
    def filed(self) -> list[OrgPlan]:
        return [o for o in self.organisations if o.form is None]

    @property
    def registered(self) -> list[OrgPlan]:
        return [o for o in self.organisations if o.form is not None]


def _day(start: date, rng: random.Random, span: int) -> date:
    return start + timedelta(days=rng.randrange(span))


def plan_seed001(j: Jurisdiction, seed: int = SEED) -> Plan:
    """Every organisation and platform of the scenario; the same plan for the same seed."""
    rng = random.Random(seed)
    urban = sorted((v for v in j.villages() if v.area is Area.URBAN), key=lambda v: v.code)
    rural = sorted((v for v in j.villages() if v.area is Area.RURAL), key=lambda v: v.code)
    assert (len(urban), len(rural)) == (PUBLISHED.urban_communities, PUBLISHED.rural_villages)

    short = set(rng.sample([v.code for v in urban], URBAN_SHORT))
    long = set(rng.sample([v.code for v in rural], RURAL_LONG))
    extra = set(rng.sample([v.code for v in urban], URBAN_REGISTERED_EXTRA))
    with_registered = set(rng.sample([v.code for v in rural], RURAL_REGISTERED))
    total = {v.code: 22 if v.code in short else 23 for v in urban}
    total |= {v.code: 16 if v.code in long else 15 for v in rural}
    registered = {v.code: URBAN_REGISTERED_BASE + (v.code in extra) for v in urban}
    registered |= {v.code: int(v.code in with_registered) for v in rural}
    assert sum(total[v.code] for v in urban) == PUBLISHED.urban
    assert sum(total[v.code] for v in rural) == PUBLISHED.rural
    assert sum(registered.values()) == PUBLISHED.registered

    division = j.county.code[:6]  # the registering authority: this county's civil-affairs bureau
    organisations: list[OrgPlan] = []
    serial = 0
    for village in urban + rural:
        themes = URBAN_THEMES if village.area is Area.URBAN else RURAL_THEMES
        n_registered = registered[village.code]
        n_filed = total[village.code] - n_registered
        # The sage council (rural themes[0]) comes first in every village; the rest shuffled.
        order = [themes[0], *rng.sample(themes[1:], len(themes) - 1)]
        for name, org_field, category in order[:n_filed]:
            applied = _day(date(2023, 1, 2), rng, 540)
            decided = applied + timedelta(days=rng.randrange(5, 30))
            organisations.append(
                OrgPlan(
                    village_code=village.code,
                    name=village.name + name,
                    field=str(org_field),
                    category=str(category),
                    form=None,
                    usci=None,
                    founded_on=applied - timedelta(days=rng.randrange(30, 1500)),
                    applied_on=applied,
                    decided_on=decided,
                    charter_on=decided + timedelta(days=rng.randrange(0, 20)),
                )
            )
        used: set[str] = set()
        for _ in range(n_registered):
            # 6 foundations in all, the rest alternating social group / private non-enterprise.
            form = "3" if serial % 26 == 25 else "2" if serial % 2 else "1"
            serial += 1
            stems = [s for s in REGISTERED_STEMS[form] if s[0] not in used]
            stem, org_field = rng.choice(stems)
            used.add(stem)
            registered_on = _day(date(2022, 6, 1), rng, 900)
            organisations.append(
                OrgPlan(
                    village_code=village.code,
                    name=village.name + stem,
                    field=str(org_field),
                    category=str(Category.GENERAL),
                    form=form,
                    usci=usci(serial, form, division),
                    founded_on=registered_on,
                    applied_on=registered_on,
                    decided_on=registered_on,
                    charter_on=registered_on + timedelta(days=rng.randrange(0, 30)),
                )
            )

    platforms = [
        PlatformPlan(
            Tier.COUNTY,
            str(PlatformKind.COUNTY_CENTRE),
            j.county.code,
            f"{j.county.name}社会组织党群服务中心",
            date(2021, 6, 18),
        )
    ]
    for township in j.townships():
        platforms.append(
            PlatformPlan(
                Tier.TOWNSHIP,
                str(PlatformKind.TOWNSHIP_PLATFORM),
                township.code,
                f"{township.name}社会组织服务平台",
                _day(date(2022, 1, 4), rng, 360),
            )
        )
    villages: list[Division] = urban + rural
    doubles = set(rng.sample([v.code for v in villages], DOUBLE_STATIONS))
    for village in villages:
        for suffix in ("社会组织服务站", "睦邻客厅服务站")[: 1 + (village.code in doubles)]:
            platforms.append(
                PlatformPlan(
                    Tier.VILLAGE,
                    str(PlatformKind.VILLAGE_STATION),
                    village.code,
                    village.name + suffix,
                    _day(date(2022, 6, 1), rng, 730),
                )
            )
    return Plan(organisations, platforms)


# ------------------------------------------------------------------ loading through HTTP


class LoadError(RuntimeError):
    """A command of the scenario was refused."""


@dataclass
class Loaded:
    """What :func:`load_seed001` created, and how long each phase took (seconds)."""

    plan: Plan
    filed: list[UUID] = field(default_factory=list)
    registered: list[UUID] = field(default_factory=list)
    platforms: list[UUID] = field(default_factory=list)
    commands: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


class _Operators:
    """Bearer headers of one operator per division, bound to that division's tier."""

    def __init__(self, auth: Callable[[Actor], dict[str, str]]) -> None:
        self.auth = auth
        self.headers: dict[str, dict[str, str]] = {}

    def __call__(self, tier: Tier, division: str) -> dict[str, str]:
        if division not in self.headers:
            actor = Actor(f"seed001-{tier}-{division}", tier, division)
            self.headers[division] = self.auth(actor)
        return self.headers[division]


def load_seed001(
    clients: Mapping[Tier, TestClient],
    auth: Callable[[Actor], dict[str, str]],
    jurisdiction: Jurisdiction,
    settle: Callable[[], None],
    plan: Plan | None = None,
) -> Loaded:
    """Record the scenario through the tier APIs; ``settle`` relays and projects everything
    pending (``Platform.drain`` or ``wait_until_projected``). The township decides on a group
    only once its read model has seen the village's application, so the load settles once
    between the village and township phases, and once at the end."""
    plan = plan or plan_seed001(jurisdiction)
    loaded = Loaded(plan)
    op = _Operators(auth)
    village, township, county = clients[Tier.VILLAGE], clients[Tier.TOWNSHIP], clients[Tier.COUNTY]

    def post(
        client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str], status: int
    ) -> dict[str, Any]:
        response = client.post(path, json=body, headers=headers)
        loaded.commands += 1
        if response.status_code != status:
            raise LoadError(f"POST {path} {body}: {response.status_code} {response.text}")
        result: dict[str, Any] = response.json()
        return result

    def phase(name: str, started: float) -> None:
        loaded.seconds[name] = loaded.seconds.get(name, 0.0) + time.perf_counter() - started

    started = time.perf_counter()
    for p in plan.platforms:
        tier_op = (Tier.COUNTY, jurisdiction.county.code)
        if p.tier is Tier.TOWNSHIP:
            tier_op = (Tier.TOWNSHIP, p.division_code)
        elif p.tier is Tier.VILLAGE:
            tier_op = (Tier.VILLAGE, p.division_code)
        body = {
            "kind": p.kind,
            "division_code": p.division_code,
            "name": p.name,
            "effective_on": p.opened_on.isoformat(),
        }
        out = post(clients[p.tier], "/api/v1/platforms", body, op(*tier_op), 201)
        loaded.platforms.append(UUID(out["id"]))
    phase("platforms", started)

    started = time.perf_counter()
    applications: list[tuple[OrgPlan, UUID]] = []
    for o in plan.filed:
        body = {
            "village_code": o.village_code,
            "name": o.name,
            "field": o.field,
            "founded_on": o.founded_on.isoformat(),
            "category": o.category,
            "effective_on": o.applied_on.isoformat(),
        }
        out = post(
            village,
            "/api/v1/filing-applications",
            body,
            op(Tier.VILLAGE, o.village_code),
            201,
        )
        applications.append((o, UUID(out["organisation_id"])))
    phase("village applications", started)

    started = time.perf_counter()
    settle()
    phase("settle", started)

    started = time.perf_counter()
    for o, org in applications:
        headers = op(Tier.TOWNSHIP, jurisdiction.township_of(o.village_code))
        decision = {"decision": "filed", "effective_on": o.decided_on.isoformat()}
        post(township, f"/api/v1/organisations/{org}/filing-decision", decision, headers, 201)
        charter = {
            "party_clause": True,
            "integrity_clause": True,
            "effective_on": o.charter_on.isoformat(),
        }
        post(township, f"/api/v1/organisations/{org}/charter", charter, headers, 200)
        loaded.filed.append(org)
    phase("township filings and charters", started)

    started = time.perf_counter()
    headers = op(Tier.COUNTY, jurisdiction.county.code)
    for o in plan.registered:
        assert o.usci is not None
        registration = {
            "usci": o.usci,
            "name": o.name,
            "field": o.field,
            "village_code": o.village_code,
            "category": o.category,
            "effective_on": o.applied_on.isoformat(),
        }
        org = UUID(post(county, "/api/v1/registrations", registration, headers, 201)["id"])
        charter = {
            "party_clause": True,
            "integrity_clause": True,
            "effective_on": o.charter_on.isoformat(),
        }
        post(county, f"/api/v1/organisations/{org}/charter", charter, headers, 200)
        loaded.registered.append(org)
    phase("county registrations and charters", started)

    started = time.perf_counter()
    settle()
    phase("settle", started)
    return loaded


if __name__ == "__main__":  # python -m tests.scenarios.seed001: load once and print the timings
    import tempfile

    from services.platform import Platform
    from shared.infrastructure.settings import Settings
    from tests.helpers import Api

    with tempfile.TemporaryDirectory(prefix="sanji-seed001-") as tmp:
        settings = Settings(
            persistence="sqlite",
            data_dir=Path(tmp),
            jurisdiction_file=JURISDICTION_FILE,
            # One operator per division loads years of records as fast as it can: a bulk load,
            # not an operator at a keyboard (the per-account limit is tested on its own).
            rate_limit_per_second=0,
        )
        platform = Platform.build(settings)
        api = Api.of(platform)
        result = load_seed001(api.clients, api.auth, platform.jurisdiction, platform.drain)
        platform.stop()
    print(f"{result.commands} commands in {result.total_seconds:.1f} s")
    for name, seconds in result.seconds.items():
        print(f"  {name:36} {seconds:7.1f} s")
