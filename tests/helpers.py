"""Builders shared by the tests: operators, command metadata, valid codes, a seeded history."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID, uuid4

from services.county.application import CountyApplication
from services.platform import BOOTSTRAPS, Platform
from services.township.application import TownshipApplication
from services.village.application import VillageApplication
from shared.capabilities.divisions.history import Change
from shared.capabilities.identity.accounts import Account, account_id
from shared.capabilities.identity.passwords import hash_password
from shared.capabilities.identity.provision import ensure_account, token_for
from shared.capabilities.identity.tokens import Keyring
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import Database
from shared.kernel.domain import CHINA, Actor, Meta
from shared.kernel.integration.envelope import Envelope
from shared.kernel.integration.events import DivisionChangeKind
from shared.kernel.jurisdiction import Jurisdiction, Tier
from shared.kernel.usci import check_character
from shared.tier.lookup import OrgFacts
from shared.tier.readmodel import canonical_dump
from shared.tier.runtime import AppSourceReader

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal
    from fastapi.testclient import TestClient

CST = timezone(timedelta(hours=8))

COUNTY = "330699000000"
TOWNSHIP = "330699001000"  # 城关街道, urban
VILLAGE = "330699001001"  # 文昌社区
VILLAGE_2 = "330699001002"  # 南门社区, same township
RURAL_TOWNSHIP = "330699101000"  # 青溪镇
RURAL_VILLAGE = "330699101001"  # 青溪村


def today_cst() -> date:
    """Legal dates are China Standard Time dates (readmodel.effective_date)."""
    return datetime.now(CST).date()


def village_op(code: str = VILLAGE, id: str | None = None) -> Actor:
    return Actor(id or f"v-{code}", Tier.VILLAGE, code)


def township_op(code: str = TOWNSHIP, id: str | None = None) -> Actor:
    return Actor(id or f"t-{code}", Tier.TOWNSHIP, code)


def county_op(id: str = "county-admin") -> Actor:
    return Actor(id, Tier.COUNTY, COUNTY)


# Signs tokens in tests that run as production does (PostgreSQL, Kafka): long enough to start.
TEST_SECRET = "sanji-test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
# Every test account has this password (hashed once: Argon2 is slow on purpose).
TEST_PASSWORD = "Test-password-1"
_TEST_HASH: list[str] = []
# Test tokens outlive the clocks tests move forward (expiry is tested on its own).
TEST_TOKEN_LIFETIME = timedelta(days=3650)


def test_password_hash() -> str:
    if not _TEST_HASH:
        _TEST_HASH.append(hash_password(TEST_PASSWORD))
    return _TEST_HASH[0]


def test_account(app: Any, actor: Actor) -> Account:
    """The account behind a test actor (username = its id), opened or updated as needed."""
    roles = actor.roles or (actor.role,)
    name = actor.name or actor.id
    return ensure_account(app, actor.id.lower(), name, actor.division, roles, test_password_hash())


def account_of(actor: Actor) -> str:
    """The account id a test actor's acts are recorded under."""
    return str(account_id(actor.tier, actor.id.lower()))


def as_recorded(actor: Actor) -> Actor:
    """The actor the platform records for a test actor's requests: its account (ADR 0012)."""
    roles = actor.roles or (actor.role,)
    role = "operator" if "operator" in roles else roles[0]
    return Actor(account_of(actor), actor.tier, actor.division, role, actor.name or actor.id, roles)


def bearer(app: Any, keyring: Keyring, actor: Actor) -> dict[str, str]:
    """Authorization header for ``actor``: its account opened in ``app``'s store on first use,
    a token minted with the signing key (as ``python -m services tokens`` does)."""
    account = test_account(app, actor)
    token = token_for(keyring, account, app.clock(), TEST_TOKEN_LIFETIME)
    return {"Authorization": "Bearer " + token}


