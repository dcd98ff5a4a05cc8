"""Production roles: one tier's API, relay or projector as a process of its own.

Every role builds the same TierRuntime as the embedded platform; it only starts less of it.
A projector (and the API, for /ready) also opens the other tiers' stores read-only, to catch up
from them directly (ADR 0001).
"""

from __future__ import annotations

import logging
import signal
import threading

import uvicorn

from services.platform import BOOTSTRAPS
from shared.api import observability
from shared.api.history import keep_up
from shared.capabilities.identity import secrets
from shared.infrastructure.settings import Settings
from shared.infrastructure.transport import open_transport
from shared.kernel.jurisdiction import Tier, load
from shared.tier.runtime import AppSourceReader, TierRuntime

ROLES = ("api", "relay", "projector")
log = logging.getLogger("sanji")


def build(settings: Settings, tier: Tier) -> TierRuntime:
    settings = secrets.resolve(settings)  # before connecting anywhere (ADR 0012)
    jurisdiction = load(settings.jurisdiction_file)
    sources = AppSourceReader({})
    runtime = BOOTSTRAPS[tier].build_runtime(
        settings, jurisdiction, open_transport(settings), sources
    )
    sources.apps[runtime.app.name] = runtime.app
    for other, boot in BOOTSTRAPS.items():
        if other is not tier:
            # Read-only use (catch-up, lag): one pooled connection is plenty.
            env = {
                **settings.event_store_env(other),
                "POSTGRES_POOL_SIZE": "1",
                "POSTGRES_MAX_OVERFLOW": "2",
            }
            sources.apps[str(other)] = boot.APPLICATION(jurisdiction, env=env)
    return runtime


def run(settings: Settings, tier: Tier, role: str) -> int:
    observability.configure_logging(logging.INFO)  # JSON lines, one per request too
    runtime = build(settings, tier)
    log.info(
        "%s %s starting (persistence=%s, transport=%s)",
        tier,
        role,
        settings.persistence,
        settings.transport,
    )
    try:
        if role == "api":
            app = BOOTSTRAPS[tier].build_api(runtime)
            keep_up(runtime, threading.Event())  # a daemon: ends with the process
            # uvicorn's access log stays off: the app writes one JSON line per request itself.
            uvicorn.run(
                app,
                host=settings.host,
                port=settings.ports[tier],
                log_level="warning",
                access_log=False,
                # No forwarded header is trusted (ADR 0023): uvicorn's default would take
                # X-Forwarded-For from 127.0.0.1 as the client of the public rate limit.
                proxy_headers=False,
            )
        else:
            stop = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            if role == "projector":
                runtime.projector.heal()  # the stores are the truth: catch up before consuming
            runtime.start((role,))
            stop.wait()
    finally:
        runtime.stop()
        log.info("%s %s stopped", tier, role)
    return 0


def dead_letters(settings: Settings, tier: Tier, replay: str | None) -> int:
    runtime = build(settings, tier)
    try:
        if replay:
            applied = runtime.projector.replay_dead_letters(replay)
            print(f"[sanji] {tier} projector: {replay} resumed, {applied} events applied")
        for row in runtime.projector.dead_letters():
            print(
                f"{row['failed_at']} {row['source']}@{row['position']} {row['type']} "
                f"attempts={row['attempts']}\n    {row['error']}"
            )
        blocked = sorted(runtime.projector.blocked_sources())
        print(f"[sanji] {tier} projector: blocked sources: {', '.join(blocked) or 'none'}")
        return 1 if blocked else 0
    finally:
        runtime.stop()
