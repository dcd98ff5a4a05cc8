"""What every tier's domain shares: event metadata, the aggregate base class, domain errors.

Every domain event carries a :class:`Meta`: who acted (operator id, tier, division), when the
act took legal effect (``effective_at``), the correlation/causation ids, and the client's
idempotency key. When it was *recorded* is the event's own ``timestamp``, set by eventsourcing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Transcoding

from shared.kernel.jurisdiction import Tier

# Legal dates are China dates (the read model's CST); China has no daylight saving.
CHINA = timezone(timedelta(hours=8))
# Clock skew allowed between an operator's device and the server before a date is "future".
FUTURE_TOLERANCE = timedelta(minutes=5)


class Field(StrEnum):
    """Field of work of a community social organisation (domain.md §4.1)."""

    SERVICES = "services"  # 为民服务
    SELF_GOVERNANCE = "self_governance"  # 自治
    CULTURE_SPORTS = "culture_sports"  # 文体
    SAFETY = "safety"  # 平安
    CHARITY = "charity"  # 公益慈善
    MEDIATION = "mediation"  # 矛盾调处
    RURAL_REVITALISATION = "rural_revitalisation"  # 乡村振兴
    MUTUAL_AID = "mutual_aid"  # 邻里互助
    OTHER = "other"


class Category(StrEnum):
    """What kind of group it is, where reports single a kind out (domain.md §4.10)."""

    GENERAL = "general"
    VILLAGE_SAGE_COUNCIL = "village_sage_council"  # 乡贤参事会/社


@dataclass(frozen=True)
class Actor:
    """The person (or the platform itself) who acted, and the tier and division their account
    is bound to (ADR 0012).

    ``id`` is the account id, ``name`` the person's name. ``role`` is the role the act was done
    in (the only field events stored before accounts existed carry besides id, tier and
    division); ``roles`` are all the account's roles when the act was done.
    """

    id: str
    tier: Tier
    division: str
    role: str = "operator"
    name: str = ""
    roles: tuple[str, ...] = ()

    def has(self, role: str) -> bool:
        """True if the account held ``role`` (an actor without ``roles`` holds only ``role``)."""
        return role == self.role or role in self.roles

    def to_dict(self) -> dict[str, Any]:
        # Fields added after events were first stored are written only when set, so an actor
        # without them stores exactly as before (ADR 0002).
        d: dict[str, Any] = {
            "id": self.id,
            "tier": str(self.tier),
            "division": self.division,
            "role": self.role,
        }
        if self.name:
            d["name"] = self.name
        if self.roles:
            d["roles"] = list(self.roles)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Actor:
        return cls(
            id=d["id"],
            tier=Tier(d["tier"]),
            division=d["division"],
            role=d.get("role", "operator"),
            name=d.get("name", ""),
            roles=tuple(d.get("roles", ())),
        )


SYSTEM_ROLE = "system"


@dataclass(frozen=True)
class Imported:
    """Where an imported act came from (issue 14, ADR 0020): the ledger file's SHA-256, and the
    sheet and row (as the county numbers them: the header is row 1) that recorded it."""

    file_sha256: str
    sheet: str
    row: int

    def to_dict(self) -> dict[str, Any]:
        return {"file_sha256": self.file_sha256, "sheet": self.sheet, "row": self.row}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Imported:
        return cls(file_sha256=d["file_sha256"], sheet=d["sheet"], row=int(d["row"]))


def system_actor(tier: Tier, county_code: str) -> Actor:
    """Who records what the platform does by itself (checkpoints, timers, automatic exits)."""
    return Actor(id=f"sanji-{tier}", tier=tier, division=county_code, role=SYSTEM_ROLE)


@dataclass(frozen=True)
class Meta:
    """Metadata recorded on every domain event."""

    actor: Actor
    effective_at: datetime
    correlation_id: str
    causation_id: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    # The versioned rule (shared/kernel/rules.py) that made an automated decision, if one did.
    rule_version: str | None = None
    # Why the act takes effect earlier than the backdating window allows (ADR 0012).
    backdate_reason: str | None = None
    # Who asked for an on-demand run of a timer whose decisions the system actor records.
    triggered_by: Actor | None = None
    # Recorded by the ledger import (ADR 0020): the file, sheet and row the act came from.
    imported: Imported | None = None
    # The version of the record the client acted on (HTTP If-Match, ADR 0035): checked where
    # the command loads that record, never stored (a precondition, not a fact of the act).
    expected_version: int | None = None

    def without_precondition(self) -> Meta:
        """This metadata for a look-up that is not the record acted on (whether a record to
        be created exists already): the client's version names no such record."""
        return replace(self, expected_version=None) if self.expected_version is not None else self

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "actor": self.actor.to_dict(),
            "effective_at": self.effective_at,
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "idempotency_key": self.idempotency_key,
            "request_hash": self.request_hash,
            "rule_version": self.rule_version,
        }
        # Added later: written only when set, so other events store exactly as before.
        if self.backdate_reason is not None:
            d["backdate_reason"] = self.backdate_reason
        if self.triggered_by is not None:
            d["triggered_by"] = self.triggered_by.to_dict()
        if self.imported is not None:
            d["imported"] = self.imported.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Meta:
        triggered, imported = d.get("triggered_by"), d.get("imported")
        return cls(
            **{
                **d,
                "actor": Actor.from_dict(d["actor"]),
                "triggered_by": Actor.from_dict(triggered) if triggered else None,
                "imported": Imported.from_dict(imported) if imported else None,
            }
        )