def seed_accounts(p: Platform) -> None:
    """Every account event on every tier: an admin opens, changes, disables and re-enables an
    account; its holder fails to log in until locked, logs in, changes the password, logs out."""
    j = p.jurisdiction
    for tier, division in (
        (Tier.COUNTY, COUNTY),
        (Tier.TOWNSHIP, TOWNSHIP),
        (Tier.VILLAGE, VILLAGE),
    ):
        app = p.tiers[tier].app
        admin = Actor("seed-admin", Tier.COUNTY, j.county.code, "admin", "管理员", ("admin",))
        act = meta(admin)
        created = app.create_account(
            f"{tier}-clerk", "张三", division, ["operator"], test_password_hash(), act
        )
        app.change_account(created.id, "张三", ["operator", "viewer"], meta(admin))
        app.disable_account(created.id, "离职", meta(admin))
        app.enable_account(created.id, "返岗", meta(admin))
        app.reset_password(created.id, test_password_hash(), meta(admin))
        account = app.account(created.id)
        clerk = Actor(str(created.id), tier, division, "operator", "张三", ("operator",))
        for _ in range(3):
            app.record_failed_login(account, "10.0.0.1", 3, timedelta(minutes=15), meta(clerk))
        now = datetime.now(UTC)
        app.record_login(account, "session-1", now + timedelta(hours=8), "10.0.0.1", meta(clerk))
        app.change_own_password(account, test_password_hash(), meta(clerk))
        app.record_logout(account.id, "session-1", now + timedelta(hours=8), meta(clerk))
    p.drain()


def usual_operators(j: Jurisdiction) -> list[Actor]:
    """The default operator of every division (``village_op(code)`` …)."""
    return [
        Actor(county_op().id, Tier.COUNTY, j.county.code),
        *(township_op(t.code) for t in j.townships()),
        *(village_op(v.code) for v in j.villages()),
    ]


def meta(
    actor: Actor,
    key: str | None = None,
    request_hash: str | None = None,
    at: datetime | None = None,
) -> Meta:
    return Meta(
        actor=actor,
        effective_at=at or datetime.now(UTC),
        correlation_id=str(uuid4()),
        idempotency_key=key,
        request_hash=request_hash or (f"hash-{key}" if key else None),
    )


def usci(serial: int, form: str = "1", division: str = "330699") -> str:
    """A valid civil-affairs USCI (5 + form + authority division + org code + check)."""
    first17 = f"5{form}{division}MJ{serial:07d}"
    return first17 + check_character(first17)


class MovableClock:
    """A clock tests move across rule boundaries (ADR 0007): 09:00 China time on a day."""

    def __init__(self, start: date) -> None:
        self.set(start)

    def __call__(self) -> datetime:
        return self.now

    def set(self, day: date) -> None:
        self.now = datetime.combine(day, time(9), CHINA)


# A backdating window wide enough for tests that load years of history through the commands
# (loading history is a later issue's own path; until then these tests widen the window).
HISTORY_BACKDATE_DAYS = 100 * 366


def build_platform(
    data_dir: Path,
    clock: Callable[[], datetime] | None = None,
    backdate_days: int = Settings.backdate_days,
    **settings: Any,
) -> Platform:
    """The three tiers in memory; ``settings`` override the tests' defaults."""
    # No daily checkpoint thread: tests that count stored events record checkpoints themselves.
    # Nor rule timers (ADR 0007): tests that need them move a clock and call run_due.
    p = Platform.build(
        Settings(
            persistence="memory",
            data_dir=data_dir,
            daily_checkpoint=False,
            supervision_seconds=0,
            backdate_days=backdate_days,
            # Tests replay many commands a second as one operator, as an import script would;
            # the per-account limit is tested on its own (tests/e2e/test_limits.py).
            **{"rate_limit_per_second": 0, **settings},
        )
    )
    if clock is not None:
        for rt in p.tiers.values():
            rt.app.clock = clock
    return p


def facts(p: Platform, org: UUID, tier: Tier = Tier.COUNTY) -> OrgFacts:
    """What ``tier``'s read model knows of an organisation (it must know it)."""
    known = p.tiers[tier].app.lookup.get(org)
    assert known is not None, f"{tier} does not know {org}"
    return known


def governance_work(
    p: Platform, org: UUID, on: date | None = None, theme: str = "mediation"
) -> UUID:
    """A governance-themed activity of ``org`` (矛盾调解 by default) on ``on`` (the village's
    today), reported by its village and relayed: the shipped commendation rule
    (``commendation/local/v2``, ADR 0024 addendum) restricts grading, funding and purchase of
    services to organisations with such work in the twelve months before the act."""
    v = apps(p)[0]
    settle(p)
    code = facts(p, org, Tier.VILLAGE).village_code
    day = on or v.clock().astimezone(CHINA).date()
    at = datetime.combine(day, time(10), CHINA)
    result = v.report_activity(
        org, day, "services", 6, 2, 2, Decimal(3), 20, Decimal(0),
        meta(village_op(code), at=min(at, v.clock())), themes=[theme],
    )  # fmt: skip
    settle(p)
    return cast(UUID, result.id)


