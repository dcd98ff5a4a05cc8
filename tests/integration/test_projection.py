"""Projector + read model on SQLite and PostgreSQL: exactly-once, rebuild, gaps, scope."""

from __future__ import annotations

from decimal import Decimal
from itertools import zip_longest

import pytest

from services.platform import Platform
from shared.infrastructure.projector import Gap
from shared.kernel.integration.envelope import Envelope
from shared.kernel.jurisdiction import Tier
from shared.tier.projector import Projector
from tests.helpers import (
    COUNTY,
    TOWNSHIP,
    VILLAGE,
    apps,
    county_op,
    dump,
    envelopes_by_source,
    meta,
    seed_history,
    source_reader,
    today_cst,
    village_op,
)
from tests.integration.conftest import NewStore


def round_robin(by_source: dict[str, list[Envelope]]) -> list[Envelope]:
    """One interleaving that keeps every source's order."""
    return [e for batch in zip_longest(*by_source.values()) for e in batch if e is not None]


def live_dump(p: Platform) -> dict:
    dumps = [dump(rt.db) for rt in p.tiers.values()]
    assert dumps[0] == dumps[1] == dumps[2]  # every tier's scope is the whole county
    return dumps[0]


def test_every_envelope_twice_changes_nothing(platform: Platform, new_store: NewStore) -> None:
    seed_history(platform)
    db = new_store()
    projector = Projector(db, COUNTY)
    stream = round_robin(envelopes_by_source(platform))
    for env in stream:
        assert projector.process(env) is True
        applied = dump(db)
        assert projector.process(env) is False
        assert dump(db) == applied
    final = dump(db)
    assert not any(projector.process(env) for env in reversed(stream))
    assert dump(db) == final == live_dump(platform)
    assert sum(len(rows) for rows in final.values()) > 10
    assert projector.positions() == platform.tiers[Tier.COUNTY].projector.positions()


@pytest.mark.parametrize("batch", [1000, 3])
def test_rebuild_from_the_stores_equals_the_live_read_model(
    platform: Platform, new_store: NewStore, batch: int
) -> None:
    seed_history(platform)
    by_source = envelopes_by_source(platform)
    db = new_store()
    projector = Projector(db, COUNTY, source_reader(platform))
    for source, envelopes in by_source.items():
        assert projector.catch_up(source, batch=batch) == len(envelopes)
        assert projector.catch_up(source, batch=batch) == 0
    assert dump(db) == live_dump(platform)
    for rt in platform.tiers.values():
        assert projector.positions() == rt.projector.positions()


def test_gap_is_filled_from_the_source_store(platform: Platform, new_store: NewStore) -> None:
    seed_history(platform)
    by_source = envelopes_by_source(platform)
    village = by_source["village"]
    db = new_store()
    projector = Projector(db, COUNTY, source_reader(platform))
    projector.handle(village[0])
    with pytest.raises(Gap):  # village[1] never arrived
        projector.process(village[2])
    assert projector.position("village") == village[0].position
    projector.handle(village[2])  # detects the gap, catches up from the store, then continues
    assert projector.position("village") == village[-1].position
    for env in round_robin(by_source):  # the rest, and duplicates of what catch-up applied
        projector.handle(env)
    assert dump(db) == live_dump(platform)


def test_gap_without_a_source_reader_stops_without_applying(
    platform: Platform, new_store: NewStore
) -> None:
    seed_history(platform)
    village = envelopes_by_source(platform)["village"]
    db = new_store()
    projector = Projector(db, COUNTY)
    projector.handle(village[0])
    before = dump(db)
    with pytest.raises(RuntimeError, match="gap in village"):
        projector.handle(village[2])
    assert dump(db) == before
    assert projector.position("village") == village[0].position


def test_holes_in_notification_ids_are_not_gaps(platform: Platform, new_store: NewStore) -> None:
    # Rolled-back inserts burn notification ids; previous_position tells a hole from a loss.
    seed_history(platform)
    renumbered, previous = [], 0
    for env in envelopes_by_source(platform)["county"]:
        position = env.position * 10
        renumbered.append(
            env.model_copy(update={"position": position, "previous_position": previous})
        )
        previous = position
    projector = Projector(new_store(), COUNTY)
    assert all(projector.process(env) for env in renumbered)
    assert projector.position("county") == renumbered[-1].position


