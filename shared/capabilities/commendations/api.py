"""Commendation rounds (评先评优, 表彰, ADR 0024): the county and the townships open a yearly
round with candidates from the ranking, decide and publish; every tier reads rounds and an
organisation's commendations (the public disclosure page shows the latter)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from shared.api.commands import CREATED, CommandIn, CommandOut
from shared.api.deps import CommandMeta, Operator, Runtime, check_reads
from shared.api.text import OptionalLongText
from shared.api.versions import VERSIONED, send_version, version_before_read
from shared.capabilities.commendations import application as rounds
from shared.capabilities.commendations import projection as rm
from shared.kernel.domain import NotFound
from shared.kernel.jurisdiction import contains, prefix_of

router = APIRouter(prefix="/api/v1", tags=["commendations 评先评优"])
RoundId = Annotated[UUID, Path(description="评先评优 / the round")]


class RoundIn(CommandIn):
    year: int = Field(ge=2000, le=2100, description="年度 / the year commended (not a future one)")
    division_code: str | None = Field(
        None,
        pattern=r"^\d{12}$",
        description="区划 / the county or township holding it; default: the operator's",
    )


class DecisionIn(CommandIn):
    organisation_ids: list[UUID] = Field(
        min_length=1, max_length=500, description="表彰的组织 / organisations commended"
    )
    note: OptionalLongText = Field("", description="说明 / note")


class PublicationIn(CommandIn):
    pass


class CandidateOut(BaseModel):
    organisation_id: str
    village_code: str
    name: str | None = None
    rank_in_county: int
    rank_in_township: int | None = None
    total: float
    explanation: dict[str, Any]
    eligible: bool
    reasons: list[str]


class RoundOut(BaseModel):
    round_id: str
    source: str
    division_code: str
    year: int
    opened_on: str
    ranked_on: str
    rule_version: str | None
    candidates: list[CandidateOut]
    passed_over: list[CandidateOut]
    decided_on: str | None
    decision: list[dict[str, str]] | None
    note: str | None
    published_on: str | None


class RoundRow(BaseModel):
    round_id: str
    source: str
    division_code: str
    year: int
    opened_on: str
    ranked_on: str
    rule_version: str | None
    decided_on: str | None
    published_on: str | None
    commended: int


class RoundsOut(BaseModel):
    division_code: str
    rounds: list[RoundRow]


class CommendationOut(BaseModel):
    round_id: str
    division_code: str = Field(description="表彰单位 / the county or township that commended")
    year: int
    published_on: str
    source: str


class CommendationsOut(BaseModel):
    organisation_id: str
    commendations: list[CommendationOut]


@router.post("/commendation-rounds", status_code=CREATED)
def open_round(body: RoundIn, meta: CommandMeta, runtime: Runtime) -> CommandOut:
    """启动评先评优 / Open the year's round: candidates proposed from the ranking with its
    explanation and their eligibility under the commendation rule (active, on no credit list,
    took part in governance work in the year); 409 ``round_exists``, 422 ``invalid_year``."""
    return CommandOut.of(rounds.open_round(runtime.app, body.division_code, body.year, meta))


@router.post("/commendation-rounds/{round_id}/decision")
def decide(round_id: RoundId, body: DecisionIn, meta: CommandMeta, runtime: Runtime) -> CommandOut:
    """评先评优决定 / The organisations commended: eligible candidates only (409
    ``commendation_ineligible``), once (409 ``round_decided``)."""
    return CommandOut.of(
        rounds.decide(runtime.app, round_id, body.organisation_ids, body.note, meta)
    )


@router.post("/commendation-rounds/{round_id}/publication")
def publish(
    round_id: RoundId, body: PublicationIn, meta: CommandMeta, runtime: Runtime
) -> CommandOut:
    """公布表彰 / Publish the decision (409 ``round_not_decided``, ``round_published``); the
    commendations count in the figures from the publication day."""
    return CommandOut.of(rounds.publish(runtime.app, round_id, meta))


@router.get("/commendation-rounds", response_model=RoundsOut)
def list_rounds(
    runtime: Runtime,
    operator: Operator,
    division: Annotated[str | None, Query(description="区划代码 / division code")] = None,
    year: Annotated[int | None, Query(description="年度 / year")] = None,
) -> dict[str, Any]:
    """评先评优列表 / Rounds held within a division, with how many were commended."""
    code = division or operator.division
    check_reads(operator, code, runtime)
    with runtime.db.snapshot() as tx:
        rows = rm.rounds(tx, prefix_of(code) + "%", year)
    return {"division_code": code, "rounds": rows}


@router.get("/commendation-rounds/{round_id}", response_model=RoundOut, responses=VERSIONED)
def get_round(
    round_id: RoundId, runtime: Runtime, operator: Operator, response: Response
) -> dict[str, Any]:
    """评先评优 / One round: candidates with ranks, scores, explanation and eligibility, those
    passed over with why, the decision and its publication; ``ETag``: the round's version,
    for ``If-Match`` (ADR 0035)."""
    tag = version_before_read(runtime, round_id)
    with runtime.db.snapshot() as tx:
        row = rm.round_of(tx, str(round_id))
    if row is None or not contains(operator.division, row["division_code"]):
        raise NotFound("unknown_round", f"no round {round_id} here")
    send_version(response, tag)
    return row


@router.get("/organisations/{organisation_id}/commendations", response_model=CommendationsOut)
def organisation_commendations(
    organisation_id: UUID, runtime: Runtime, operator: Operator
) -> dict[str, Any]:
    """组织获得的表彰 / The published commendations of one organisation (round, who commended,
    year, day)."""
    # The public disclosure page reads the same function (public facts only: no candidates or
    # scores): shared.capabilities.commendations.projection.of_organisation.
    with runtime.db.snapshot() as tx:
        found = rm.of_organisation(tx, str(organisation_id))
    return {"organisation_id": str(organisation_id), "commendations": found}
