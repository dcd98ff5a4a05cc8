"""Reading events back by position (the timeline's reads) and the org_event index behind it."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from pydantic import ValidationError

from services.platform import Platform
from shared.audit.timeline import LABELS, label
from shared.kernel.integration.envelope import Envelope
from shared.kernel.integration.events import TYPES
from shared.tier.runtime import AppSourceReader, parse_envelopes
from tests.helpers import envelopes_by_source, seed_history, source_reader

SAME = {"previous_position", "chain"}  # what read_at may fill in differently from read


def spy_reads(reader: AppSourceReader, source: str) -> list[tuple[Any, ...]]:
    """Record every read of ``source``'s log (``select_log``: a page with its envelopes)."""
    recorder: Any = reader.apps[source].recorder
    calls: list[tuple[Any, ...]] = []
    original = recorder.select_log

    def select(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    recorder.select_log = select
    return calls


def test_read_at_returns_exactly_those_positions_in_contiguous_reads(platform: Platform) -> None:
    seed_history(platform)
    reader = source_reader(platform)
    stored = {e.position: e for e in envelopes_by_source(platform)["county"]}
    assert len(stored) > 12
    wanted = [9, 2, 3, 1, 12, 3, 10, len(stored) + 5]  # unsorted, repeated, one beyond the head
    calls = spy_reads(reader, "county")
    found = reader.read_at("county", wanted)
    assert [e.position for e in found] == [1, 2, 3, 9, 10, 12]
    assert len(calls) == 4  # runs 1–3, 9–10, 12 and the one beyond the head
    for env in found:
        assert env.model_dump(exclude=SAME) == stored[env.position].model_dump(exclude=SAME)
    assert reader.read_at("county", []) == []


def test_read_at_carries_the_chain_link_when_the_store_keeps_one(platform: Platform) -> None:
    seed_history(platform)
    reader = source_reader(platform)
    for source, app in reader.apps.items():
        found = reader.read_at(source, [1, 2])
        select_links = getattr(app.recorder, "select_links", None)
        if select_links is None:
            assert [e.chain for e in found] == [None, None]
        else:
            assert [e.chain for e in found] == [lk.link for lk in select_links(1, 2)]


def test_the_index_lists_every_event_about_an_organisation(platform: Platform) -> None:
    history = seed_history(platform)
    about = {
        (e.source, e.position, e.type)
        for envelopes in envelopes_by_source(platform).values()
        for e in envelopes
        if e.organisation_id == history.registered
    }
    assert {source for source, _, _ in about} == {"village", "county"}
    for rt in platform.tiers.values():
        with rt.db.transaction() as tx:
            rows = tx.all(
                "SELECT source, position, type FROM org_event WHERE organisation_id = %s",
                (str(history.registered),),
            )
            platforms = tx.all("SELECT * FROM org_event WHERE type LIKE %s", ("%.platform.%",))
        assert {(r["source"], r["position"], r["type"]) for r in rows} == about
        assert platforms == []  # events about no organisation are not indexed


def test_labels_name_real_event_types_and_fall_back_to_the_type() -> None:
    subjects = {".".join(t.split(".")[2:-1]) for t in TYPES}
    assert set(LABELS) <= subjects
    assert label("sanji.township.filing.filed.v1") == "准予备案"
    assert label("sanji.county.filing.filed.v2") == "准予备案"
    assert label("sanji.county.something.new.v1") == "sanji.county.something.new.v1"


def test_a_page_is_parsed_validated_with_the_collector_paused_and_restored(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_history(platform)
    app = source_reader(platform).apps["county"]
    wire = [raw for _, raw in app.placed_envelopes(0, 3, previous_position=0)]
    seen: list[bool] = []
    validate = Envelope.model_validate_json

    def spy(raw: bytes) -> Envelope:
        seen.append(gc.isenabled())
        return validate(raw)

    monkeypatch.setattr(Envelope, "model_validate_json", spy)
    assert [e.position for e in parse_envelopes(wire)] == [1, 2, 3]
    assert seen == [False] * 3 and gc.isenabled()
    with pytest.raises(ValidationError):  # still validated: a bad page is refused whole
        parse_envelopes([wire[0], wire[1].replace(b'"position":2', b'"position":"two"')])
    assert gc.isenabled()
    gc.disable()  # whoever paused it before keeps it paused
    try:
        parse_envelopes(wire)
        assert not gc.isenabled()
    finally:
        gc.enable()
