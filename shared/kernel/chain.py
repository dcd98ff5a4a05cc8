"""The hash chain over a tier's event log: what a link is, and how a log is checked against it.

Every stored event gets a link, written in the same transaction as the event itself
(shared/infrastructure/eventstore.py), so a row that reached the table any other way has none:

    digest(n) = H(originator_id | originator_version | topic | state)     the event alone
    link(n)   = H(link(n-1) | n | digest(n))                              the event in its place

Keeping the digest apart from the link is what lets ``verify`` tell an edited event (its digest
matches nothing recorded) from a reordered one (it matches the digest recorded at another
position). A rewrite of the chain table itself to fit edited events is caught by the heads held
elsewhere: every envelope carries its link upward, each tier's read model keeps the last link of
every source, and the daily checkpoint events record all heads in the logs (ADR 0006).

Links are written ``algorithm:hex`` so the algorithm can change without breaking old links;
SHA-256 by default, SM3 (GB/T 32905) as the option Chinese government systems may require.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

ALGORITHMS = ("sha256", "sm3")
GENESIS = ""  # the link before the first event


class ChainError(ValueError):
    pass


def _hasher(algorithm: str) -> Any:
    if algorithm not in ALGORITHMS:
        raise ChainError(f"unknown hash algorithm {algorithm!r}; choose one of {ALGORITHMS}")
    try:
        return hashlib.new(algorithm)
    except ValueError:
        # OpenSSL builds without SM3: fall back to the pure-Python implementation if present.
        try:
            from gmssl import sm3  # type: ignore[import-not-found]
        except ImportError:
            raise ChainError(
                "SM3 is not available in this Python's OpenSSL; install gmssl or use sha256"
            ) from None
        return _GmsslSM3(sm3)


class _GmsslSM3:
    def __init__(self, module: Any) -> None:
        self._module = module
        self._data = bytearray()

    def update(self, data: bytes) -> None:
        self._data += data

    def hexdigest(self) -> str:
        return str(self._module.sm3_hash(list(self._data)))


def _hash(algorithm: str, *parts: bytes) -> str:
    h = _hasher(algorithm)
    for part in parts:
        h.update(part)
    return f"{algorithm}:{h.hexdigest()}"


def algorithm_of(value: str) -> str:
    return value.partition(":")[0]


def digest(
    algorithm: str, originator_id: UUID | str, originator_version: int, topic: str, state: bytes
) -> str:
    """The hash of one stored event by itself."""
    head = f"{UUID(str(originator_id))}|{originator_version}|{topic}|".encode()
    return _hash(algorithm, head, bytes(state))


def link(algorithm: str, previous: str, position: int, event_digest: str) -> str:
    """The link of the event at ``position``, given the link before it."""
    return _hash(algorithm, previous.encode(), f"|{position}|".encode(), event_digest.encode())


@dataclass(frozen=True)
class Link:
    """One row of a tier's chain table."""

    position: int
    originator_id: UUID
    originator_version: int
    topic: str
    digest: str
    link: str
    # Ed25519 signature of ``link`` by the install's key (shared/kernel/signing.py); None in a
    # store written before links were signed, or by a recorder without a key.
    signature: str | None = None


@dataclass(frozen=True)
class StoredRow:
    """One row of a tier's events table, as read back for checking."""

    position: int
    originator_id: UUID | str
    originator_version: int
    topic: str
    state: bytes


def chain_rows(
    algorithm: str,
    previous: str,
    rows: Iterable[StoredRow],
    sign: Callable[[str], str] | None = None,
) -> Iterator[Link]:
    """Links for consecutive stored rows following ``previous`` (recorders and backfill),
    each signed with ``sign`` when given."""
    for r in rows:
        d = digest(algorithm, r.originator_id, r.originator_version, r.topic, r.state)
        previous = link(algorithm, previous, r.position, d)
        yield Link(
            r.position,
            UUID(str(r.originator_id)),
            r.originator_version,
            r.topic,
            d,
            previous,
            sign(previous) if sign is not None else None,
        )


# ------------------------------------------------------------------ checking a log


@dataclass(frozen=True)
class Finding:
    """Something wrong in one tier's log, named so an auditor can find the event."""

    source: str
    # edited | deleted | inserted | reordered | chain_altered | forged | truncated | head_mismatch
    # | envelope_altered (ADR 0032)
    kind: str
    position: int
    event: str  # "<topic> of <aggregate id> v<version>"
    detail: str

    def __str__(self) -> str:
        return f"{self.source}@{self.position} {self.kind}: {self.event} ({self.detail})"


def describe_event(topic: str, originator_id: UUID | str, version: int) -> str:
    name = topic.rpartition(":")[2] or topic
    return f"{name} of {originator_id} v{version}"


@dataclass
class Verification:
    """The outcome for one source: findings, and the links recomputed from the events."""

    source: str
    events: int
    links: int
    findings: list[Finding]
    recomputed: dict[int, str]  # position → link recomputed from the stored events

    @property
    def head(self) -> tuple[int, str]:
        if not self.recomputed:
            return 0, GENESIS
        position = max(self.recomputed)
        return position, self.recomputed[position]


