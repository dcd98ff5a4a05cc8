"""Old ledger uploads are deleted after SANJI_LEDGER_UPLOAD_DAYS (issue 14 leftovers)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.ledger_import.cleanup import DAY, remove_old_uploads
from shared.infrastructure.settings import Settings, SettingsError


def _aged(path: Path, days: float, now: float) -> Path:
    os.utime(path, (now - days * DAY, now - days * DAY))
    return path


def test_folders_older_than_the_setting_go_and_newer_ones_stay(tmp_path: Path) -> None:
    now = 1_800_000_000.0
    root = tmp_path / "ledger-uploads"
    old, fresh, mixed = (root / n for n in ("a" * 64, "b" * 64, "c" * 64))
    for folder in (old, fresh, mixed):
        folder.mkdir(parents=True)
    (old / "ledger.xlsx").write_bytes(b"PK")
    _aged(old / "ledger.xlsx", 8, now)
    (fresh / "ledger.xlsx").write_bytes(b"PK")
    _aged(fresh / "ledger.xlsx", 6, now)
    # An old upload whose import ran yesterday: its newest file counts.
    for name, days in (("ledger.xlsx", 30), ("import.json", 1)):
        (mixed / name).write_text("{}")
        _aged(mixed / name, days, now)
    partial = root / ".upload-x"
    partial.write_bytes(b"P")
    _aged(partial, 9, now)

    removed = remove_old_uploads(root, 7, now=now)
    assert sorted(removed) == sorted([".upload-x", "a" * 64])
    assert sorted(p.name for p in root.iterdir()) == ["b" * 64, "c" * 64]
    assert remove_old_uploads(tmp_path / "none", 7, now=now) == []


def test_the_setting_defaults_to_seven_days_and_refuses_less_than_one() -> None:
    assert Settings().ledger_upload_days == 7
    assert Settings.from_env({"SANJI_LEDGER_UPLOAD_DAYS": "30"}).ledger_upload_days == 30
    with pytest.raises((SettingsError, ValueError)):
        Settings.from_env({"SANJI_LEDGER_UPLOAD_DAYS": "0"})