# ---------------------------------------------------------------- errors (mapped to HTTP codes)


class DomainError(Exception):
    """Base of errors a command can raise; ``code`` is machine-readable, stable API contract."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidInput(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """Illegal state transition, version clash or duplicate: the request fits, the state not."""

    status = 409


class OutOfJurisdiction(DomainError):
    status = 403


class VersionMismatch(Conflict):
    """The client acted on another version of the record than the one stored (ADR 0035)."""

    def __init__(self, current: int, expected: int) -> None:
        super().__init__(
            "version_mismatch",
            f"记录已被他人修改（版本不符），请刷新后重试 / the record is at version {current},"
            f" not {expected}: it changed since it was read; reload it and retry",
        )
        self.current = current
        self.expected = expected


class PreconditionNotApplicable(DomainError):
    """An If-Match on a command that acts on no existing record's version (it creates one)."""

    def __init__(self) -> None:
        super().__init__(
            "if_match_not_applicable",
            "此操作新建记录，不能带 If-Match / this command creates a record: If-Match applies"
            " only to commands on an existing record",
        )


# ---------------------------------------------------------------- aggregate base


class SanjiAggregate(Aggregate):
    """Aggregate base: every event carries Meta; applied idempotency keys are remembered.

    Keeping the keys in aggregate state makes a retried command safe atomically with the
    event itself: the retry finds its key already applied and returns the original result.
    """

    class Event(Aggregate.Event):
        meta: Meta

        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            if self.meta.idempotency_key:
                keys = aggregate.__dict__.setdefault("idempotency_keys", {})
                keys[self.meta.idempotency_key] = (self.originator_version, self.meta.request_hash)
            return aggregate

    class Created(Event, Aggregate.Created):
        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            # The legal day the record began: later acts on it cannot take effect before it.
            aggregate.__dict__["began_on"] = legal_date(self.meta.effective_at)
            return aggregate

    # Opt-in date order (issue 12): (code, act in Chinese, act in English) of the act that
    # began the record; every later event on it must take effect on or after that day, else
    # 409 ``code``. Not annotated: an annotation would make eventsourcing see a dataclass.
    if TYPE_CHECKING:
        began_on: date
        began_by: tuple[str, str, str] | None
    began_by = None

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        meta, began, act = kwargs.get("meta"), self.__dict__.get("began_on"), self.began_by
        if act is not None and isinstance(meta, Meta) and began is not None:
            day = legal_date(meta.effective_at)
            if day < began:
                code, zh, en = act
                raise Conflict(
                    code,
                    f"生效日期 {day} 早于{zh}日期 {began} / effective on {day}, before the "
                    f"{en} on {began}",
                )
        super().trigger_event(event_class, **kwargs)

    def replayed_version(self, meta: Meta) -> int | None:
        """The version at which this idempotency key was applied, or None if never.

        Every command on an existing record asks this before it acts, so it is also where the
        client's version (If-Match, ADR 0035) is checked: after the replay, so that a retry
        answers its original result whatever version it names; 409 ``version_mismatch`` if
        the record is at another version now."""
        keys: dict[str, tuple[int, str | None]] = self.__dict__.get("idempotency_keys", {})
        if meta.idempotency_key is None or meta.idempotency_key not in keys:
            self._check_version(meta)
            return None
        version, request_hash = keys[meta.idempotency_key]
        if request_hash != meta.request_hash:
            raise InvalidInput(
                "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request",
            )
        return version

    def _check_version(self, meta: Meta) -> None:
        if meta.expected_version is None:
            return
        if meta.expected_version != self.version:
            raise VersionMismatch(self.version, meta.expected_version)
        # Seen by TierApplication.save: a conditional command's events are stored only if the
        # condition was checked on a record it saves (else If-Match would be silently ignored).
        self.__dict__[VERSION_CHECKED] = True


