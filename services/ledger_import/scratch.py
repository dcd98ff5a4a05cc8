"""The dry run's scratch platform: the three tiers in memory with the real platform's
jurisdiction, rules, calendar, clock and backdating window, so a row meets the same domain
rules it would meet on import, and nothing reaches the real stores."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from services.platform import Platform


def scratch_platform(target: Any) -> Platform:
    scratch_dir = Path(tempfile.mkdtemp(prefix="sanji-dry-run-"))
    settings = replace(
        target.settings,
        persistence="memory",
        transport="memory",
        data_dir=scratch_dir,
        daily_checkpoint=False,
        supervision_seconds=0,
        signing_key_file=None,
        anchor_dir=None,
    )
    scratch = Platform.build(settings)
    scratch.jurisdiction = target.jurisdiction
    for tier, rt in scratch.tiers.items():
        source = target.tiers[tier].app
        rt.app.rules, rt.app.calendar, rt.app.clock = source.rules, source.calendar, source.clock
        rt.app.jurisdiction = source.jurisdiction
    stop = scratch.stop

    def stop_and_clean() -> None:
        stop()
        shutil.rmtree(scratch_dir, ignore_errors=True)

    scratch.stop = stop_and_clean  # type: ignore[method-assign]
    return scratch