def heads(p: Platform) -> dict[Tier, int]:
    """Last notification id of every tier's event store (0 if empty)."""
    return {t: rt.app.recorder.max_notification_id() or 0 for t, rt in p.tiers.items()}


def settle(p: Platform) -> None:
    """Relay and project everything recorded so far, whether or not the platform's own threads
    run (the ``api`` fixture starts them): drain() in this thread does not see a batch one of
    those threads has polled and not yet applied, so wait until every tier has applied it."""
    p.drain()
    p.wait_until_projected(timeout=10)


@contextmanager
def stores_nothing(p: Platform) -> Iterator[None]:
    """Asserts that no tier stored an event inside the block."""
    before = heads(p)
    yield
    assert heads(p) == before, f"events were stored: {before} -> {heads(p)}"


@contextmanager
def recorded_on(p: Platform, at: Meta) -> Iterator[None]:
    """Inside the block every tier's clock reads ``at``'s effective time: history seeded
    through the live commands is recorded as it happened, so the deadlines it starts run from
    its own dates (live, a backdated act's deadlines run from the recording day, ADR 0013)."""
    clocks = {t: rt.app.clock for t, rt in p.tiers.items()}
    for rt in p.tiers.values():
        rt.app.clock = lambda: at.effective_at
    try:
        yield
    finally:
        for t, rt in p.tiers.items():
            rt.app.clock = clocks[t]


def apps(p: Platform) -> tuple[VillageApplication, TownshipApplication, CountyApplication]:
    """The village, township and county applications."""
    return (
        cast(VillageApplication, p.tiers[Tier.VILLAGE].app),
        cast(TownshipApplication, p.tiers[Tier.TOWNSHIP].app),
        cast(CountyApplication, p.tiers[Tier.COUNTY].app),
    )


def source_reader(p: Platform) -> AppSourceReader:
    return AppSourceReader({rt.app.name: rt.app for rt in p.tiers.values()})


def envelopes_by_source(p: Platform) -> dict[str, list[Envelope]]:
    """Every integration event each tier store holds, in store order, with the previous chain."""
    reader = source_reader(p)
    return {rt.app.name: reader.read(rt.app.name, 0, 1_000_000) for rt in p.tiers.values()}


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.transaction() as tx:
        return canonical_dump(tx)


# ------------------------------------------------------------------ HTTP

# The event loop every TestClient of the test session sends its requests through (started by
# tests/conftest.py). Without it a TestClient starts a thread and an event loop per request,
# which is most of the cost of a small request (about 3 ms of 5); one loop for all requests is
# also how uvicorn serves them.
PORTAL: list[BlockingPortal] = []


def client_of(app: Any) -> TestClient:
    """A TestClient of ``app`` on the session's event loop (when there is one)."""
    from fastapi.testclient import TestClient  # imported late: it warns about httpx

    client = TestClient(app)
    if PORTAL:
        client.portal = PORTAL[0]
    return client


