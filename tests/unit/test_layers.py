"""The layering of shared/ (ADR 0016) holds: the import-linter contracts in pyproject.toml
(layers api > audit > tier > reporting > capabilities > infrastructure > kernel, a capability's
routes at the api layer; capabilities independent; a capability's routes imported only where
they are mounted; domain code without read-model SQL; shared/ knowing no service) are all
kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_are_kept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 broken" in out