def verify_log(
    source: str,
    rows: Iterable[StoredRow],
    links: Iterable[Link],
    signed: Callable[[str, str | None], bool] | None = None,
) -> Verification:
    """Compare a log with its chain table; every difference becomes a Finding naming the event.

    Each recorded link is checked against the recorded link before it (so one edit does not
    cascade into a finding per later event), and each event's digest against the one recorded
    for its position. The links are also recomputed from the events alone, for the comparison
    with heads held elsewhere (checkpoints, other tiers' read models).

    With ``signed(link, signature)`` (the install's public key), every link must carry a valid
    signature. A forger with the database credentials but without the key can rewrite events
    together with their links, or append an event with a correctly computed link, but cannot
    sign: the first link without a valid signature is the first event altered that way. A run
    of such links is one finding (at its first position), not one per event.
    """
    events = {r.position: r for r in rows}
    recorded = {lk.position: lk for lk in links}
    findings: list[Finding] = []
    digests_at = {lk.digest: lk.position for lk in recorded.values()}
    previous = GENESIS
    recomputed: dict[int, str] = {}
    running = GENESIS
    unsigned_run: list[int] = []  # [index of its finding in ``findings``, length]
    for position in sorted(set(events) | set(recorded)):
        row, lk = events.get(position), recorded.get(position)
        if lk is not None and signed is not None:
            if signed(lk.link, lk.signature):
                unsigned_run = []
            elif unsigned_run:
                unsigned_run[1] += 1
            else:
                unsigned_run = [len(findings), 1]
                findings.append(
                    Finding(
                        source,
                        "forged",
                        position,
                        describe_event(lk.topic, lk.originator_id, lk.originator_version),
                        "",  # filled in below, once the run's length is known
                    )
                )
            if unsigned_run:
                index, length = unsigned_run
                findings[index] = replace(
                    findings[index],
                    detail=(
                        "its chain link is not signed with the install's key: this event was "
                        "written or rewritten together with its link by someone without the key "
                        "(a forged append, or a rewrite of the log and its chain; or a link from "
                        "before signing, if `checkpoint --sign-legacy-links` was never run)"
                        + (f"; so are the {length - 1} links after it" if length > 1 else "")
                    ),
                )
        if lk is not None:
            algorithm = algorithm_of(lk.link)
            if link(algorithm, previous, position, lk.digest) != lk.link:
                findings.append(
                    Finding(
                        source,
                        "chain_altered",
                        position,
                        describe_event(lk.topic, lk.originator_id, lk.originator_version),
                        "the chain table's own link does not follow from the one before it",
                    )
                )
            previous = lk.link
        if row is None:
            assert lk is not None
            findings.append(
                Finding(
                    source,
                    "deleted",
                    position,
                    describe_event(lk.topic, lk.originator_id, lk.originator_version),
                    "the chain records this event but the log no longer holds it",
                )
            )
            continue
        name = describe_event(row.topic, row.originator_id, row.originator_version)
        algorithm = algorithm_of(lk.link) if lk is not None else algorithm_of(previous or "sha256:")
        d = digest(algorithm, row.originator_id, row.originator_version, row.topic, row.state)
        running = link(algorithm, running, position, d)
        recomputed[position] = running
        if lk is None:
            findings.append(
                Finding(
                    source,
                    "inserted",
                    position,
                    name,
                    "the log holds an event that was never chained (written around the application)",
                )
            )
        elif d != lk.digest:
            moved_from = digests_at.get(d)
            if moved_from is not None and moved_from != position:
                findings.append(
                    Finding(
                        source,
                        "reordered",
                        position,
                        name,
                        f"this event was recorded at position {moved_from}",
                    )
                )
            else:
                recorded_as = describe_event(lk.topic, lk.originator_id, lk.originator_version)
                findings.append(
                    Finding(
                        source,
                        "edited",
                        position,
                        name,
                        f"content differs from what was recorded ({recorded_as})",
                    )
                )
    return Verification(source, len(events), len(recorded), findings, recomputed)


def check_heads(verification: Verification, heads: Iterable[tuple[str, int, str]]) -> list[Finding]:
    """Compare heads held elsewhere (``(holder, position, link)``) with the links recomputed
    from the log: a mismatch means the log up to that position was changed after the holder
    saw it, even if the chain table was rewritten to match."""
    findings = []
    last = verification.head[0]
    for holder, position, held in heads:
        if position == 0:
            continue
        actual = verification.recomputed.get(position)
        if actual is None and position > last:
            # The tail is gone (rows and links alike, so the rest still hangs together and
            # is signed): only a head kept elsewhere knows the log was longer.
            findings.append(
                Finding(
                    verification.source,
                    "truncated",
                    last + 1,
                    f"the events after position {last}, up to {position}",
                    f"{holder} holds the head at position {position}; the log now ends at {last}",
                )
            )
        elif actual != held:
            findings.append(
                Finding(
                    verification.source,
                    "head_mismatch",
                    position,
                    f"head held by {holder}",
                    "the log up to this position no longer hashes to the head recorded then"
                    if actual
                    else "the log no longer holds the event this head was recorded at",
                )
            )
    return findings