# The mark a checked If-Match leaves on the aggregate instance until it is saved.
VERSION_CHECKED = "_sanji_version_checked"


def new_id(meta: Meta) -> UUID:
    """Id for a created aggregate: derived from the idempotency key so a retried create collides."""
    if meta.idempotency_key:
        return uuid5(NAMESPACE_URL, f"sanji:{meta.actor.id}:{meta.idempotency_key}")
    return uuid4()


# ---------------------------------------------------------------- guards shared by every tier


def legal_date(moment: datetime) -> date:
    """The legal (China) date of a moment: what the read model records as its effective date."""
    return moment.astimezone(CHINA).date()


def check_not_future(name: str, value: date | datetime, now: datetime) -> None:
    # A plain date is a legal date in China time (UTC+8): it has begun at 00:00 there.
    moment = value if isinstance(value, datetime) else datetime.combine(value, time.min, CHINA)
    if moment > now + FUTURE_TOLERANCE:
        raise InvalidInput("date_in_future", f"{name} {value.isoformat()} is in the future")


def check_aware(name: str, value: datetime) -> None:
    # Naive datetimes stay naive through the transcoder (platform notes): reject at the edge.
    if value.tzinfo is None:
        raise InvalidInput("naive_datetime", f"{name} must carry a time zone offset")


# ---------------------------------------------------------------- transcodings


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class MetaAsDict(Transcoding):
    type = Meta
    name = "sanji_meta"

    def encode(self, obj: Meta) -> dict[str, Any]:
        d = obj.to_dict()
        d["effective_at"] = obj.effective_at.isoformat()
        return d

    def decode(self, data: dict[str, Any]) -> Meta:
        meta = Meta.from_dict(data)
        return Meta(
            **{**meta.__dict__, "effective_at": datetime.fromisoformat(data["effective_at"])}
        )


def register_transcodings(transcoder: JSONTranscoder) -> None:
    """Transcodings every tier needs on top of eventsourcing's defaults.

    String enums need none: they are str subclasses, stored as their value and read back as str.
    """
    transcoder.register(DateAsISO())
    transcoder.register(MetaAsDict())


@dataclass(frozen=True)
class CommandResult:
    """What a command returns: the aggregate touched, its version, and whether it was a retry."""

    id: UUID
    version: int
    organisation_id: UUID | None = None
    replayed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
