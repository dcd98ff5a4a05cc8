"""A USCI is registered once (ADR 0034): the claim stored with the registration refuses a second
registration of the code whether or not the first is projected yet, and records nothing."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest

from services.county.domain import Registration
from services.county.registration.claims import UsciClaim, usci_claim_id
from services.platform import Platform
from shared.kernel.domain import CommandResult, Conflict
from shared.kernel.jurisdiction import Tier
from shared.kernel.usci import LegalForm
from tests.helpers import (
    RURAL_VILLAGE,
    VILLAGE,
    apps,
    county_op,
    envelopes_by_source,
    heads,
    meta,
    stores_nothing,
    township_op,
    usci,
    village_op,
)

CODE = usci(5)


def register(p: Platform, village: str = VILLAGE, key: str | None = None) -> CommandResult:
    return apps(p)[2].register(CODE, "社工站", "services", village, None, meta(county_op(), key))


def refused(p: Platform, call: Any) -> None:
    with stores_nothing(p), pytest.raises(Conflict) as raised:
        call()
    assert (raised.value.code, raised.value.status) == ("usci_already_registered", 409)


def test_a_second_registration_before_any_projection_is_refused(platform: Platform) -> None:
    first = register(platform)
    c = apps(platform)[2]
    assert c.lookup.usci_holder(CODE) is None  # the read model has not seen the first yet
    refused(platform, lambda: register(platform, RURAL_VILLAGE))
    claim = c.find(usci_claim_id(CODE))
    assert isinstance(claim, UsciClaim) and claim.organisation_id == first.id
    platform.drain()
    refused(platform, lambda: register(platform, RURAL_VILLAGE))  # and after it, as before


def test_the_upgrade_of_a_filed_group_claims_too(platform: Platform) -> None:
    v, t, c = apps(platform)
    groups = []
    for name in ("舞蹈队", "读书会"):
        org = v.apply_for_filing(
            VILLAGE, name, "culture_sports", date(2025, 1, 1), meta(village_op())
        )
        groups.append(org.id)
    platform.drain()
    for org in groups:
        t.decide_filing(org, True, "", meta(township_op()))
    platform.drain()
    c.register(CODE, "舞蹈协会", "culture_sports", None, groups[0], meta(county_op()))
    refused(
        platform, lambda: c.register(CODE, "读书会", "other", None, groups[1], meta(county_op()))
    )
    refused(platform, lambda: register(platform))


def test_an_idempotent_retry_still_answers_its_original_result(platform: Platform) -> None:
    first = register(platform, key="reg-1")
    refused(platform, lambda: register(platform, RURAL_VILLAGE, key="reg-2"))
    with stores_nothing(platform):
        again = register(platform, key="reg-1")
    assert again == CommandResult(first.id, first.version, first.id, replayed=True)


def test_a_registration_stored_before_claims_still_holds_its_code(platform: Platform) -> None:
    """No claim for an organisation registered before this change: the read model refuses."""
    c = apps(platform)[2]
    legacy = Registration.register(
        c.create_id(meta(county_op()))[0],
        meta(county_op()),
        village_code=VILLAGE,
        usci=CODE,
        name="老登记",
        legal_form=str(LegalForm.SOCIAL_GROUP),
        field="services",
        upgraded_from_filing=False,
        category="general",
    )
    c.save(legacy)
    platform.drain()
    assert c.find(usci_claim_id(CODE)) is None
    refused(platform, lambda: register(platform))


def test_concurrent_registrations_in_one_group_commit_store_one(platform: Platform) -> None:
    """Both commands pass every check before either saves (the barrier), so their saves meet
    in one group commit: the store's version check on the claim keeps exactly one."""
    c = apps(platform)[2]
    both_checked = threading.Barrier(2, timeout=10)
    holder = c.lookup.usci_holder

    def holder_then_wait(code: str) -> str | None:
        found = holder(code)
        both_checked.wait()
        return found

    c.lookup.usci_holder = holder_then_wait  # type: ignore[method-assign]
    outcomes: list[Any] = [None, None]

    def run(i: int, village: str) -> None:
        try:
            outcomes[i] = register(platform, village)
        except Conflict as e:
            outcomes[i] = e

    before = heads(platform)
    threads = [threading.Thread(target=run, args=a) for a in ((0, VILLAGE), (1, RURAL_VILLAGE))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    accepted = [o for o in outcomes if isinstance(o, CommandResult)]
    (loser,) = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(accepted) == 1 and loser.code == "usci_already_registered"
    assert heads(platform)[Tier.COUNTY] == before[Tier.COUNTY] + 2  # a registration, a claim


def test_the_claim_is_published_for_the_holder_s_village(platform: Platform) -> None:
    org = register(platform).id
    platform.drain()
    (claim,) = [
        e for e in envelopes_by_source(platform)["county"] if e.type.endswith("usci.claimed.v1")
    ]
    assert claim.data == {"usci": CODE, "organisation_id": str(org)}
    assert (claim.division_code, claim.organisation_id) == (VILLAGE, None)
