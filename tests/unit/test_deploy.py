"""deploy/ agrees with the code: compose services, env examples and the README table.

No Docker engine runs here (platform notes), so the deployment files are checked by parsing.
The setting names come from running ``Settings.from_env`` against a mapping that records what
it reads, so a setting added, renamed or removed in ``shared/infrastructure/settings.py`` fails here until
deploy/ and README.md follow.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import shared.infrastructure.settings
from shared.infrastructure.settings import Settings
from shared.kernel.jurisdiction import Tier

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENV_EXAMPLES = ("common.env.example", "production.env.example")
ROLES = ("api", "relay", "projector")
NAME = re.compile(r"\bSANJI_[A-Z0-9_]+\b")


class _RecordingEnviron(dict[str, str]):
    """An empty environment that remembers every name looked up in it."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return default


def setting_names() -> set[str]:
    environ = _RecordingEnviron()
    Settings.from_env(environ)
    return environ.read


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def services() -> dict[str, Any]:
    return compose()["services"]


def env_file(name: str) -> dict[str, str]:
    """NAME=value lines of an env file (compose and systemd format), failing on duplicates."""
    values: dict[str, str] = {}
    for line in (DEPLOY / "env" / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and key == key.strip() and key.isupper(), f"{name}: bad line {line!r}"
        assert key not in values, f"{name}: {key} set twice"
        values[key] = value
    return values


# ------------------------------------------------------------------ the names themselves


def test_setting_names_are_all_collected() -> None:
    names = setting_names()
    assert {f"SANJI_{tier.upper()}_PORT" for tier in Tier} <= names
    # Every name spelled out in settings.py is one that from_env reads (nothing bypasses it).
    source = Path(shared.infrastructure.settings.__file__).read_text(encoding="utf-8")
    assert set(NAME.findall(source)) <= names


def test_every_name_in_deploy_files_is_a_setting() -> None:
    names = setting_names()
    for path in [DEPLOY / "compose.yaml", *(DEPLOY / "env" / n for n in ENV_EXAMPLES)]:
        unknown = set(NAME.findall(path.read_text(encoding="utf-8"))) - names
        assert not unknown, f"{path.relative_to(ROOT)} names unknown settings: {sorted(unknown)}"
    for name, service in services().items():
        environment = service.get("environment", {})
        unknown = {k for k in environment if k.startswith("SANJI_")} - names
        assert not unknown, f"service {name}: unknown settings {sorted(unknown)}"


@pytest.mark.parametrize("example", ENV_EXAMPLES)
def test_env_example_sets_every_setting(example: str) -> None:
    values = env_file(example)
    assert {k for k in values if k.startswith("SANJI_")} == setting_names()
    Settings.from_env(values)  # and the values are valid (persistence, transport, ports)


def test_readme_configuration_table_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(SANJI_[A-Z0-9_]+)` \|", section, flags=re.MULTILINE)
    assert len(rows) == len(set(rows)), "a variable is listed twice"
    assert set(rows) == setting_names()


# ------------------------------------------------------------------ infrastructure


def test_kafka_is_a_single_kraft_node() -> None:
    kafka = services()["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["image"] == "apache/kafka:3.9.0"
    env = {k: str(v) for k, v in kafka["environment"].items()}
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node = env["KAFKA_NODE_ID"]
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{node}@")
    assert f"{controller}://" in env["KAFKA_LISTENERS"]
    assert f"{controller}:" in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
    assert env["CLUSTER_ID"]
    assert not any("ZOOKEEPER" in k for k in env)
    # One node: internal topics cannot ask for more replicas than there are brokers.
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"
    assert any(v.endswith(":" + env["KAFKA_LOG_DIRS"]) for v in kafka["volumes"])
    assert "healthcheck" in kafka


def test_postgres_is_15_with_a_volume_and_healthcheck() -> None:
    postgres = services()["postgres"]
    assert postgres["image"] == "postgres:15"
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_init_runs_once_after_postgres_and_kafka_are_healthy() -> None:
    init = services()["init"]
    assert init["command"] == ["python", "-m", "services", "init"]
    assert init["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "kafka": {"condition": "service_healthy"},
    }
    assert init.get("restart", "no") == "no"


# ------------------------------------------------------------------ the roles


@pytest.mark.parametrize("tier", [str(t) for t in Tier])
@pytest.mark.parametrize("role", ROLES)
def test_every_tier_runs_each_role_after_init(tier: str, role: str) -> None:
    service = services()[f"{tier}-{role}"]
    assert service["command"] == [
        "python",
        "-m",
        "services",
        "run",
        "--tier",
        tier,
        "--role",
        role,
    ]
    assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert service["env_file"] == "env/common.env"
    assert service["depends_on"] == {"init": {"condition": "service_completed_successfully"}}
    assert service["restart"] == "unless-stopped"


@pytest.mark.parametrize("tier", [str(t) for t in Tier])
def test_one_relay_and_one_projector_per_tier(tier: str) -> None:
    """A second relay would publish the same store twice with interleaved positions; a second
    projector would race the first on one read model (docs/operations.md "Scaling")."""
    for role in ("relay", "projector"):
        running = [
            name
            for name, s in services().items()
            if s.get("command", [])[3:] == ["run", "--tier", tier, "--role", role]
        ]
        assert running == [f"{tier}-{role}"]
        assert services()[running[0]].get("deploy", {}).get("replicas", 1) == 1


@pytest.mark.parametrize("tier", [str(t) for t in Tier])
def test_api_publishes_its_port_and_checks_health(tier: str) -> None:
    api = services()[f"{tier}-api"]
    port = str(api["environment"][f"SANJI_{tier.upper()}_PORT"])
    assert any(str(p).split(":")[-1] == port for p in api["ports"])
    assert f"127.0.0.1:{port}/health" in " ".join(api["healthcheck"]["test"])
    assert port == env_file("common.env.example")[f"SANJI_{tier.upper()}_PORT"]


def test_only_apis_listen() -> None:
    for name, service in services().items():
        if name.endswith(("-relay", "-projector")) or name == "init":
            assert "ports" not in service and "healthcheck" not in service, name


# ------------------------------------------------------------------ env files against compose


def test_common_env_points_at_the_compose_services() -> None:
    common = env_file("common.env.example")
    assert common["SANJI_PERSISTENCE"] == "postgres"
    assert common["SANJI_TRANSPORT"] == "kafka"
    assert common["SANJI_HOST"] == "0.0.0.0"  # inside a container; the host publishes loopback
    advertised = str(services()["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"])
    assert common["SANJI_KAFKA_BOOTSTRAP"] == advertised.removeprefix("PLAINTEXT://")
    db = env_file("postgres.env.example")
    user, password, name = db["POSTGRES_USER"], db["POSTGRES_PASSWORD"], db["POSTGRES_DB"]
    assert common["SANJI_POSTGRES_URL"] == f"postgresql://{user}:{password}@postgres:5432/{name}"
    assert services()["postgres"]["env_file"] == "env/postgres.env"


def test_image_holds_the_files_common_env_names() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert [ln for ln in dockerfile.splitlines() if ln.startswith("FROM ")] == [
        "FROM python:3.11-slim"
    ]
    assert "pip install" in dockerfile
    common = env_file("common.env.example")
    for name in ("SANJI_JURISDICTION_FILE", "SANJI_RULES_FILE", "SANJI_DATA_DIR"):
        assert common[name] in dockerfile, name
