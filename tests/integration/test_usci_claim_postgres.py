"""Two registrations of one USCI racing on PostgreSQL (ADR 0034): from two application
instances (two API processes: no group commit between them, the table lock and the unique
version decide) and from two threads of one (their saves meet in one group commit). Both pass
every check before either saves; exactly one is stored."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from services.county.application import CountyApplication
from services.platform import Platform
from shared.infrastructure.settings import Settings
from shared.kernel.domain import CommandResult, Conflict
from shared.kernel.jurisdiction import Tier
from tests.helpers import RURAL_VILLAGE, VILLAGE, county_op, heads, meta, usci

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("processes", [2, 1], ids=["two-applications", "one-application"])
def test_concurrent_registrations_of_one_usci_store_one(
    pg_settings: Settings, processes: int
) -> None:
    platform = Platform.build(pg_settings)
    first = platform.tiers[Tier.COUNTY].app
    assert isinstance(first, CountyApplication)
    second = first
    if processes == 2:
        second = CountyApplication(
            platform.jurisdiction, env=pg_settings.event_store_env(Tier.COUNTY)
        )
        second.lookup = first.lookup
    both_checked = threading.Barrier(2, timeout=10)
    holder = first.lookup.usci_holder

    def holder_then_wait(code: str) -> str | None:
        found = holder(code)  # the last check before the save: the read model knows nothing
        both_checked.wait()
        return found

    first.lookup.usci_holder = holder_then_wait  # type: ignore[method-assign]
    outcomes: list[Any] = [None, None]

    def run(i: int, app: CountyApplication, village: str) -> None:
        try:
            outcomes[i] = app.register(
                usci(7), f"组织{i}", "services", village, None, meta(county_op())
            )
        except Conflict as e:
            outcomes[i] = e

    try:
        before = heads(platform)
        threads = [
            threading.Thread(target=run, args=(0, first, VILLAGE)),
            threading.Thread(target=run, args=(1, second, RURAL_VILLAGE)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        (accepted,) = [o for o in outcomes if isinstance(o, CommandResult)]
        (loser,) = [o for o in outcomes if isinstance(o, Conflict)]
        assert loser.code == "usci_already_registered", loser
        # The winner's registration and claim; nothing of the loser's.
        assert heads(platform)[Tier.COUNTY] == before[Tier.COUNTY] + 2
        platform.drain()
        assert holder(usci(7)) == str(accepted.id)
    finally:
        if second is not first:
            second.close()
        platform.stop()
