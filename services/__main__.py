"""Command line (``python -m services …`` or ``sanji …``).

``embedded`` builds the platform from the environment (SANJI_* settings), loads the demo county
into empty stores, starts the relays and projectors, and serves the county, township and village
APIs from one process on their own ports. ``init`` creates schemas, tables and topics;
``run --tier T --role R`` runs one role of the production topology; ``dead-letters`` lists and
replays a projector's poison events; ``reconcile`` proves parent = Σ children across the three
read models; ``export`` writes a report file; ``timeline`` writes one
organisation's events from all three tiers in order; ``verify``, ``rebuild``, ``checkpoint`` and
``reproduce`` check the logs' hash chains, rebuild and compare a read model, record chain heads
and recompute an issued report (services/integrity.py); ``tokens`` prints the demo operators' tokens;
``import-template`` writes the ledger templates and ``import FILE [--dry-run]`` checks or records a
county's ledger (services/ledger_import, ADR 0020).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import sys
import threading
from collections.abc import Iterator

import uvicorn

from services import accounts_cli, audit, audit_history, integrity, reporting, roles
from services.demo import load_demo
from services.demo_accounts import demo_tokens, provision
from services.init import initialise
from services.ledger_import import cli as ledger_import
from services.platform import BOOTSTRAPS, Platform
from shared.api import observability
from shared.api.history import keep_up
from shared.capabilities.identity.secrets import InsecureSecret
from shared.infrastructure.settings import Settings
from shared.kernel.jurisdiction import Area, Jurisdiction, Tier


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sanji", description="Sanji: three-tier platform for community social organisations"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("embedded", help="run county, township and village services in one process")
    sub.add_parser(
        "tokens", help="print short-lived tokens for the demo accounts (JSON, for scripts)"
    )
    sub.add_parser("init", help="create schemas, tables and topics (run once before the roles)")
    run = sub.add_parser("run", help="run one role of one tier as its own process")
    run.add_argument("--tier", required=True, choices=[str(t) for t in Tier])
    run.add_argument("--role", required=True, choices=roles.ROLES)
    dead = sub.add_parser("dead-letters", help="list a tier projector's dead letters")
    dead.add_argument("--tier", required=True, choices=[str(t) for t in Tier])
    dead.add_argument("--replay", metavar="SOURCE", help="resume SOURCE after a fix")
    rec = sub.add_parser(
        "reconcile", help="prove county = Σ townships = Σ villages across the three read models"
    )
    reporting.add_arguments(rec)
    rec.add_argument("--wait", type=float, default=10.0, help="seconds to wait for one point")
    rec.add_argument("--json", action="store_true", help="print the full result as JSON")
    exp = sub.add_parser("export", help="write a division's report as CSV, XLSX, JSON or HTML")
    reporting.add_arguments(exp)
    exp.add_argument("--format", choices=["csv", "xlsx", "json", "html"], default="html")
    exp.add_argument("--tier", choices=[str(t) for t in Tier], default="county")
    exp.add_argument("--out", help="output file (default: report-<division>-<date>.<format>)")
    tl = sub.add_parser(
        "timeline", help="one organisation's events from all three tiers, in recorded order"
    )
    audit.add_arguments(tl)
    integrity.add_arguments(sub)
    audit_history.add_arguments(sub)
    accounts_cli.add_arguments(sub)
    ledger_import.add_arguments(sub)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as e:  # one line naming the variable, not a traceback
        print(f"[sanji] {e}", file=sys.stderr)
        return 2
    try:
        return _dispatch(args, settings)
    except InsecureSecret as e:
        print(e, file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "tokens":
        return tokens(settings)
    if args.command == "import-template":
        return ledger_import.template(settings, args)
    if args.command == "import":
        return ledger_import.run(settings, args)
    if args.command in ("account-add", "demo-accounts"):
        return accounts_cli.run(settings, args)
    if args.command == "init":
        initialise(settings)
        return 0
    if args.command == "run":
        return roles.run(settings, Tier(args.tier), args.role)
    if args.command == "dead-letters":
        return roles.dead_letters(settings, Tier(args.tier), args.replay)
    if args.command == "reconcile":
        return reporting.reconcile(settings, args)
    if args.command == "export":
        return reporting.export(settings, args)
    if args.command == "timeline":
        return audit.timeline(settings, args)
    if args.command == "audit-history":
        return audit_history.run(settings, args)
    if args.command in ("verify", "rebuild", "checkpoint", "reproduce"):
        return integrity.run(settings, args)
    return embedded(settings)


def tokens(settings: Settings) -> int:
    """Short-lived tokens for the demo accounts, read from the stores (for scripts)."""
    platform = Platform.build(settings)
    try:
        found = demo_tokens(platform)
    finally:
        platform.stop()
    if not found:
        print(
            "[sanji] no demo accounts yet: start the platform once (scripts/run)", file=sys.stderr
        )
        return 1
    print(json.dumps(found, ensure_ascii=False, indent=2))
    return 0


def embedded(settings: Settings) -> int:
    observability.configure_logging()  # JSON lines; the access lines are the app's own
    if settings.persistence == "postgres" or settings.transport == "kafka":
        initialise(settings)
    platform = Platform.build(settings)
    history_stop = threading.Event()
    try:
        servers = _bind(settings, platform)  # first, so that a port in use fails fast
        accounts: list[dict[str, str]] = []
        if settings.demo:
            fresh = all(
                rt.app.recorder.max_notification_id() is None for rt in platform.tiers.values()
            )
            accounts = provision(platform)  # first: the demo's acts are its operators'
            if fresh:
                load_demo(platform, settings.demo_seed)
        platform.start()
        for rt in platform.tiers.values():
            keep_up(rt, history_stop)  # audit histories (ADR 0031)
        _banner(settings, platform.jurisdiction, accounts)
        asyncio.run(_serve(servers))
    finally:
        history_stop.set()
        platform.stop()
    print("[sanji] stopped", flush=True)
    return 0


def _bind(settings: Settings, platform: Platform) -> list[tuple[_Server, socket.socket]]:
    """One uvicorn server per tier, with its port already bound."""
    servers = []
    for tier, runtime in platform.tiers.items():
        app = BOOTSTRAPS[tier].build_api(runtime)
        # uvicorn's access log stays off: the app writes one JSON line per request itself.
        # proxy_headers=False: uvicorn would otherwise take X-Forwarded-For from 127.0.0.1 as
        # the client, and the public pages' rate limit trusts no forwarded header (ADR 0023).
        config = uvicorn.Config(
            app,
            settings.host,
            settings.ports[tier],
            log_level="warning",
            access_log=False,
            proxy_headers=False,
        )
        try:
            sock = config.bind_socket()
        except SystemExit:
            where = f"{settings.host}:{settings.ports[tier]}"
            raise SystemExit(
                f"[sanji] the {tier} service cannot listen on {where}: "
                f"stop what uses it, or set SANJI_{tier.upper()}_PORT"
            ) from None
        servers.append((_Server(config), sock))
    return servers


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to :func:`_serve`, which stops all three."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve(servers: list[tuple[_Server, socket.socket]]) -> None:
    def stop() -> None:
        for server, _ in servers:
            server.force_exit = server.should_exit  # a second Ctrl-C: do not wait for requests
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop)
    await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in servers))


def _banner(settings: Settings, j: Jurisdiction, accounts: list[dict[str, str]]) -> None:
    def url(tier: Tier) -> str:
        return f"http://{settings.host}:{settings.ports[tier]}"

    print("\n[sanji] Sanji 三级社区社会组织平台 running (embedded, Ctrl-C stops).")
    print("  Console 控制台 (open in a browser, sign in with an account of that tier):")
    for tier in (Tier.COUNTY, Tier.TOWNSHIP, Tier.VILLAGE):
        print(f"  {tier:<9} {url(tier)}/        API docs {url(tier)}/docs")
    if not accounts:
        print("\n[sanji] no demo accounts (SANJI_DEMO=n): open accounts as an admin", flush=True)
        return
    by_name = {a["username"]: a for a in accounts}
    village = next(v for v in j.villages() if v.area is Area.URBAN)
    township = j.townships()[0]
    shown = [
        "county-operator",
        "county-admin",
        "county-auditor",
        f"township-{township.code}-operator",
        f"village-{village.code}-operator",
    ]
    print(
        "\n[sanji] demo accounts: sign in at the console of the account's tier with its "
        "username and password (登录名 / 密码):"
    )
    for username in shown:
        a = by_name[username]
        print(f"  {a['tier']:<9} {a['role']:<9} {username:<32} {a['password']}")
    path = settings.data_dir / "demo-accounts.json"
    print(f"  all {len(accounts)} accounts (one per division and role): {path}")
    print("\n[sanji] log in and read the county report:")
    county = by_name["county-operator"]
    print(
        f"  TOKEN=$(curl -s -d username=county-operator -d password='{county['password']}' \\\n"
        f"    {url(Tier.COUNTY)}/api/v1/auth/token | python3 -c "
        "'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
        f'  curl -s -H "Authorization: Bearer $TOKEN" {url(Tier.COUNTY)}/api/v1/reports/{j.county.code}'
    )
    print(
        "  (scripts: python -m services tokens prints short-lived tokens for every account)\n",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
