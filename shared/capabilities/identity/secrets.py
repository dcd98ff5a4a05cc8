"""The key that signs access tokens: refused in production when weak, generated once when embedded.

A production role (PostgreSQL persistence or Kafka transport) must be given ``SANJI_SECRET``:
at least 32 bytes and not the public demo default, or it refuses to start with one line naming
the setting. The embedded default generates a random key once per install and keeps it in the
data directory (mode 0600), so a demo is never signed with a key printed in a README (ADR 0012).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from pathlib import Path

from shared.infrastructure.settings import Settings

DEMO_SECRET = "sanji-demo-secret-change-me"  # the default of earlier versions: public
MIN_BYTES = 32
SECRET_FILE = "secret"


class InsecureSecret(ValueError):
    """A production role was given no, a public or a short signing secret."""


def is_production(settings: Settings) -> bool:
    return settings.persistence == "postgres" or settings.transport == "kafka"


def problem_with(secret: str) -> str | None:
    if not secret:
        return "SANJI_SECRET is not set"
    if secret == DEMO_SECRET:
        return "SANJI_SECRET is the public demo default"
    if len(secret.encode()) < MIN_BYTES:
        return f"SANJI_SECRET is shorter than {MIN_BYTES} bytes"
    return None


def resolve(settings: Settings) -> Settings:
    """``settings`` with the signing secret it must use; raises InsecureSecret in production
    when the secret is missing, the demo default or short."""
    if is_production(settings):
        problem = problem_with(settings.secret)
        if problem is not None:
            raise InsecureSecret(
                f"[sanji] refusing to start: {problem} (生产部署须设置至少 {MIN_BYTES} 字节的随机密钥); "
                "e.g. SANJI_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return settings
    if settings.secret:
        return settings
    return replace(settings, secret=generated_secret(settings.data_dir / SECRET_FILE))


def generated_secret(path: Path) -> str:
    """The install's own secret: read, or made once (readable by the owner only). Written to a
    temporary file and linked into place, so a concurrent reader never sees it half written."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process of this install made it first: use theirs
    finally:
        temporary.unlink()
    return path.read_text(encoding="utf-8").strip()
