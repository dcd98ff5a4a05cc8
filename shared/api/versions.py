"""Record versions over HTTP (ADR 0035): the ``ETag`` a GET of one record answers, and the
``If-Match`` a command sends back so that acting on a stale view is a 409, not a lost update.

The entity tag is the version of the aggregate behind the record in this tier's event store,
as a strong tag: ``"v7"``. ``If-Match`` takes one such tag (or ``*``: any version).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from fastapi import Response

from shared.kernel.domain import DomainError

if TYPE_CHECKING:
    from shared.tier.runtime import TierRuntime

_TAG = re.compile(r'"v([1-9][0-9]{0,8})"')

# The OpenAPI answer of a GET that sends the record's version.
ETAG_HEADER: dict[str, Any] = {
    "ETag": {
        "description": '记录版本 / the version of the record in this tier\'s store, e.g. "v7": '
        "send it back as If-Match with a command on the record (ADR 0035)",
        "schema": {"type": "string"},
    }
}
VERSIONED: dict[int | str, dict[str, Any]] = {200: {"headers": ETAG_HEADER}}

IF_MATCH_DESCRIPTION = (
    '乐观并发 / the ETag of the record as read (e.g. "v7"): the command is refused with 409 '
    "version_mismatch (recording nothing) if the record is at another version now; a replay "
    "of the same Idempotency-Key still answers its original result. Malformed: 400 "
    "invalid_if_match; on a command that creates a record: 400 if_match_not_applicable"
)


def etag(version: int) -> str:
    return f'"v{version}"'


def expected_version(header: str | None) -> int | None:
    """The version an ``If-Match`` header names; None without one or for ``*`` (any version:
    the command acts on an existing record anyway); 400 ``invalid_if_match`` otherwise."""
    if header is None or header.strip() == "*":
        return None
    found = _TAG.fullmatch(header.strip())
    if found is None:
        raise DomainError(
            "invalid_if_match",
            'If-Match 格式不正确，应为记录的 ETag，如 "v7" / If-Match must be one strong ETag'
            ' of the record as its GET answered it, e.g. "v7" (weak tags and lists are refused)',
        )
    return int(found.group(1))


def current_version(app: Any, aggregate_id: UUID | str) -> int | None:
    """The version of the aggregate stored under ``aggregate_id`` (its last event's), or None
    if this tier stores none: one indexed read of one row, nothing decoded."""
    try:
        originator = aggregate_id if isinstance(aggregate_id, UUID) else UUID(aggregate_id)
    except ValueError:
        return None
    last = app.recorder.select_events(originator, desc=True, limit=1)
    return int(last[0].originator_version) if last else None


def version_before_read(
    runtime: TierRuntime, aggregate_id: UUID | str, wait: float = 0.5
) -> str | None:
    """The ``ETag`` of a record about to be read from this tier's read model: the version its
    aggregate is stored at now, once the read model has applied this tier's store at least up
    to there (ADR 0001: it follows the store). Read before the row, so the body answered is
    never older than the version it is sent with: a command sent back with that If-Match
    cannot overwrite a change its sender was not shown. None if this tier stores no such
    aggregate, or if the read model is more than ``wait`` seconds behind (no ETag, rather
    than one that vouches for an older body)."""
    version = current_version(runtime.app, aggregate_id)
    if version is None:
        return None
    head = runtime.app.recorder.max_notification_id() or 0
    source, deadline = runtime.app.name, time.monotonic() + wait
    while runtime.projector.position(source) < head:
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)
    return etag(version)


def send_version(response: Response, tag: str | None) -> None:
    if tag is not None:
        response.headers["ETag"] = tag
