"""Tamper evidence on PostgreSQL: alter stored events behind the application's back, as someone
with the platform's database credentials but without its signing key could, and check that
``verify`` catches each and names the first altered event (ADR 0006). The seven cases: edit,
delete, insert, swap, rewrite together with the chain, append with a valid link, rewrite after
the last checkpoint including the read models' ``chain_head`` rows; and a truncated tail, which
only the exported anchors can witness."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest

from services import integrity
from services.init import initialise
from services.platform import Platform
from shared.audit.verify import verify_stores
from shared.infrastructure.eventstore import UnsafeStoreSetting
from shared.infrastructure.settings import Settings
from shared.kernel.chain import StoredRow, chain_rows
from shared.kernel.jurisdiction import Tier
from shared.kernel.signing import read_anchors
from tests.helpers import TEST_SECRET, History, seed_history

pytestmark = pytest.mark.postgres


def audit(p: Platform) -> list[tuple[str, str, int, str]]:
    """Findings as the verify command gets them: stores, read models and the anchor files."""
    apps = {rt.app.name: rt.app for rt in p.tiers.values()}
    dbs = {str(t): rt.db for t, rt in p.tiers.items()}
    files = sorted(p.settings.anchor_path().glob("*.jsonl"))
    result = verify_stores(apps, dbs, anchors=read_anchors(files))
    assert result.signatures_checked
    return [(f.source, f.kind, f.position, f.event) for f in result.findings]


def first(findings: list[tuple[str, str, int, str]]) -> tuple[str, str, int, str]:
    """The finding at the lowest position of the first source named: the first altered event."""
    return min(findings, key=lambda f: (f[0], f[2]))


def rechain_from(
    settings: Settings, tier: str, at: int, keep_signatures: bool = True
) -> tuple[int, str]:
    """What a careful forger without the key does after editing events from ``at`` on: the
    chain table is recomputed to fit from ``at`` on; links before ``at`` (and their valid
    signatures) stay; the rewritten links keep the old signatures (valid, but for other
    links). Returns the new head."""
    schema = f"sanji_{tier}"
    (previous,) = sql(
        settings,
        f"SELECT coalesce(max(link), '') FROM {schema}.{tier}_chain WHERE position = "
        f"(SELECT max(position) FROM {schema}.{tier}_chain WHERE position < %s)",
        (at,),
    )[0]
    rows = sql(
        settings,
        f"SELECT notification_id, originator_id, originator_version, topic, state"
        f" FROM {schema}.{tier}_events WHERE notification_id >= %s ORDER BY notification_id",
        (at,),
    )
    links = list(
        chain_rows(
            "sha256", previous, [StoredRow(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]
        )
    )
    with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
        conn.cursor().executemany(
            f"UPDATE {schema}.{tier}_chain SET digest = %s, link = %s"
            + ("" if keep_signatures else ", signature = NULL")
            + " WHERE position = %s",
            [(k.digest, k.link, k.position) for k in links],
        )
    return links[-1].position, links[-1].link


def edit(settings: Settings, tier: str, at: int) -> None:
    sql(
        settings,
        f"UPDATE sanji_{tier}.{tier}_events SET state = state || ' '::bytea"
        " WHERE notification_id = %s",
        (at,),
    )


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
    # …but the forger could not sign it: every link lost its signature, so the first unsigned
    # link is position 1 and the run is one finding.
    forged = [f for f in findings if f[1] == "forged"]
    assert [(f[0], f[2]) for f in forged] == [("county", 1)]
    mismatches = [f for f in findings if f[1] == "head_mismatch"]
    holders = {f[3] for f in mismatches}
    # …nor does it fit the heads the township and village read models and checkpoints hold.
    assert any("township read model" in h for h in holders), holders
    assert any("village read model" in h for h in holders), holders
    assert any("checkpoint" in h for h in holders), holders
    assert {f[0] for f in mismatches} == {"county"}


def test_an_event_rewritten_with_its_chain_is_named(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    """Case 5, done carefully: only the links from the edited event on are recomputed, the
    links before it keep their valid signatures, the rewritten ones keep their old ones."""
    p, history = pg_seeded
    at = position_of(pg_settings, "county", history.revoked)
    edit(pg_settings, "county", at)
    rechain_from(pg_settings, "county", at)
    findings = audit(p)
    assert not [f for f in findings if f[1] in ("edited", "chain_altered", "reordered")]
    forged = [f for f in findings if f[1] == "forged"]
    assert [(f[0], f[2]) for f in forged] == [("county", at)]
    assert str(history.revoked) in forged[0][3]
    assert first(findings)[:3] == ("county", "forged", at)


def test_an_appended_event_with_a_valid_link_is_named(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    """Case 6: a forged event appended with its link correctly computed from the head (and
    the head's signature copied: the forger has no key to make one)."""
    p, history = pg_seeded
    forged_id = uuid4()
    (position,) = sql(
        pg_settings,
        "INSERT INTO sanji_village.village_events (originator_id, originator_version, topic, state)"
        " SELECT %s, 1, topic, state FROM sanji_village.village_events"
        " WHERE originator_id = %s AND originator_version = 1 RETURNING notification_id",
        (forged_id, history.pending),
    )[0]
    head_link, head_signature = sql(
        pg_settings,
        "SELECT link, signature FROM sanji_village.village_chain ORDER BY position DESC LIMIT 1",
    )[0]
    (row,) = sql(
        pg_settings,
        "SELECT notification_id, originator_id, originator_version, topic, state"
        " FROM sanji_village.village_events WHERE notification_id = %s",
        (position,),
    )
    (lk,) = chain_rows("sha256", head_link, [StoredRow(row[0], row[1], row[2], row[3], row[4])])
    sql(
        pg_settings,
        "INSERT INTO sanji_village.village_chain VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (lk.position, lk.originator_id, 1, lk.topic, lk.digest, lk.link, head_signature),
    )
    findings = audit(p)
    assert not [f for f in findings if f[1] in ("inserted", "chain_altered")]  # the link fits
    assert [(f[0], f[1], f[2]) for f in findings] == [("village", "forged", position)]
    assert str(forged_id) in findings[0][3]


def test_a_rewrite_after_the_last_checkpoint_with_the_read_models_heads_is_named(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    """Case 7: events recorded after the last checkpoint, rewritten with their chain and with
    every read model's ``chain_head`` row, so no held head disagrees: only the signatures
    name it."""
    p, _ = pg_seeded
    (last_checkpoint,) = sql(
        pg_settings,
        "SELECT max(notification_id) FROM sanji_county.county_events"
        " WHERE topic LIKE '%%ChainCheckpoint.Recorded'",
    )[0]
    (head,) = sql(pg_settings, "SELECT max(notification_id) FROM sanji_county.county_events")[0]
    assert head > last_checkpoint + 1, "the seed records events after the checkpoint"
    at = last_checkpoint + 1
    topic, originator = sql(
        pg_settings,
        "SELECT topic, originator_id FROM sanji_county.county_events WHERE notification_id = %s",
        (at,),
    )[0]
    edit(pg_settings, "county", at)
    new_position, new_head = rechain_from(pg_settings, "county", at)
    for tier in Tier:
        sql(
            pg_settings,
            f"UPDATE sanji_{tier}_read.chain_head SET link = %s"
            " WHERE source = 'county' AND position = %s",
            (new_head, new_position),
        )
    findings = audit(p)
    assert not [f for f in findings if f[1] == "head_mismatch"]  # every held head was rewritten
    assert [(f[0], f[1], f[2]) for f in findings] == [("county", "forged", at)]
    assert str(originator) in findings[0][3] and topic.rpartition(":")[2] in findings[0][3]


def test_a_truncated_tail_is_caught_by_the_exported_anchors(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    """The tail removed, rows and links alike, and every read model's head moved back: the
    rest is intact and signed. The anchor exported before (file sink) still holds the head."""
    p, _ = pg_seeded
    assert integrity.run(pg_settings, argparse.Namespace(command="checkpoint", tier=None)) == 0
    *_, anchor = read_anchors([pg_settings.anchor_path() / "county.jsonl"])  # the newest
    pinned = next(h for h in anchor["statement"]["heads"] if h["source"] == "county")
    cut = pinned["position"] - 2  # keep the events up to here
    for table in ("county_events", "county_chain"):
        column = "notification_id" if table.endswith("events") else "position"
        sql(pg_settings, f"DELETE FROM sanji_county.{table} WHERE {column} > %s", (cut,))
    (link,) = sql(
        pg_settings, "SELECT link FROM sanji_county.county_chain WHERE position = %s", (cut,)
    )[0]
    for tier in Tier:
        sql(
            pg_settings,
            f"UPDATE sanji_{tier}_read.chain_head SET position = %s, link = %s"
            " WHERE source = 'county'",
            (cut, link),
        )
    findings = audit(p)
    truncated = [f for f in findings if f[1] == "truncated"]
    assert truncated and {(f[0], f[2]) for f in truncated} == {("county", cut + 1)}
    assert not [f for f in findings if f[1] in ("forged", "edited", "deleted", "inserted")]
    # The witnesses: the county's own exported anchor, and the other tiers' signed checkpoints
    # that held the county's head (their logs and their anchor files).
    apps = {rt.app.name: rt.app for rt in p.tiers.values()}
    files = sorted(pg_settings.anchor_path().glob("*.jsonl"))
    result = verify_stores(apps, {}, anchors=read_anchors(files))
    witnesses = {f.detail.partition(" holds")[0] for f in result.findings if f.kind == "truncated"}
    assert any(w.startswith("county anchor of") and "exported" in w for w in witnesses), witnesses
    assert any(w.startswith("township checkpoint of") for w in witnesses), witnesses
    # Without the anchors, the one signed checkpoint left in the county log is the seed's,
    # older than the cut: nothing else in the county's own store knew the log was longer.
    county_only = verify_stores({"county": apps["county"]}, {})
    assert not [f for f in county_only.findings if f.kind == "truncated"]


def test_a_forged_anchor_line_is_reported_and_not_trusted(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    p, _ = pg_seeded
    assert integrity.run(pg_settings, argparse.Namespace(command="checkpoint", tier=None)) == 0
    path = pg_settings.anchor_path() / "township.jsonl"
    anchor = json.loads(path.read_text().splitlines()[-1])
    anchor["statement"]["heads"][0]["position"] += 1000  # would claim a truncation
    with path.open("a") as f:
        f.write(json.dumps(anchor) + "\n")
    findings = audit(p)
    assert [(f[0], f[1]) for f in findings] == [("township", "forged")]
    assert "exported anchor" in findings[0][3]


def test_start_refuses_postgres_db_functions(
    pg_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """eventsourcing's stored-function insert path would store events without links."""
    for name in ("POSTGRES_ENABLE_DB_FUNCTIONS", "COUNTY_POSTGRES_ENABLE_DB_FUNCTIONS"):
        with monkeypatch.context() as m:
            m.setenv(name, "y")
            with pytest.raises(UnsafeStoreSetting, match="POSTGRES_ENABLE_DB_FUNCTIONS"):
                Platform.build(pg_settings)
    env = {
        **os.environ,
        "SANJI_PERSISTENCE": "postgres",
        "SANJI_POSTGRES_URL": pg_settings.postgres_url,
        "SANJI_DATA_DIR": str(pg_settings.data_dir),
        "SANJI_SECRET": pg_settings.secret,
        "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
    }
    done = subprocess.run(
        [sys.executable, "-m", "services", "run", "--tier", "county", "--role", "relay"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "POSTGRES_ENABLE_DB_FUNCTIONS" in lines[0], done.stderr


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


def test_the_upgrade_step_signs_legacy_links_but_never_over_removed_signatures(
    pg_settings: Settings, pg_seeded: tuple[Platform, History], capsys: pytest.CaptureFixture[str]
) -> None:
    p, _ = pg_seeded
    # A store upgraded from before issue 11: its first links were written unsigned.
    sql(pg_settings, "UPDATE sanji_county.county_chain SET signature = NULL WHERE position <= 5")
    assert [f[1:3] for f in audit(p)] == [("forged", 1)]
    args = argparse.Namespace(command="checkpoint", tier="county", sign_legacy_links=True)
    assert integrity.run(pg_settings, args) == 0
    assert "signed 5 links" in capsys.readouterr().out
    assert audit(p) == []
    # Every signature removed after signed anchors were exported: refused, not laundered.
    sql(pg_settings, "UPDATE sanji_county.county_chain SET signature = NULL")
    assert integrity.run(pg_settings, args) == 1
    assert "refused" in capsys.readouterr().err
    assert [f[1:3] for f in audit(p) if f[1] == "forged"] == [("forged", 1)]
