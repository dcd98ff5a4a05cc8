"""PostgreSQL crashes and comes back (immediate shutdown: no checkpoint, crash recovery on
start) while operators are sending commands: commands fail with 5xx or a dropped connection
during the outage and are retried with their Idempotency-Key; afterwards every accepted command
is stored once and projected once on every tier."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.topology import LocalBroker, LocalPostgres
from tests.faults.support import Deployment, Watch, reconcile

pytestmark = pytest.mark.postgres


@pytest.fixture
def own_postgres() -> Iterator[LocalPostgres]:
    """A cluster of its own: restarting the session cluster would break the other tests."""
    root = Path(tempfile.mkdtemp(prefix="sanji-pg-restart-"))
    root.chmod(0o755)  # initdb and the server run as the postgres user
    pg = LocalPostgres(root / "pg").start()
    try:
        yield pg
    finally:
        pg.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def test_postgres_restarted_under_load(
    own_postgres: LocalPostgres, broker: LocalBroker, tmp_path: Path
) -> None:
    deployment = Deployment.start(own_postgres.url(), broker, tmp_path)
    try:
        ops = deployment.ops
        org = ops.filed_group()
        accepted = ops.ledger

        def under_load() -> bool:
            return len(accepted.activities) + len(accepted.applied) + len(accepted.registered) >= 40

        crash = Watch(under_load, own_postgres.restart)
        ops.burst(org, 150, workers=6)
        crash.join()
        # The outage was felt by the operators, who retried.
        assert sum(ops.retries[r] for r in ops.retries if r not in ("404", "409")) > 0, ops.retries
        print(f"retries by reason: {dict(ops.retries)}")
        reconcile(deployment.settings, ops.ledger, timeout=90)
    finally:
        deployment.stop()
        print(deployment.logs())
