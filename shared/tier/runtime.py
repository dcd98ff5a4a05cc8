"""One tier at run time: its application, read model, relay and projector, and their threads.

Every tier is assembled the same way (``shared/bootstrap.py``; each ``services/<tier>/bootstrap.py``
only names its application and routes), so a reader who knows one tier knows all three.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.capabilities.divisions.history import tree_from
from shared.capabilities.identity import secrets
from shared.capabilities.identity.directory import Directory
from shared.capabilities.identity.oidc import OidcIssuer
from shared.capabilities.identity.tokens import Keyring
from shared.capabilities.ledger.domain import checkpoint_id
from shared.infrastructure.eventstore import listen_for_inserts, notifies
from shared.infrastructure.projector import SourceReader
from shared.infrastructure.relay import Relay
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import Database, open_database
from shared.infrastructure.transport.base import Consumer, Transport
from shared.kernel.calendar import load_calendar
from shared.kernel.domain import CHINA
from shared.kernel.integration.envelope import Envelope, topic_for
from shared.kernel.jurisdiction import Jurisdiction, Tier
from shared.kernel.periods import resolve
from shared.kernel.rules import Rules, load_rules
from shared.reporting.report import division_report
from shared.tier import readmodel
from shared.tier.application import TierApplication
from shared.tier.lookup import OrganisationLookup
from shared.tier.projector import Projector

log = logging.getLogger(__name__)

ALL_TOPICS = [topic_for(t) for t in Tier]
IDLE_WAIT = 0.2  # seconds a relay or projector loop waits when there is nothing to do
CHECKPOINT_POLL = 60.0  # seconds between looks at the (China) date for the daily checkpoint
HEAL_EVERY = 2.0  # seconds between checks of the source stores' heads (ADR 0001)


class AppSourceReader:
    """Reads integration events straight from the tier applications' event stores (catch-up and
    rebuilds; in production each projector gets read access to the upstream stores)."""

    def __init__(self, apps: dict[str, TierApplication]) -> None:
        self.apps = apps

    def read(self, source: str, after: int, limit: int) -> list[Envelope]:
        placed = self.apps[source].placed_envelopes(after, limit, previous_position=after)
        return parse_envelopes(raw for _, raw in placed)

    def read_at(self, source: str, positions: Iterable[int]) -> list[Envelope]:
        """The events at these positions, in order; one read per contiguous run. Each carries
        its hash-chain link when the recorder keeps a chain (shared/kernel/chain.py)."""
        app = self.apps[source]
        envelopes: list[Envelope] = []
        for start, stop in _runs(positions):
            placed = app.placed_envelopes(
                start, stop - start + 1, stop, inclusive_of_start=True, previous_position=None
            )
            envelopes += parse_envelopes(raw for p, raw in placed if start <= p <= stop)
        return envelopes

    def head(self, source: str) -> int:
        return self.apps[source].recorder.max_notification_id() or 0

    def names(self) -> list[str]:
        return list(self.apps)


def parse_envelopes(wire: Iterable[bytes]) -> list[Envelope]:
    """A page of envelopes, each validated, with the cyclic garbage collector paused meanwhile:
    a page's thousands of new containers (each envelope's dicts) set off collections that took
    half of the parse's CPU time (ADR 0032, addendum 2). An envelope holds no reference cycle,
    so reference counting frees them all the same. Re-enabled only if it was on before."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return [Envelope.model_validate_json(raw) for raw in wire]
    finally:
        if paused:
            gc.enable()


def period_start(now: datetime, seconds: float) -> datetime:
    """Start of the checkpoint period holding ``now``: periods of ``seconds`` counted from
    China midnight (UTC+8, no daylight saving)."""
    offset = 8 * 3600
    start = (now.timestamp() + offset) // seconds * seconds - offset
    return datetime.fromtimestamp(start, UTC)


