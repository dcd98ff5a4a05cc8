"""Configuration from environment variables: the one table in README.md "Configuration".

The same code runs embedded (SQLite files, in-process transport) or production (PostgreSQL,
Kafka) by these settings alone; nothing else reads os.environ.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, get_type_hints

from pydantic import BeforeValidator, ValidationError, create_model
from pydantic import Field as PydanticField
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from shared.infrastructure.eventstore import MEMORY_FACTORY, RECORDERS
from shared.kernel.backdating import parse_window
from shared.kernel.calendar import DEFAULT_CALENDAR
from shared.kernel.chain import ALGORITHMS
from shared.kernel.jurisdiction import DEMO_COUNTY, Tier
from shared.kernel.rules import DEFAULT_RULES

PERSISTENCE = ("memory", "sqlite", "postgres")
TRANSPORTS = ("memory", "kafka")


@dataclass(frozen=True)
class Settings:
    persistence: str = "sqlite"
    data_dir: Path = Path("var")
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/sanji"
    transport: str = "memory"
    kafka_bootstrap: str = "127.0.0.1:9092"
    # Freshness (issue 15): the longest a broker holds an empty fetch, and how often an idle
    # production relay looks again when no NOTIFY of its store woke it (the safety net).
    kafka_fetch_wait_ms: int = 10
    relay_idle_ms: int = 200
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
    # Every N seconds an API process catches its tier's audit history up (ADR 0031); 0: off.
    audit_history_seconds: float = 30.0
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
    # Limits (issue 12): body size, commands per second per account (0: off), reproductions and
    # known-at reports running at once per process, ids in a caller-supplied draw record.
    max_body_bytes: int = 1_048_576
    # A ledger upload's own limit (ADR 0020 addendum): only routes marked as uploads take it.
    max_upload_bytes: int = 20 * 1_048_576
    # Uploaded ledgers and their results are deleted after this many days (issue 14 leftovers).
    ledger_upload_days: int = 7
    rate_limit_per_second: float = 20.0
    expensive_concurrency: int = 2
    max_reproduction_ids: int = 100_000
    # Operations (issue 12): a bearer token /metrics requires ("" = none) and the JSON request log.
    metrics_token: str = ""
    request_log: bool = True
    # The console's session cookie is sent over HTTPS only (set behind a TLS proxy; ADR 0017).
    console_secure_cookie: bool = False
    # The public disclosure pages (ADR 0023): pages per second per client address (0: off).
    public_rate_per_second: float = 5.0

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
        if self.ledger_upload_days < 1:
            raise ValueError("SANJI_LEDGER_UPLOAD_DAYS must be at least 1")
        if self.hash_algorithm not in ALGORITHMS:
            raise ValueError(f"SANJI_HASH must be one of {ALGORITHMS}, got {self.hash_algorithm!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Every field from ``SANJI_<FIELD>`` (names in ``ENV_NAMES`` otherwise), read and
        validated by pydantic-settings with a settings class made from the fields: a new field
        is read without a line here, and a wrong value is one ``SettingsError`` line naming the
        variable and what it accepts."""
        reader = _reader(environ)
        try:
            parsed = reader().model_dump(exclude_unset=True)
        except ValidationError as e:
            err = e.errors()[0]
            name = str(err["loc"][0])
            info = reader.model_fields.get(name)
            variable = str(info.validation_alias) if info else name
            problem = str(err["msg"]).removeprefix("Value error, ")
            raise SettingsError(
                f"{variable}={environ.get(variable)!r} is not valid: {problem}"
            ) from None
        s = cls()
        ports = {t: parsed.pop(f"{t}_port", s.ports[t]) for t in Tier}
        return replace(s, ports=ports, **parsed)

    def event_store_env(self, tier: Tier) -> dict[str, str]:
        """eventsourcing settings for one tier's event store."""
        # Every store chains its events as it stores them (shared/infrastructure/eventstore.py).
        chain = {
            "CHAIN_HASH": self.hash_algorithm,
            # Links and checkpoints are signed (shared/kernel/signing.py). The embedded default
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


# ------------------------------------------------------------------ reading the environment


class SettingsError(ValueError):
    """A SANJI_* variable with a value its setting does not accept (one line, for stderr)."""


# Fields whose variable is not SANJI_<FIELD>.
ENV_NAMES = {"hash_algorithm": "SANJI_HASH"}
TRUE = ("y", "yes", "1", "true", "on")
FALSE = ("n", "no", "0", "false", "off")


def _flag(raw: object) -> object:
    # Stricter than pydantic's bool: "on" used to read as false; now anything unknown is refused.
    if isinstance(raw, str):
        if raw.strip().lower() in TRUE:
            return True
        if raw.strip().lower() in FALSE:
            return False
        raise ValueError(f"accepts {'/'.join(TRUE)} or {'/'.join(FALSE)}")
    return raw


def _optional(raw: object) -> object:
    return None if raw == "" else raw  # an empty path means "the default place"


def _keys(raw: object) -> object:
    if isinstance(raw, str):
        return tuple(k.strip() for k in raw.split(",") if k.strip())
    return raw


def _window(raw: object) -> object:
    return parse_window(raw) if isinstance(raw, str) else raw


_SPECIAL: dict[str, Any] = {
    # NoDecode: a comma-separated list, not the JSON pydantic-settings expects by default.
    "secret_previous": Annotated[tuple[str, ...], NoDecode, BeforeValidator(_keys)],
    "backdate_days": Annotated[int, BeforeValidator(_window)],
}


class _EnvBase(BaseSettings):
    # Unset fields keep the dataclass's defaults (dumped with exclude_unset), so their
    # placeholders are not validated.
    model_config = SettingsConfigDict(validate_default=False, case_sensitive=True)


@functools.cache
def _env_model() -> type[BaseSettings]:
    hints = get_type_hints(Settings)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        if f.name == "ports":
            continue
        kind = _SPECIAL.get(f.name, hints[f.name])
        if kind is bool:
            kind = Annotated[bool, BeforeValidator(_flag)]
        elif f.name.endswith(("_file", "_dir")) and f.default is None:
            kind = Annotated[kind, BeforeValidator(_optional)]
        env = ENV_NAMES.get(f.name, f"SANJI_{f.name.upper()}")
        fields[f.name] = (kind, PydanticField(None, validation_alias=env))
    for tier in Tier:
        fields[f"{tier}_port"] = (
            Annotated[int, PydanticField(ge=1, le=65535)],
            PydanticField(None, validation_alias=f"SANJI_{tier.upper()}_PORT"),
        )
    model: type[BaseSettings] = create_model(
        "SettingsFromEnv",
        __base__=_EnvBase,
        **fields,
    )
    return model


class _Given(EnvSettingsSource):
    """The variables of one mapping (``os.environ`` or a test's), not the process's."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self.given = environ
        super().__init__(settings_cls, case_sensitive=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # Only the settings' own variables are looked up (nothing else is read).
        names = [str(f.validation_alias) for f in self.settings_cls.model_fields.values()]
        return {n: v for n in names if (v := self.given.get(n)) is not None}


def _reader(environ: Mapping[str, str]) -> type[BaseSettings]:
    """The settings class reading ``environ`` and nothing else (no .env file, no secrets dir,
    no init arguments): the environment is the one source of configuration."""

    class Reader(_env_model()):  # type: ignore[misc,valid-type]
        @classmethod
        def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], *sources: Any, **named: Any
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (_Given(settings_cls, environ),)

    return Reader
