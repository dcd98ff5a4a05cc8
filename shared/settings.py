"""Configuration from environment variables: the one table in README.md "Configuration".

The same code runs embedded (SQLite files, in-process transport) or production (PostgreSQL,
Kafka) by these settings alone; nothing else reads os.environ.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from shared.backdating import parse_window
from shared.calendar import DEFAULT_CALENDAR
from shared.chain import ALGORITHMS
from shared.eventstore import MEMORY_FACTORY, RECORDERS
from shared.jurisdiction import DEMO_COUNTY, Tier
from shared.rules import DEFAULT_RULES

PERSISTENCE = ("memory", "sqlite", "postgres")
TRANSPORTS = ("memory", "kafka")


@dataclass(frozen=True)
class Settings:
    persistence: str = "sqlite"
    data_dir: Path = Path("var")
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/sanji"
    transport: str = "memory"
    kafka_bootstrap: str = "127.0.0.1:9092"
    jurisdiction_file: Path = DEMO_COUNTY
    rules_file: Path = DEFAULT_RULES
    calendar_file: Path = DEFAULT_CALENDAR
    # Signs access tokens; "" = generated once per install (embedded only; ADR 0012).
    secret: str = ""
    host: str = "127.0.0.1"
    ports: dict[Tier, int] = field(
        default_factory=lambda: {Tier.COUNTY: 8101, Tier.TOWNSHIP: 8102, Tier.VILLAGE: 8103}
    )
    demo: bool = True
    demo_seed: int = 20261122
    report_warm_seconds: float = 30.0
    hash_algorithm: str = "sha256"
    daily_checkpoint: bool = True
    supervision_seconds: float = 3600.0
    # Identity (ADR 0012).
    secret_previous: tuple[str, ...] = ()  # rotated-out keys still accepted for verification
    token_minutes: float = 480.0
    account_refresh_seconds: float = 30.0
    login_max_failures: int = 5
    login_lock_minutes: float = 15.0
    # A county's OIDC identity provider (ADR 0012): issuer URL, JWKS URL, audience, claim.
    oidc_issuer: str = ""
    oidc_jwks_url: str = ""
    oidc_audience: str = "sanji"
    oidc_claim: str = "preferred_username"
    # Backdating (ADR 0013): effective dates further back need a reason and the admin role.
    backdate_days: int = 30
    # Tamper evidence anchored outside the database (ADR 0006, issue 11).
    checkpoint_seconds: float = 3600.0  # signed checkpoint (anchor) period; daily ones as before
    signing_key_file: Path | None = None  # None: <data dir>/signing-key.pem, made once
    anchor_dir: Path | None = None  # None: <data dir>/anchors/, one <tier>.jsonl each

    def __post_init__(self) -> None:
        if self.persistence not in PERSISTENCE:
            raise ValueError(
                f"SANJI_PERSISTENCE must be one of {PERSISTENCE}, got {self.persistence!r}"
            )
        if self.transport not in TRANSPORTS:
            raise ValueError(f"SANJI_TRANSPORT must be one of {TRANSPORTS}, got {self.transport!r}")
        if not 0 <= self.account_refresh_seconds <= 60:
            # The stated bound on how late a disabled account is refused (ADR 0012).
            raise ValueError("SANJI_ACCOUNT_REFRESH_SECONDS must be between 0 and 60")
        if bool(self.oidc_issuer) != bool(self.oidc_jwks_url):
            raise ValueError("SANJI_OIDC_ISSUER and SANJI_OIDC_JWKS_URL go together")
        if self.hash_algorithm not in ALGORITHMS:
            raise ValueError(f"SANJI_HASH must be one of {ALGORITHMS}, got {self.hash_algorithm!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        s = cls()
        get = environ.get
        ports = {t: int(get(f"SANJI_{t.upper()}_PORT", s.ports[t])) for t in Tier}
        return replace(
            s,
            persistence=get("SANJI_PERSISTENCE", s.persistence),
            data_dir=Path(get("SANJI_DATA_DIR", str(s.data_dir))),
            postgres_url=get("SANJI_POSTGRES_URL", s.postgres_url),
            transport=get("SANJI_TRANSPORT", s.transport),
            kafka_bootstrap=get("SANJI_KAFKA_BOOTSTRAP", s.kafka_bootstrap),
            jurisdiction_file=Path(get("SANJI_JURISDICTION_FILE", str(s.jurisdiction_file))),
            rules_file=Path(get("SANJI_RULES_FILE", str(s.rules_file))),
            calendar_file=Path(get("SANJI_CALENDAR_FILE", str(s.calendar_file))),
            secret=get("SANJI_SECRET", s.secret),
            host=get("SANJI_HOST", s.host),
            ports=ports,
            demo=get("SANJI_DEMO", "y").lower() in ("y", "yes", "1", "true"),
            demo_seed=int(get("SANJI_DEMO_SEED", s.demo_seed)),
            report_warm_seconds=float(get("SANJI_REPORT_WARM_SECONDS", s.report_warm_seconds)),
            hash_algorithm=get("SANJI_HASH", s.hash_algorithm),
            daily_checkpoint=get("SANJI_DAILY_CHECKPOINT", "y").lower()
            in ("y", "yes", "1", "true"),
            supervision_seconds=float(get("SANJI_SUPERVISION_SECONDS", s.supervision_seconds)),
            secret_previous=tuple(
                k.strip() for k in get("SANJI_SECRET_PREVIOUS", "").split(",") if k.strip()
            ),
            token_minutes=float(get("SANJI_TOKEN_MINUTES", s.token_minutes)),
            account_refresh_seconds=float(
                get("SANJI_ACCOUNT_REFRESH_SECONDS", s.account_refresh_seconds)
            ),
            login_max_failures=int(get("SANJI_LOGIN_MAX_FAILURES", s.login_max_failures)),
            login_lock_minutes=float(get("SANJI_LOGIN_LOCK_MINUTES", s.login_lock_minutes)),
            oidc_issuer=get("SANJI_OIDC_ISSUER", s.oidc_issuer),
            oidc_jwks_url=get("SANJI_OIDC_JWKS_URL", s.oidc_jwks_url),
            oidc_audience=get("SANJI_OIDC_AUDIENCE", s.oidc_audience),
            oidc_claim=get("SANJI_OIDC_CLAIM", s.oidc_claim),
            backdate_days=parse_window(get("SANJI_BACKDATE_DAYS", str(s.backdate_days))),
            checkpoint_seconds=float(get("SANJI_CHECKPOINT_SECONDS", s.checkpoint_seconds)),
            signing_key_file=Path(k) if (k := get("SANJI_SIGNING_KEY_FILE")) else None,
            anchor_dir=Path(a) if (a := get("SANJI_ANCHOR_DIR")) else None,
        )

    def event_store_env(self, tier: Tier) -> dict[str, str]:
        """eventsourcing settings for one tier's event store."""
        # Every store chains its events as it stores them (shared/eventstore.py).
        chain = {
            "CHAIN_HASH": self.hash_algorithm,
            # Links and checkpoints are signed (shared/audit/signing.py). The embedded default
            # makes its key once in the data directory; PostgreSQL roles expect `init` (or the
            # operator) to have put it in place, so separate processes never make two keys.
            "CHAIN_KEY_FILE": str(self.signing_key_path()),
            "CHAIN_KEY_CREATE": "n" if self.persistence == "postgres" else "y",
            "CHAIN_ANCHOR_DIR": str(self.anchor_path()),
        }
        if self.persistence == "memory":
            return {**chain, "PERSISTENCE_MODULE": MEMORY_FACTORY}
        if self.persistence == "sqlite":
            return {
                **chain,
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "APPLICATION_RECORDER_TOPIC": RECORDERS["sqlite"],
                "SQLITE_DBNAME": str(self.data_dir / f"{tier}-events.db"),
            }
        from psycopg.conninfo import conninfo_to_dict

        info = conninfo_to_dict(self.postgres_url)
        return {
            **chain,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": RECORDERS["postgres"],
            "POSTGRES_DBNAME": str(info.get("dbname", "sanji")),
            "POSTGRES_HOST": str(info.get("host", "127.0.0.1")),
            "POSTGRES_PORT": str(info.get("port", "5432")),
            "POSTGRES_USER": str(info.get("user", "postgres")),
            "POSTGRES_PASSWORD": str(info.get("password", "")),
            "POSTGRES_SCHEMA": f"sanji_{tier}",
            # Tables are made once by `python -m services init`: processes creating them at
            # the same moment fail intermittently (platform notes).
            "CREATE_TABLE": "n",
        }

    def rebuild_readmodel_url(self, tier: Tier, suffix: str) -> str:
        """A fresh read model beside the live one, for rebuild-and-compare."""
        if self.persistence == "memory":
            return "sqlite://:memory:"
        if self.persistence == "sqlite":
            return f"sqlite://{self.data_dir / f'{tier}-readmodel.rebuild-{suffix}.db'}"
        return f"{self.postgres_url}?schema=sanji_{tier}_read_rebuild_{suffix}"

    def readmodel_url(self, tier: Tier) -> str:
        if self.persistence == "memory":
            return "sqlite://:memory:"
        if self.persistence == "sqlite":
            return f"sqlite://{self.data_dir / f'{tier}-readmodel.db'}"
        return f"{self.postgres_url}?schema=sanji_{tier}_read"

    def signing_key_path(self) -> Path:
        return self.signing_key_file or self.data_dir / "signing-key.pem"

    def anchor_path(self) -> Path:
        return self.anchor_dir or self.data_dir / "anchors"
