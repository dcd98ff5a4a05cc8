#!/usr/bin/env bash
# Creates .venv and installs Sanji with its dev tools, once per change of pyproject.toml.
# Sourced by scripts/run and scripts/test so that both work on a fresh machine.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
stamp="$venv/.sanji-installed"
want=$(sha256sum "$root/pyproject.toml" | cut -c1-16)
if [ ! -x "$venv/bin/python" ]; then
  echo "[sanji] creating virtual environment in .venv"
  python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[sanji] installing dependencies (first run takes a minute)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[dev]"
  echo "$want" > "$stamp"
fi
