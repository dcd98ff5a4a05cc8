"""Backdating policy (issue 11 item 6, ADR 0013): how far an operator may date an act back.

A command may take effect earlier than the day it is recorded (``effective_on``): paper records
reach the platform late. Within a window (``SANJI_BACKDATE_DAYS``, default 30 days before today,
China time) that is ordinary clerical work. Earlier than that it rewrites history others have
already reported on, so it needs a written reason and an account trusted with it: the ``admin``
role or the dedicated ``backdate`` role. Both are recorded on the event (``Meta.actor.roles``,
``Meta.backdate_reason``).

Backdating never shortens a deadline the act starts: :func:`period_start` is where such a period
runs from (the recorded date when that is later than the effective date).

Pure functions, no I/O: the command path (``shared/api/deps.py``) calls :func:`check`.
"""

from __future__ import annotations

from datetime import date, timedelta

from shared.kernel.domain import Actor, DomainError, InvalidInput

DEFAULT_WINDOW_DAYS = 30
# Any of these may date an act back beyond the window; ``import`` records ledgers (ADR 0020).
ROLES = ("admin", "backdate", "import")


class BackdateForbidden(DomainError):
    """403: the account may not date an act back beyond the window."""

    status = 403


def parse_window(raw: str) -> int:
    """``SANJI_BACKDATE_DAYS`` as whole days >= 0 (0: any date before today needs a reason)."""
    try:
        days = int(raw)
    except ValueError:
        days = -1
    if days < 0:
        raise ValueError(f"SANJI_BACKDATE_DAYS must be a whole number of days >= 0, got {raw!r}")
    return days


def earliest_without_reason(today: date, window_days: int) -> date:
    """The earliest effective date an ordinary operator may give on ``today``."""
    return today - timedelta(days=window_days)


def check(
    effective_on: date | None,
    reason: str | None,
    actor: Actor,
    today: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> str | None:
    """The backdating reason to record with a command, or a refusal.

    - ``effective_on`` within the window (or none): allowed; a reason given anyway is kept.
    - earlier: 403 ``backdate_forbidden`` unless ``actor`` holds ``admin`` or ``backdate``
      (checked first: a reason would not help an account that may not do it at all), then
      422 ``backdate_reason_required`` unless a reason is given.
    """
    reason = (reason or "").strip() or None
    if effective_on is None or effective_on >= earliest_without_reason(today, window_days):
        return reason
    limit = f"{window_days} 天"
    if not any(actor.has(role) for role in ROLES):
        raise BackdateForbidden(
            "backdate_forbidden",
            f"生效日期早于 {limit}，需要管理员或补录权限"
            f" / effective_on {effective_on.isoformat()} is more than {window_days} days back:"
            f" only an account with the role {' or '.join(ROLES)} may record it",
        )
    if reason is None:
        raise InvalidInput(
            "backdate_reason_required",
            f"生效日期早于 {limit}，需要填写补录原因"
            f" / effective_on {effective_on.isoformat()}"
            f" is more than {window_days} days back: give backdate_reason",
        )
    return reason


def period_start(effective_on: date, recorded_on: date) -> date:
    """Where a period an act starts (a notice period, a deadline) runs from: its effective
    date, or the day it was recorded when that is later, so backdating never shortens it."""
    return max(effective_on, recorded_on)
