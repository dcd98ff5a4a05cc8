"""Writes each tier's OpenAPI document to docs/api/<tier>.openapi.json.

    python -m services.openapi           # write
    python -m services.openapi --check   # exit 1 unless the checked-in files are current

The apps are built exactly as served, on a throwaway in-memory platform; a unit test keeps the
checked-in files equal to what this generates.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from services.platform import BOOTSTRAPS, Platform
from shared.infrastructure.settings import Settings
from shared.kernel.jurisdiction import Tier

API_DIR = Path(__file__).resolve().parent.parent / "docs" / "api"


def documents() -> dict[Tier, dict[str, Any]]:
    """The OpenAPI document of every tier's API."""
    with tempfile.TemporaryDirectory(prefix="sanji-openapi-") as tmp:
        platform = Platform.build(Settings(persistence="memory", data_dir=Path(tmp)))
        try:
            return {
                tier: BOOTSTRAPS[tier].build_api(runtime).openapi()
                for tier, runtime in platform.tiers.items()
            }
        finally:
            platform.stop()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def path_for(tier: Tier, directory: Path = API_DIR) -> Path:
    return directory / f"{tier}.openapi.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.openapi")
    parser.add_argument("--check", action="store_true", help="exit 1 unless files are current")
    args = parser.parse_args(argv)
    stale = []
    for tier, document in documents().items():
        path, text = path_for(tier), render(document)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    for path in stale:
        print(f"{path} is not current: run python -m services.openapi", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
