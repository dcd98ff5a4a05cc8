"""Tamper evidence on PostgreSQL: alter stored events behind the application's back (edit a
payload, delete a row, insert a row, swap two, rewrite the chain to match) and check that
``verify`` catches each and names the event."""

from __future__ import annotations

import argparse
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest

from services import integrity
from services.init import initialise
from services.platform import Platform
from shared.audit.verify import verify_stores
from shared.chain import StoredRow, chain_rows
from shared.jurisdiction import Tier
from shared.settings import Settings
from tests.helpers import TEST_SECRET, History, seed_history

pytestmark = pytest.mark.postgres


def audit(p: Platform) -> list[tuple[str, str, int, str]]:
    apps = {rt.app.name: rt.app for rt in p.tiers.values()}
    dbs = {str(t): rt.db for t, rt in p.tiers.items()}
    result = verify_stores(apps, dbs)
    return [(f.source, f.kind, f.position, f.event) for f in result.findings]


def sql(settings: Settings, statement: str, params: tuple[object, ...] = ()) -> list[tuple]:
    with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []


def position_of(settings: Settings, tier: str, aggregate: UUID, version: int = 1) -> int:
    rows = sql(
        settings,
        f"SELECT notification_id FROM sanji_{tier}.{tier}_events"
        " WHERE originator_id = %s AND originator_version = %s",
        (aggregate, version),
    )
    return int(rows[0][0])


def test_an_untouched_log_verifies_and_its_heads_are_held_upward(
    pg_seeded: tuple[Platform, History],
) -> None:
    p, _ = pg_seeded
    apps = {rt.app.name: rt.app for rt in p.tiers.values()}
    result = verify_stores(apps, {str(t): rt.db for t, rt in p.tiers.items()})
    assert result.ok, result.findings
    # Each tier's read model holds every source's last link, and three checkpoints each list
    # the heads their tier held: 3 read models × 3 sources + 3 checkpoints × up to 3 heads.
    assert result.heads_checked >= 9 + 3
    for source, verification in result.verifications.items():
        assert (
            verification.events == verification.links == apps[source].recorder.max_notification_id()
        )


def test_an_edited_payload_is_named(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    p, history = pg_seeded
    at = position_of(pg_settings, "county", history.registered)
    sql(
        pg_settings,
        "UPDATE sanji_county.county_events SET state = state || ' '::bytea"
        " WHERE notification_id = %s",
        (at,),
    )
    findings = audit(p)
    assert ("county", "edited", at) in {f[:3] for f in findings}
    edited = next(f for f in findings if f[1] == "edited")
    assert str(history.registered) in edited[3] and "v1" in edited[3]
    assert {f[0] for f in findings} == {"county"}  # the other logs are fine


def test_a_deleted_row_is_named(pg_settings: Settings, pg_seeded: tuple[Platform, History]) -> None:
    p, history = pg_seeded
    at = position_of(pg_settings, "township", history.rejected)
    sql(pg_settings, "DELETE FROM sanji_township.township_events WHERE notification_id = %s", (at,))
    findings = audit(p)
    deleted = [f for f in findings if f[1] == "deleted"]
    assert [(f[0], f[2]) for f in deleted] == [("township", at)]
    assert str(history.rejected) in deleted[0][3]


def test_an_inserted_row_is_named(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    p, history = pg_seeded
    forged = uuid4()
    sql(
        pg_settings,
        "INSERT INTO sanji_village.village_events (originator_id, originator_version, topic, state)"
        " SELECT %s, 1, topic, state FROM sanji_village.village_events"
        " WHERE originator_id = %s AND originator_version = 1",
        (forged, history.pending),
    )
    findings = audit(p)
    inserted = [f for f in findings if f[1] == "inserted"]
    assert len(inserted) == 1 and inserted[0][0] == "village"
    assert str(forged) in inserted[0][3]


def test_two_swapped_rows_are_named_as_reordered(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    p, history = pg_seeded
    a = position_of(pg_settings, "county", history.registered)
    b = position_of(pg_settings, "county", history.revoked)
    table = "sanji_county.county_events"
    with psycopg.connect(pg_settings.postgres_url) as conn, conn.transaction():
        for new, old in ((-1, a), (a, b), (b, -1)):
            conn.execute(
                f"UPDATE {table} SET notification_id = %s WHERE notification_id = %s", (new, old)
            )
    findings = audit(p)
    reordered = {(f[0], f[2]) for f in findings if f[1] == "reordered"}
    assert reordered == {("county", a), ("county", b)}
    assert not [f for f in findings if f[1] in ("edited", "deleted", "inserted")]


def test_a_log_rewritten_with_its_chain_is_caught_by_the_heads_held_elsewhere(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    p, history = pg_seeded
    at = position_of(pg_settings, "county", history.registered)
    sql(
        pg_settings,
        "UPDATE sanji_county.county_events SET state = state || ' '::bytea"
        " WHERE notification_id = %s",
        (at,),
    )
    # A careful forger recomputes the whole chain table so that it fits the edited log.
    rows = sql(
        pg_settings,
        "SELECT notification_id, originator_id, originator_version, topic, state"
        " FROM sanji_county.county_events ORDER BY notification_id",
    )
    links = list(
        chain_rows("sha256", "", [StoredRow(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows])
    )
    sql(pg_settings, "DELETE FROM sanji_county.county_chain")
    with psycopg.connect(pg_settings.postgres_url, autocommit=True) as conn:
        conn.cursor().executemany(
            "INSERT INTO sanji_county.county_chain VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (k.position, k.originator_id, k.originator_version, k.topic, k.digest, k.link)
                for k in links
            ],
        )
    findings = audit(p)
    assert not [f for f in findings if f[1] in ("edited", "chain_altered")]  # the chain fits…
    mismatches = [f for f in findings if f[1] == "head_mismatch"]
    holders = {f[3] for f in mismatches}
    # …but not the heads the township and village read models and checkpoints hold.
    assert any("township read model" in h for h in holders), holders
    assert any("village read model" in h for h in holders), holders
    assert any("checkpoint" in h for h in holders), holders
    assert {f[0] for f in mismatches} == {"county"}


def test_the_verify_command_exits_1_and_names_the_event(
    pg_settings: Settings, pg_seeded: tuple[Platform, History], capsys: pytest.CaptureFixture[str]
) -> None:
    p, history = pg_seeded
    assert integrity.run(pg_settings, argparse.Namespace(command="verify", json=False)) == 0
    at = position_of(pg_settings, "county", history.registered)
    sql(pg_settings, "DELETE FROM sanji_county.county_events WHERE notification_id = %s", (at,))
    capsys.readouterr()
    assert integrity.run(pg_settings, argparse.Namespace(command="verify", json=False)) == 1
    out = capsys.readouterr().out
    assert f"county@{at} deleted" in out and str(history.registered) in out


def test_sm3_chains_verify_too(fresh_database: str, tmp_path: Path) -> None:
    pg_settings = Settings(
        persistence="postgres",
        postgres_url=fresh_database,
        data_dir=tmp_path,
        hash_algorithm="sm3",
        secret=TEST_SECRET,
    )
    initialise(pg_settings, say=False)
    p = Platform.build(pg_settings)
    try:
        seed_history(p)
        head = p.tiers[Tier.COUNTY].app.recorder.chain_head()  # type: ignore[attr-defined]
        assert head is not None and head.link.startswith("sm3:")
        assert audit(p) == []
    finally:
        p.stop()