@dataclass
class Api:
    platform: Platform
    clients: dict[Tier, TestClient]
    village: TestClient = field(init=False)
    township: TestClient = field(init=False)
    county: TestClient = field(init=False)

    def __post_init__(self) -> None:
        self.village = self.clients[Tier.VILLAGE]
        self.township = self.clients[Tier.TOWNSHIP]
        self.county = self.clients[Tier.COUNTY]

    @classmethod
    def of(cls, p: Platform) -> Api:
        clients = {t: client_of(BOOTSTRAPS[t].build_api(rt)) for t, rt in p.tiers.items()}
        # The usual operators' accounts exist before a test counts stored events.
        for actor in usual_operators(p.jurisdiction):
            test_account(p.tiers[actor.tier].app, actor)
        return cls(p, clients)

    def auth(self, actor: Actor, key: str | None = None) -> dict[str, str]:
        """Bearer header of ``actor``'s account (opened on first use, see :func:`bearer`)."""
        runtime = self.platform.tiers[actor.tier]
        headers = bearer(runtime.app, runtime.keyring, actor)
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def heads(self) -> dict[Tier, int]:
        return heads(self.platform)

    def settle(self) -> None:
        """Wait until every tier has projected everything every store has recorded."""
        self.platform.wait_until_projected(timeout=10)

    def registered(self, serial: int, name: str = "文昌志愿队", village: str = VILLAGE) -> str:
        """An organisation the county registers through its API (USCI ``usci(serial)``),
        projected everywhere: its id."""
        body = {"usci": usci(serial), "name": name, "field": "services", "village_code": village}
        answer = self.county.post(
            "/api/v1/registrations", json=body, headers=self.auth(county_op())
        )
        assert answer.status_code == 201, answer.text
        self.settle()
        return str(answer.json()["id"])

    def governance_work(
        self, org: UUID | str, on: date | None = None, theme: str = "mediation"
    ) -> str:
        """:func:`governance_work` through the village's API: its station reports a
        governance-themed activity of ``org`` on ``on`` (the village's today), then settles."""
        self.settle()
        village = self.platform.tiers[Tier.VILLAGE].app
        code = facts(self.platform, UUID(str(org)), Tier.VILLAGE).village_code
        day = on or village.clock().astimezone(CHINA).date()
        body = {
            "occurred_on": day.isoformat(), "field": "services", "participants": 6,
            "volunteers": 2, "volunteer_services": 2, "volunteer_hours": "3",
            "beneficiaries": 20, "money_spent": "0", "themes": [theme],
        }  # fmt: skip
        r = self.village.post(
            f"/api/v1/organisations/{org}/activities",
            json=body,
            headers=self.auth(village_op(code)),
        )
        assert r.status_code == 201, r.text
        self.settle()
        return str(r.json()["id"])


# ------------------------------------------------------------------ a seeded history


@dataclass
class History:
    """Ids created by :func:`seed_history`, for tests that look at particular organisations."""

    filed: UUID  # filed, charter by township, inspected with rectification, active
    rejected: UUID
    cancelled: UUID  # filed then cancelled
    upgraded: UUID  # filed then registered (identities linked)
    registered: UUID  # new registration, charter, party org, annual report, rating, funding
    revoked: UUID
    deregistered: UUID
    pending: UUID  # applied, undecided


