"""Settings from the environment (issue 12, item 6): validated, one line per wrong value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.infrastructure.settings import FALSE, TRUE, Settings, SettingsError
from shared.kernel.jurisdiction import Tier

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_and_keyword_construction_agree() -> None:
    assert Settings.from_env({}) == Settings()
    assert Settings(persistence="memory", max_body_bytes=10).max_body_bytes == 10


def test_values_are_parsed_by_type() -> None:
    s = Settings.from_env(
        {
            "SANJI_COUNTY_PORT": "9001",
            "SANJI_REPORT_WARM_SECONDS": "2.5",
            "SANJI_SECRET_PREVIOUS": "old-1, old-2,",
            "SANJI_SIGNING_KEY_FILE": "",
            "SANJI_ANCHOR_DIR": "/srv/anchors",
            "SANJI_HASH": "sm3",
            "SANJI_RATE_LIMIT_PER_SECOND": "0",
        }
    )
    assert s.ports[Tier.COUNTY] == 9001 and s.ports[Tier.VILLAGE] == 8103
    assert s.report_warm_seconds == 2.5
    assert s.secret_previous == ("old-1", "old-2")
    assert s.signing_key_file is None and s.anchor_dir == Path("/srv/anchors")
    assert s.hash_algorithm == "sm3" and s.rate_limit_per_second == 0


@pytest.mark.parametrize("word", [*TRUE, *(w.upper() for w in TRUE)])
def test_true_words(word: str) -> None:
    assert Settings.from_env({"SANJI_DEMO": word}).demo is True


@pytest.mark.parametrize("word", FALSE)
def test_false_words(word: str) -> None:
    assert Settings.from_env({"SANJI_DEMO": word}).demo is False


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SANJI_COUNTY_PORT", "abc", "valid integer"),
        ("SANJI_VILLAGE_PORT", "70000", "65535"),
        ("SANJI_DEMO", "maybe", "y/yes/1/true/on or n/no/0/false/off"),
        ("SANJI_DAILY_CHECKPOINT", "", "y/yes/1/true/on"),
        ("SANJI_MAX_BODY_BYTES", "1MB", "valid integer"),
        ("SANJI_TOKEN_MINUTES", "soon", "valid number"),
    ],
)
def test_a_wrong_value_names_the_variable_and_what_it_accepts(
    variable: str, value: str, says: str
) -> None:
    with pytest.raises(SettingsError) as e:
        Settings.from_env({variable: value})
    message = str(e.value)
    assert message.startswith(f"{variable}={value!r} is not valid:")
    assert says in message and "\n" not in message


def test_the_command_line_exits_with_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SANJI_DEMO": "on",
        "SANJI_COUNTY_PORT": "abc",
        "SANJI_DATA_DIR": str(tmp_path),
    }
    run = subprocess.run(
        [sys.executable, "-m", "services", "embedded"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "[sanji] SANJI_COUNTY_PORT='abc' is not valid: Input should be a valid integer, "
        "unable to parse string as an integer"
    ]
