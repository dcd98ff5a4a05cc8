"""Idempotency-Key semantics in the applications: a retry replays, a reused key is refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.platform import Platform
from shared.kernel.domain import CommandResult, InvalidInput
from tests.helpers import (
    VILLAGE,
    apps,
    county_op,
    heads,
    meta,
    stores_nothing,
    today_cst,
    township_op,
    usci,
    village_op,
)


def apply(p: Platform, key: str | None, request_hash: str | None = None, name: str = "舞蹈队"):
    m = meta(village_op(), key=key, request_hash=request_hash)
    return apps(p)[0].apply_for_filing(VILLAGE, name, "culture_sports", date(2025, 1, 1), m)


def test_retried_application_replays(platform: Platform) -> None:
    first = apply(platform, "k-apply")
    after_first = heads(platform)
    with stores_nothing(platform):
        again = apply(platform, "k-apply")
    assert (again.id, again.version, again.replayed) == (first.id, first.version, True)
    assert not first.replayed
    assert after_first[apps(platform)[0].tier] == 1


def test_reused_key_with_another_request(platform: Platform) -> None:
    apply(platform, "k-apply")
    with stores_nothing(platform), pytest.raises(InvalidInput) as raised:
        apply(platform, "k-apply", request_hash="another body", name="别的队")
    assert raised.value.code == "idempotency_key_reused"
    assert raised.value.status == 422


def test_keys_are_scoped_to_the_operator(platform: Platform) -> None:
    mine = apply(platform, "k-shared")
    other = apps(platform)[0].apply_for_filing(
        VILLAGE,
        "舞蹈队",
        "culture_sports",
        date(2025, 1, 1),
        meta(village_op(id="colleague"), key="k-shared"),
    )
    assert other.id != mine.id and not other.replayed


def test_every_tier_replays_its_commands(platform: Platform) -> None:
    v, t, c = apps(platform)
    org = apply(platform, None).id
    platform.drain()
    figures: dict[str, Any] = {
        "occurred_on": today_cst(),
        "field": "culture_sports",
        "participants": 1,
        "volunteers": 1,
        "volunteer_services": 1,
        "volunteer_hours": Decimal("1"),
        "beneficiaries": 1,
        "money_spent": Decimal("0"),
    }

    def decide() -> CommandResult:
        return t.decide_filing(org, True, "", meta(township_op(), key="k-decide"))

    def report() -> CommandResult:
        return v.report_activity(org, meta=meta(village_op(), key="k-activity"), **figures)

    def upgrade() -> CommandResult:
        m = meta(county_op(), key="k-up")
        return c.register(usci(1), "舞蹈协会", "culture_sports", None, org, m)

    def annual() -> CommandResult:
        return c.file_annual_report(org, 2025, meta(county_op(), key="k-annual"))

    assert not decide().replayed
    platform.drain()
    first_activity = report()
    assert not upgrade().replayed
    platform.drain()
    first_annual = annual()
    platform.drain()
    with stores_nothing(platform):
        for command in (decide, report, upgrade, annual):
            assert command().replayed
        assert report().id == first_activity.id
        assert annual().version == first_annual.version == 2


def test_key_reused_for_another_command_on_the_same_aggregate_is_refused(
    platform: Platform,
) -> None:
    # Keys are remembered on the aggregate a command touched (atomically with its events).
    org = apply(platform, None).id
    platform.drain()
    t = apps(platform)[1]
    t.decide_filing(org, True, "", meta(township_op(), key="k-1", request_hash="decide"))
    platform.drain()
    with stores_nothing(platform), pytest.raises(InvalidInput) as raised:
        t.approve_charter(org, True, True, meta(township_op(), key="k-1", request_hash="charter"))
    assert raised.value.code == "idempotency_key_reused"