def seed_history(p: Platform) -> History:
    """A little of everything every tier can record, projected after each step."""
    v, t, c = apps(p)
    day = today_cst()
    figures: dict[str, Any] = {
        "occurred_on": day,
        "field": "culture_sports",
        "participants": 25,
        "volunteers": 4,
        "volunteer_services": 6,
        "volunteer_hours": Decimal("12.25"),
        "beneficiaries": 80,
        "money_spent": Decimal("310.40"),
    }

    def step(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # Each step acts on what the tiers have projected (a township decides on a group its
        # read model knows; a return's figures need the village's store projected).
        result = fn(*args, **kwargs)
        settle(p)
        return result

    def apply(village: str, name: str, category: str = "general") -> UUID:
        r = step(
            v.apply_for_filing,
            village,
            name,
            "services",
            date(2024, 5, 1),
            meta(village_op(village)),
            category=category,
        )
        return r.id

    def decide(org: UUID, village: str, filed: bool) -> None:
        township = village[:9] + "000"
        step(t.decide_filing, org, filed, "" if filed else "重复申请", meta(township_op(township)))

    filed = apply(VILLAGE, "文昌舞蹈队")
    rejected = apply(VILLAGE, "重复的舞蹈队")
    cancelled = apply(VILLAGE_2, "南门巡逻队")
    upgraded = apply(RURAL_VILLAGE, "青溪乡贤参事会", "village_sage_council")
    pending = apply(RURAL_VILLAGE, "青溪读书会")
    decide(filed, VILLAGE, True)
    decide(rejected, VILLAGE, False)
    decide(cancelled, VILLAGE_2, True)
    decide(upgraded, RURAL_VILLAGE, True)
    step(t.approve_charter, filed, True, False, meta(township_op()))
    # The dance team performs at a 平安建设 (safety) campaign: governance work, without which
    # the shipped commendation rule would refuse it the funding below (ADR 0024 addendum).
    step(v.report_activity, filed, meta=meta(village_op()), **figures, themes=["safety"])
    step(v.report_activity, upgraded, meta=meta(village_op(RURAL_VILLAGE)), **figures)
    step(t.cancel_filing, cancelled, "停止活动", meta(township_op()))
    inspection = step(
        t.record_inspection,
        filed,
        "rectification_ordered",
        "台账不全",
        ["张", "李"],
        meta(township_op()),
    )
    step(t.complete_rectification, inspection.id, meta(township_op()))

    # Registered long ago: the credit process and rating below are dated back to 2020 and
    # 2025, and no act on a registration takes effect before it (issue 12).
    long_ago = meta(county_op(), at=datetime.combine(date(2020, 1, 2), time(10), CHINA))
    registered = step(
        c.register, usci(1, "2"), "示范社工服务中心", "services", VILLAGE_2, None, long_ago
    ).id
    step(
        c.register,
        usci(2, "1"),
        "青溪乡贤参事会",
        "rural_revitalisation",
        None,
        upgraded,
        meta(county_op()),
        category="village_sage_council",
    )
    revoked = step(
        c.register, usci(3, "3"), "慈善基金会", "charity", RURAL_VILLAGE, None, long_ago
    ).id
    step(c.approve_charter, registered, True, True, meta(county_op()))
    step(c.set_up_party_organisation, registered, "joint", meta(county_op()))
    step(c.file_annual_report, registered, day.year - 1, meta(county_op()))
    # The service centre mediates neighbours' disputes: governance work in the year before
    # its grade and funding (the shipped commendation rule, ADR 0024 addendum).
    mediation = {**figures, "field": "services", "cases_taken": 3, "cases_resolved": 2}
    step(v.report_activity, registered, meta=meta(village_op(VILLAGE_2)), **mediation,
         themes=["mediation"])  # fmt: skip
    step(c.rate, registered, "A", 4, None, 3, meta(county_op()))
    award = step(
        c.award_funding,
        registered,
        "micro_venture",
        f"{day.year}",
        "助老",
        Decimal("20000"),
        None,
        meta(county_op()),
    )
    step(c.disburse, award.id, "首期", Decimal("12000"), meta(county_op()))
    step(c.enter_credit_list, registered, "abnormal", "未按时报送年报", meta(county_op()))
    step(c.leave_credit_list, registered, "abnormal", "已整改", meta(county_op()))
    step(c.enter_credit_list, upgraded, "abnormal", "无法取得联系", meta(county_op()))

    # The credit-list process (ADR 0007), on fixed past dates so the working-day calendar
    # always covers them: a trigger, notice, objection, verified rectification, then the
    # timer removes it; and a grade that has expired.
    def at(d: date) -> Meta:
        return meta(county_op(), at=datetime.combine(d, time(10), CHINA))

    with recorded_on(p, triggered := at(date(2025, 3, 3))):
        step(
            c.record_credit_trigger, registered, "unfinished_rectification", "整改未完成", triggered
        )
    step(c.notify_listing, registered, "abnormal", "告知书〔2025〕1号", at(date(2025, 3, 4)))
    step(c.lodge_objection, registered, "abnormal", "已整改完毕", at(date(2025, 3, 10)))
    step(c.decide_objection, registered, "abnormal", False, "尚未整改", at(date(2025, 3, 20)))
    with recorded_on(p, retriggered := at(date(2025, 4, 1))):
        step(c.record_credit_trigger, registered, "unreachable", "无法取得联系", retriggered)
    with recorded_on(p, verified := at(date(2025, 6, 2))):
        step(c.verify_rectification, registered, verified)
    with recorded_on(p, rated := at(date(2020, 6, 1))):
        step(c.rate, revoked, None, 2, None, None, rated)
    step(c.run_due)
    step(c.open_platform, "county_centre", COUNTY, "县社会组织党群服务中心", meta(county_op()))
    step(
        t.open_platform,
        "township_platform",
        TOWNSHIP,
        "城关街道社会组织服务平台",
        meta(township_op()),
    )
    step(t.open_platform, "incubator", VILLAGE, "文昌社区孵化园", meta(township_op()))
    step(v.open_platform, "village_station", VILLAGE, "文昌社区服务站", meta(village_op()))
    for app, op, kind, code in (
        (c, county_op(), "county_centre", COUNTY),
        (t, township_op(), "incubator", TOWNSHIP),
        (v, village_op(VILLAGE_2), "village_station", VILLAGE_2),
    ):
        closed = step(app.open_platform, kind, code, "临时站点", meta(op))
        step(app.close_platform, closed.id, "合并", meta(op))
    step(
        c.award_funding,
        filed,
        "micro_venture",
        f"{day.year}",
        "舞蹈",
        Decimal("5000.50"),
        registered,
        meta(county_op()),
    )
    step(v.report_activity, registered, meta=meta(village_op(VILLAGE_2)), **figures)
    step(c.revoke, revoked, "僵尸组织", meta(county_op()))
    deregistered = step(
        c.register, usci(4, "9"), "老年协会", "mutual_aid", VILLAGE, None, meta(county_op())
    ).id
    step(c.deregister, deregistered, "自愿注销", meta(county_op()))
    # A division change (ADR 0005) that moves no figure: a village without groups renamed.
    rename = Change(DivisionChangeKind.RENAME, "330699201004", day, name="岭头新村")
    step(c.change_division, rename, meta(county_op()))
    # Audit records every tier keeps (shared/capabilities/ledger/domain.py): an issued report and a checkpoint.
    for app, op, code in (
        (v, village_op(), VILLAGE),
        (t, township_op(), TOWNSHIP),
        (c, county_op(), COUNTY),
    ):
        step(
            app.issue_report,
            meta(op),
            title="测试报表",
            division_code=code,
            as_of=day,
            period_from=day.replace(month=1, day=1),
            period_to=day,
            period_label="",
            tree="as_of",
            known_at=None,
            watermarks={"county": 1},
            rule_versions={"density": "density/v1"},
            content_hash="sha256:" + "0" * 64,
        )
        step(app.record_checkpoint, day, {})
    seed_approvals(p, day.year - 1)
    return History(filed, rejected, cancelled, upgraded, registered, revoked, deregistered, pending)


def seed_approvals(p: Platform, year: int) -> tuple[UUID, UUID]:
    """Every step of the approval of periodic returns (ADR 0008), projected after each: an
    annual return of 文昌社区 through every transition, ending returned; an activity return of
    南门社区 submitted, approved and accepted."""
    from shared.capabilities.approvals import application as returns
    from shared.capabilities.approvals.domain import Action, ReturnKind

    v, t, c = apps(p)

    # Each step acts on what the next tier has seen (settle: even while the platform's own
    # threads run).
    def submit(code: str, kind: ReturnKind) -> UUID:
        result = returns.submit(v, kind, code, str(year), meta(village_op(code)))
        settle(p)
        return cast(UUID, result.extra["return_id"])

    def decide(app: Any, op: Actor, rid: UUID, action: Action, reason: str = "") -> None:
        returns.decide(app, rid, action, reason, meta(op))
        settle(p)

    annual = submit(VILLAGE, ReturnKind.ANNUAL_STATISTICS)
    decide(t, township_op(), annual, Action.RETURN, "数据不全")
    submit(VILLAGE, ReturnKind.ANNUAL_STATISTICS)
    decide(t, township_op(), annual, Action.APPROVE)
    decide(c, county_op(), annual, Action.UNAPPROVE, "请乡镇复核")
    decide(t, township_op(), annual, Action.APPROVE)
    decide(c, county_op(), annual, Action.ACCEPT)
    decide(c, county_op(), annual, Action.UNACCEPT, "发现错报")
    decide(c, county_op(), annual, Action.RETURN, "请更正后重报")
    activity = submit(VILLAGE_2, ReturnKind.ACTIVITY_RETURN)
    decide(t, township_op(), activity, Action.APPROVE)
    decide(c, county_op(), activity, Action.ACCEPT)
    return annual, activity


def seed_recount(p: Platform) -> None:
    """A removal deadline counted provisionally, then recounted by the timer once another
    calendar version is loaded (issue 12): the county's ``removal_due_recomputed`` event.
    Apart from the other seeds so their positions stay as they were."""
    c = apps(p)[2]
    org = c.register(usci(41), "青溪志愿队", "services", VILLAGE, None, meta(county_op())).id
    c.record_credit_trigger(org, "missed_annual_report", "年报未报送", meta(county_op()))
    p.drain()
    loaded = c.calendar
    # A version with no years: every day counted is past its data, so the deadline is provisional.
    c.calendar = replace(loaded, version="calendar/test/none/v0", years=frozenset())
    c.verify_rectification(org, meta(county_op()))
    c.calendar = loaded
    p.drain()
    c.run_due()
    p.drain()


def seed_training(p: Platform) -> None:
    """Every training event once at the county and a township (ADR 0024): a course today, the
    attendance of an organisation registered for it, corrected, the course corrected and
    cancelled."""
    from shared.capabilities.training import application as training

    _, t, c = apps(p)
    org = c.register(usci(42), "培训参训组织", "services", VILLAGE, None, meta(county_op())).id
    p.drain()
    start = today_cst()
    for app, op, code in ((c, county_op(), COUNTY), (t, township_op(), TOWNSHIP)):
        course = training.schedule(
            app, code, "负责人培训", "leaders", start, start, "中心", None, meta(op)
        ).id
        training.attend(app, course, org, 2, ["负责人"], meta(op))
        training.attend(app, course, org, 3, [], meta(op), reason="漏记")
        args = ("负责人培训", "leaders", start, start, "中心", None, "改授课人")
        training.correct(app, course, *args, meta(op))
        training.cancel(app, course, "录入错误", meta(op))
    # A commendation round at each tier (ADR 0024): the organisation mediated a dispute today.
    from shared.capabilities.commendations import application as rounds

    v = apps(p)[0]
    v.report_activity(
        org, start, "services", 5, 1, 1, Decimal(1), 1, Decimal(0), meta(village_op()),
        themes=["mediation"],
    )  # fmt: skip
    p.drain()
    for app, op in ((c, county_op()), (t, township_op())):
        rid = rounds.open_round(app, None, start.year, meta(op)).id
        rounds.decide(app, rid, [org], "", meta(op))
        rounds.publish(app, rid, meta(op))
    p.drain()


def seed_supervision(p: Platform, h: History) -> None:
    """After :func:`seed_history`: every supervision process once more (issue 6, ADRs 0009–0011),
    on fixed past dates: a funding call through to a closed award, sampling draws at county and
    township, and zombie-exit proceedings that exit, are reversed, and are stopped."""
    from shared.capabilities.sampling.application import draw

    v, t, c = apps(p)
    year = today_cst().year

    def step(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        p.drain()
        return result

    def on(actor: Actor, d: date) -> Meta:
        return meta(actor, at=datetime.combine(d, time(10), CHINA))

    # Funding: call → applications (one approved, one rejected) → evaluation → close.
    newcomer = step(
        c.register, usci(21, "1"), "新桥志愿者协会", "services", VILLAGE, None, meta(county_op())
    ).id
    # Its volunteers patrol for 平安建设: without governance work in the year the shipped
    # commendation rule would refuse its application (ADR 0024 addendum).
    governance_work(p, newcomer, theme="safety")
    call = step(
        c.open_call,
        "purchase_of_services",
        str(year),
        "政府购买服务",
        Decimal("50000"),
        today_cst(),
        meta(county_op()),
    ).id
    approved = step(
        c.apply_for_funding,
        call,
        h.registered,
        "助老",
        Decimal("20000"),
        None,
        False,
        meta(county_op()),
        purchaser="区民政局",  # a purchase of services names its department (ADR 0021)
        beneficiaries_planned=150,
    )
    rejected = step(
        c.apply_for_funding,
        call,
        newcomer,
        "读书",
        Decimal("5000"),
        None,
        False,
        meta(county_op()),
        purchaser="区民政局",
    )
    award = step(c.review_application, approved.id, True, Decimal("18000"), "", meta(county_op()))
    step(c.review_application, rejected.id, False, None, "预算不足", meta(county_op()))
    award_id = award.extra["award_id"]
    step(c.evaluate_award, award_id, "final", Decimal("88"), "", meta(county_op()))
    step(c.close_award, award_id, "结项", meta(county_op()), beneficiaries_reached=120)
    step(c.close_call, call, "征集结束", meta(county_op()))
    # A yearly budget, set and revised; a volunteer entered in a village's register (ADR 0021).
    for amount in ("50000", "60000"):
        step(
            c.set_programme_budget, "purchase_of_services", year, Decimal(amount), meta(county_op())
        )
    step(v.register_volunteer, VILLAGE, "V001", meta(village_op()))
    # Resident points (ADR 0027): the community turns the pilot on, awards points by hand, and
    # turns it off the same day (an empty period, as a turn-on made by mistake is corrected).
    step(v.turn_points_on, VILLAGE, meta(village_op()))
    step(v.adjust_points, VILLAGE, "V001", "award", 5, "调解邻里纠纷", meta(village_op()))
    step(v.turn_points_off, VILLAGE, meta(village_op()))
    # A volunteer who leaves the register and comes back (ADR 0021 addendum).
    step(v.register_volunteer, VILLAGE, "V002", on(village_op(), date(2025, 1, 2)))
    step(v.leave_volunteer, VILLAGE, "V002", "moved_away", on(village_op(), date(2025, 2, 3)))
    step(v.rejoin_volunteer, VILLAGE, "V002", on(village_op(), date(2025, 3, 3)))
    # Sampling: a county draw of registered organisations, a township draw of filed groups.
    step(draw, c, None, year, "county-seed", None, meta(county_op()))
    step(draw, t, None, year, "township-seed", None, meta(township_op()))
    # Zombie exit, at both tiers: exited then reversed; noticed then stopped by an activity.
    start, active_on = date(2025, 1, 6), date(2025, 1, 20)
    for app, op, make in (
        (c, county_op(), "registered"),
        (t, township_op(), "filed"),
    ):
        orgs = []
        for n in range(2):
            if make == "registered":
                org = step(
                    c.register,
                    usci(30 + n, "2"),
                    f"沉睡组织{n}",
                    "services",
                    VILLAGE,
                    None,
                    on(county_op(), date(2023, 6, 1)),
                ).id
            else:
                org = step(
                    v.apply_for_filing,
                    VILLAGE,
                    f"沉睡小组{n}",
                    "services",
                    date(2023, 5, 1),
                    on(village_op(), date(2023, 5, 2)),
                ).id
                step(t.decide_filing, org, True, "", on(township_op(), date(2023, 6, 1)))
            orgs.append(org)
        with recorded_on(p, on(op, start)):
            exiting = step(app.notice_exit, orgs[0], None, on(op, start))
            step(app.notice_exit, orgs[1], None, on(op, start))
        step(
            v.report_activity,
            orgs[1],
            meta=on(village_op(), active_on),
            occurred_on=active_on,
            field="services",
            participants=5,
            volunteers=1,
            volunteer_services=1,
            volunteer_hours=Decimal("1"),
            beneficiaries=5,
            money_spent=Decimal("0"),
        )
        step(app.run_due_exits)
        step(app.reverse_exit, exiting.id, "复议撤销", on(op, date(2025, 3, 1)))


def seed_evaluation(p: Platform, h: History) -> None:
    """Every third-party evaluation event (ADR 0026): an evaluator registered, its account
    bound, suspended and resumed; a grade evaluation of a registered organisation, a finding,
    the bureau's rejection, the assignment closed; the evaluator ended."""
    county = p.tiers[Tier.COUNTY].app
    bureau = county_op()
    person = Actor("seed-evaluator", Tier.COUNTY, COUNTY, "evaluator", "评估员", ("evaluator",))
    account = test_account(county, person)
    evaluator = county.register_evaluator("种子评估中心", "SEED-EVAL-1", "主任", meta(bureau)).id
    county.bind_evaluator_account(evaluator, account.id, meta(bureau))
    county.change_evaluator(evaluator, "suspended", "合同暂停", meta(bureau))
    county.change_evaluator(evaluator, "active", "合同恢复", meta(bureau))
    today = today_cst()
    assignment = county.assign_evaluation(
        evaluator, "grade", "等级评估", [h.registered], [], today, meta(bureau)
    ).id
    acting = as_recorded(person)
    finding = county.record_finding(
        assignment, h.registered, None, None, 4, None, "规范", today, None, meta(acting)
    ).id
    county.decide_finding(assignment, finding, "rejected", None, None, "材料不全", meta(bureau))
    county.close_assignment(assignment, "完成", meta(bureau))
    county.change_evaluator(evaluator, "ended", "合同期满", meta(bureau))
    p.drain()


def rules_file(path: Path, legacy: bool = True, **families: list[dict[str, Any]]) -> Path:
    """A rules file at ``path``: the default one, without its legacy versions when ``legacy``
    is false (the national rules alone, as before issue 14: history before them is refused),
    with ``families`` appended to (or, for a new family, making) their lists."""
    import json

    from shared.kernel.rules import DEFAULT_RULES

    raw = json.loads(DEFAULT_RULES.read_text(encoding="utf-8"))
    for family, versions in list(raw.items()):
        if isinstance(versions, list) and not legacy:
            raw[family] = [v for v in versions if v.get("kind") != "legacy"]
    for family, extra in families.items():
        raw[family] = [*raw.get(family, []), *extra]
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path