def test_scope_filters_rows_but_tracks_every_position(
    platform: Platform, new_store: NewStore
) -> None:
    seed_history(platform)
    by_source = envelopes_by_source(platform)
    db = new_store()
    projector = Projector(db, TOWNSHIP, source_reader(platform))
    for source in by_source:
        projector.catch_up(source)
    assert projector.positions() == {s: es[-1].position for s, es in by_source.items()}
    rows = dump(db)
    assert rows["org"] and all(r[1].startswith(TOWNSHIP[:9]) for r in rows["org"])
    everything = live_dump(platform)
    inside = [r for r in everything["org"] if r[1].startswith(TOWNSHIP[:9])]
    assert rows["org"] == inside and len(inside) < len(everything["org"])


def test_large_amounts_are_exact_on_both_engines(platform: Platform, new_store: NewStore) -> None:
    history = seed_history(platform)
    v, _, c = apps(platform)
    v.report_activity(
        history.filed,
        today_cst(),
        "charity",
        3_000_000,
        1_000,
        1_000,
        Decimal("99999999.99"),  # the API allows 10 digits of hours
        5_000_000,
        Decimal("999999999999.99"),  # and 14 digits of yuan
        meta(village_op(VILLAGE)),
    )
    c.award_funding(
        history.registered,
        "purchase_of_services",
        "big",
        "购买服务",
        Decimal("30000000.01"),
        None,
        meta(county_op()),
        purchaser="区民政局",
    )
    platform.drain()
    db = new_store()
    projector = Projector(db, COUNTY, source_reader(platform))
    for source in ("village", "township", "county"):
        projector.catch_up(source)
    with db.transaction() as tx:
        money = tx.one("SELECT SUM(money_fen) AS m, SUM(volunteer_hours_centi) AS h FROM activity")
        funding = tx.one("SELECT MAX(amount_fen) AS a FROM funding")
    # The seeded history's three activities of 310.40 yuan and 12.25 hours, four with the
    # registered organisation's mediation before its grade (ADR 0024 addendum).
    assert int(money["m"]) == 99999999999999 + 4 * 31040
    assert int(money["h"]) == 9999999999 + 4 * 1225
    assert int(funding["a"]) == 3000000001
    assert dump(db) == live_dump(platform)


def test_batches_apply_what_one_event_at_a_time_applies(
    platform: Platform, new_store: NewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Delivered events go up to BATCH to a transaction (the ledger import's bulk, ADR 0020);
    a batch with a duplicate, a gap or a failing event is rolled back and its events go one
    by one, so the read model, the positions and the failures are those of one at a time."""
    from shared.tier import readmodel

    seed_history(platform)
    by_source = envelopes_by_source(platform)
    stream = round_robin(by_source)
    one_by_one = new_store()
    single = Projector(one_by_one, COUNTY)
    for env in stream:
        single.process(env)

    db = new_store()
    projector = Projector(db, COUNTY, source_reader(platform))
    chunks = [stream[i : i + 7] for i in range(0, len(stream), 7)]
    singly: list[Envelope] = []
    process = projector.process
    monkeypatch.setattr(projector, "process", lambda e, r=None: singly.append(e) or process(e, r))
    projector.handle_batch([(e, None) for e in chunks[0]])
    assert singly == []  # one transaction, not one per event
    assert projector.positions() == {
        s: max(e.position for e in chunks[0] if e.source == s)
        for s in {e.source for e in chunks[0]}
    }
    # Duplicates of the first batch with the second, then a batch that skips an event (a gap,
    # filled from the source store), then everything again in one batch.
    projector.handle_batch([(e, None) for e in chunks[0] + chunks[1]])
    projector.handle_batch([(e, None) for e in chunks[3]])
    assert singly  # those went one by one
    for chunk in chunks[2:]:
        projector.handle_batch([(e, None) for e in chunk])
    projector.handle_batch([(e, None) for e in stream])
    assert dump(db) == dump(one_by_one) == live_dump(platform)
    assert projector.positions() == single.positions()

    # A failing event: those before it in the batch are applied, it is not, and its failure
    # is counted once, as one at a time would (dead-lettered after MAX_ATTEMPTS).
    fresh = Projector(new_store(), COUNTY)
    at = next(
        i for i in range(3, len(stream)) if stream[i].type not in {e.type for e in stream[:i]}
    )
    poison = stream[at]

    def broken(tx: object, env: Envelope, payload: object) -> None:
        raise RuntimeError("poison")

    monkeypatch.setitem(readmodel.HANDLERS, poison.type, broken)
    with pytest.raises(RuntimeError, match="poison"):
        fresh.handle_batch([(e, None) for e in stream[: at + 5]])
    assert fresh.position(poison.source) == poison.previous_position
    assert fresh._failures == {(poison.source, poison.position): 1}
    assert all(fresh.position(e.source) >= e.position for e in stream[:at])