def _runs(positions: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted distinct positions as contiguous (first, last) runs: 3, 4, 5, 9 → (3, 5), (9, 9)."""
    runs: list[tuple[int, int]] = []
    for p in sorted(set(positions)):
        if runs and runs[-1][1] == p - 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return runs


@dataclass
class TierRuntime:
    tier: Tier
    settings: Settings
    jurisdiction: Jurisdiction
    rules: Rules
    app: TierApplication
    db: Database
    projector: Projector
    relay: Relay
    transport: Transport
    keyring: Keyring = field(default_factory=lambda: Keyring(""))
    directory: Directory = field(default_factory=lambda: Directory(lambda _: None, 0))
    oidc: OidcIssuer | None = None  # a county's identity provider, if configured (ADR 0012)
    # The process's three tiers, when it holds all three (the embedded platform,
    # services/platform.py): what needs every tier at once (the ledger import, ADR 0020) runs
    # only there. None in the production topology (one tier per process).
    embedded: Any = None
    _consumer: Consumer | None = None
    _last_heal: float = 0.0
    _checkpointed: datetime | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _wake: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        app_class: type[TierApplication],
        settings: Settings,
        jurisdiction: Jurisdiction,
        transport: Transport,
        sources: SourceReader | None = None,
    ) -> TierRuntime:
        tier = app_class.tier
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings = secrets.resolve(settings)  # refuses a weak secret in production (ADR 0012)
        db = open_database(settings.readmodel_url(tier))
        # Scope: the whole county here; a province-scale deployment would run one per county.
        projector = Projector(db, jurisdiction.county.code, sources, name=f"{tier}-projector")
        app = app_class(jurisdiction, env=settings.event_store_env(tier))
        app.lookup = OrganisationLookup(db)
        rules = load_rules(settings.rules_file)
        app.rules, app.calendar = rules, load_calendar(settings.calendar_file)
        relay = Relay(app, db, transport.producer)
        runtime = cls(tier, settings, jurisdiction, rules, app, db, projector, relay, transport)
        runtime.keyring = Keyring(
            settings.secret, settings.secret_previous, timedelta(minutes=settings.token_minutes)
        )
        runtime.directory = Directory(runtime.store_of, settings.account_refresh_seconds)
        if settings.oidc_issuer:
            runtime.oidc = OidcIssuer(
                settings.oidc_issuer,
                settings.oidc_jwks_url,
                settings.oidc_audience,
                settings.oidc_claim,
            )
        app.add_listener(runtime._wake.set)
        return runtime

    def store_of(self, tier: Tier) -> TierApplication | None:
        """The application of ``tier``'s store: this tier's own, or another tier's opened for
        reading (catch-up, accounts of other tiers; ADR 0001, 0012)."""
        if tier is self.tier:
            return self.app
        apps = getattr(self.projector.sources, "apps", {})
        found: TierApplication | None = apps.get(str(tier))
        return found

    @property
    def consumer(self) -> Consumer:
        """Created on first use, so an API-only process never connects a consumer."""
        if self._consumer is None:
            self._consumer = self.transport.consumer(ALL_TOPICS)
            self.projector.resume(self._consumer)
        return self._consumer

    # ------------------------------------------------------------ background loops

    def start(self, roles: tuple[str, ...] = ("relay", "projector")) -> None:
        steps = {
            "relay": self._relay_step,
            "listen": self._listen_step,
            "projector": self._projector_step,
            "warm": self._warm_step,
            "checkpoint": self._checkpoint_step,
            "supervision": self._supervision_step,
        }
        if "projector" in roles and self.settings.report_warm_seconds > 0:
            roles = (*roles, "warm")
        if "relay" in roles and self.embedded is None and notifies(self.app.recorder):
            roles = (*roles, "listen")  # the API is another process: its inserts wake the relay
        if "relay" in roles and self.settings.daily_checkpoint:
            roles = (*roles, "checkpoint")  # one relay per tier: one writer of checkpoints
        if (
            "relay" in roles
            and self.settings.supervision_seconds > 0
            and (hasattr(self.app, "run_due") or hasattr(self.app, "run_due_exits"))
        ):
            roles = (*roles, "supervision")  # the county's timers (ADR 0007), one writer too
        for name in roles:
            t = threading.Thread(
                target=self._loop, args=(name, steps[name]), name=f"{self.tier}-{name}", daemon=True
            )
            t.start()
            self._threads.append(t)

    def _relay_step(self) -> None:
        if self.relay.run_once() == 0:
            # A command in this process wakes the relay at once (the embedded platform); in the
            # production topology the API is another process, whose inserts wake it through
            # PostgreSQL NOTIFY (the "listen" loop); an idle relay also looks again after
            # SANJI_RELAY_IDLE_MS, in case a notification was missed while reconnecting.
            idle = IDLE_WAIT if self.embedded is not None else self.settings.relay_idle_ms / 1000
            self._wake.wait(idle)
            self._wake.clear()

    def _listen_step(self) -> None:
        listen_for_inserts(self.app.recorder, self._wake.set, self._stop)

    def _projector_step(self) -> None:
        self.projector.consume(self.consumer.poll(IDLE_WAIT))
        if time.monotonic() - self._last_heal >= HEAL_EVERY:
            # On a timer, busy or idle: a source whose store is ahead and whose position has not
            # moved for HEAL_EVERY seconds is caught up from its store directly (ADR 0001).
            self._last_heal = time.monotonic()
            self.projector.heal(stalled_only=True)

    def _checkpoint_step(self) -> None:
        """Once a checkpoint period (SANJI_CHECKPOINT_SECONDS, hourly by default), record every
        chain head this tier holds, signed, and export it as an anchor (ADR 0006). The id is
        the tier and the period's start, so a restart or a second process cannot record it
        twice. Periods are aligned to China midnight, so a 86400 s period is the China day."""
        period = self.settings.checkpoint_seconds
        start = period_start(self.app.clock(), period)
        if start != self._checkpointed:
            with self.db.transaction() as tx:
                held = readmodel.chain_heads(tx)
            day = start.astimezone(CHINA).date()
            if self.app.record_checkpoint(day, held, at=start) or self.app.find(
                checkpoint_id(self.tier, day, start)
            ):
                self._checkpointed = start  # else: nothing to pin yet, look again later
        self._stop.wait(min(CHECKPOINT_POLL, period))

    def _supervision_step(self) -> None:
        """Record what the credit and evaluation rules make due by now (ADR 0007); safe to
        repeat (what is recorded is no longer due) and to race (the loser's save is refused)."""
        for step in ("run_due", "run_due_exits"):  # credit and grades; zombie exit (ADR 0009)
            run_due = getattr(self.app, step, None)
            if run_due is not None:
                run_due()
        self._stop.wait(self.settings.supervision_seconds)

    def _warm_step(self) -> None:
        """Keep today's county report computed: after a quiet period this costs one cache read
        per division; after writes, only the changed villages (ADR 0004)."""
        today = self.app.clock().astimezone(CHINA).date()
        as_of, period = resolve(today)
        code = self.jurisdiction.county.code
        rules = self.rules.for_report(as_of)
        tree = tree_from(self.db, self.jurisdiction, as_of)  # the tree reports use by default
        division_report(self.db, tree, code, as_of, period, rules)
        self._stop.wait(self.settings.report_warm_seconds)

    def _loop(self, name: str, step: Callable[[], None]) -> None:
        resume = False
        while not self._stop.is_set():
            try:
                if resume:
                    # Re-read from the offsets stored with the read model: what failed comes again.
                    self.projector.resume(self.consumer)
                    resume = False
                step()
            except Exception:
                # Never skip silently and never let the thread die (a dead thread in a live
                # process is an outage no supervisor sees): log, back off, retry. The projector
                # dead-letters an event after MAX_ATTEMPTS (ADR 0003).
                log.exception("%s %s failed; retrying from stored position", self.tier, name)
                resume = name == "projector"
                self._stop.wait(1.0)

    @property
    def running(self) -> bool:
        """Its relay and projector loops run in threads (then only they drain it)."""
        return bool(self._threads)

    def drain(self) -> None:
        """Run relay and projector in the caller's thread until both are idle (tests, demo load)."""
        while self.relay.run_once() or self.projector.consume(self.consumer.poll(0)):
            pass

    def request_stop(self) -> None:
        """Tell the loops to end, without waiting for them (see :meth:`stop`)."""
        self._stop.set()
        self._wake.set()

    def stop(self) -> None:
        self.request_stop()
        for t in self._threads:
            t.join(timeout=5)
        if self._consumer is not None:
            self._consumer.close()
        self.relay.close()
        self.app.lookup.close()
        self.app.close()
        self.db.close()
