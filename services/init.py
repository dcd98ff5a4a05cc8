"""The init step: create every schema, table and topic the services expect, once, before they
start (platform notes: eventsourcing does not create schemas, and processes creating tables at
the same moment fail intermittently). Safe to run again: everything is "if not exists"."""

from __future__ import annotations

from services.platform import BOOTSTRAPS
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import open_database
from shared.kernel.jurisdiction import Tier, load
from shared.kernel.signing import load_signer
from shared.tier import readmodel
from shared.tier.runtime import ALL_TOPICS


def initialise(settings: Settings, say: bool = True) -> None:
    def note(message: str) -> None:
        if say:
            print(f"[init] {message}", flush=True)

    jurisdiction = load(settings.jurisdiction_file)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Made once per install, before any store opens: every process of every tier signs with it
    # (ADR 0006); the roles themselves never make one, so two hosts cannot make two.
    signer = load_signer(settings.signing_key_path(), create=True)
    note(
        f"signing key {settings.signing_key_path()} (key id {signer.key_id}); the province "
        "keeps its public key (GET /api/v1/audit/public-key)"
    )
    if settings.persistence == "postgres":
        import psycopg

        with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
            for tier in Tier:
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "sanji_{tier}"')
        note(f"schemas sanji_<tier> ready in {settings.postgres_url}")
    for tier, boot in BOOTSTRAPS.items():
        env = {**settings.event_store_env(tier), "CREATE_TABLE": "y"}
        boot.APPLICATION(jurisdiction, env=env).close()
        db = open_database(settings.readmodel_url(tier))
        with db.transaction() as tx:
            readmodel.create_schema(tx)
        db.close()
        note(f"{tier}: event store and read model tables ready")
    if settings.transport == "kafka":
        from shared.infrastructure.transport.kafka import ensure_topics

        ensure_topics(settings.kafka_bootstrap, ALL_TOPICS)
        note(f"topics ready on {settings.kafka_bootstrap}: {', '.join(ALL_TOPICS)}")
