"""County operator API (县/区 民政局): registration, charter, party organisation, annual
reports, ratings, funding, deregistration and revocation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends
from pydantic import Field

from services.county.application import CountyApplication
from services.county.funding.api import Beneficiaries, Purchaser, PurchaserOther
from shared.api.commands import CREATED, Charter, CommandIn, CommandOut, OrgField, Reason
from shared.api.deps import CommandMeta, RequestIn, Runtime
from shared.api.text import LongText, Name, ShortText
from shared.capabilities.divisions.history import Change, NewDivision
from shared.kernel.domain import Category
from shared.kernel.integration.events import (
    CreditList,
    DivisionChangeKind,
    FundingProgramme,
    PartyOrganisationKind,
)
from shared.kernel.jurisdiction import Area


async def _app(runtime: Runtime) -> CountyApplication:
    assert isinstance(runtime.app, CountyApplication)
    return runtime.app


App = Annotated[CountyApplication, Depends(_app)]
router = APIRouter(prefix="/api/v1", tags=["county 县（区）"])


class RegistrationIn(CommandIn):
    usci: str = Field(description="统一社会信用代码 / unified social credit code (GB 32100)")
    name: Name = Field(description="名称 / name")
    field: OrgField = Field(description="服务领域 / field of work")
    village_code: str | None = Field(
        None, pattern=r"^\d{12}$", description="所在村/社区（新登记必填）/ home village (new)"
    )
    organisation_id: UUID | None = Field(
        None, description="备案组织升级登记 / filed group to upgrade"
    )
    category: Category = Field(Category.GENERAL, description="类别 / e.g. 乡贤参事会")


class PartyOrganisationIn(CommandIn):
    kind: PartyOrganisationKind = Field(description="单独建立 own / 联合党支部 joint")


class AnnualReportIn(CommandIn):
    year: int = Field(ge=2000, description="年报年度 / report year")


class RatingIn(CommandIn):
    credit: ShortText | None = Field(None, max_length=10, description="信用评价 / credit rating")
    grade: int | None = Field(None, ge=1, le=5, description="评估等级 1A–5A / grade")
    grade_valid_until: date | None = Field(None, description="等级有效期 / default +5 years")
    stars: int | None = Field(None, ge=1, le=5, description="星级 / local star rating")


class CreditListIn(CommandIn):
    credit_list: CreditList = Field(description="abnormal 活动异常名录 / serious 严重违法失信名单")
    reason: LongText = Field(description="列入事由 / reason")


class DisbursementIn(CommandIn):
    tranche: ShortText = Field(description="拨付批次 / tranche, e.g. 首期")
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2, description="金额（元）/ yuan")


class FundingIn(CommandIn):
    programme: FundingProgramme = Field(description="资助项目类别 / programme")
    round: ShortText = Field(description="批次 / round, e.g. 2026")
    project: Name = Field(description="项目名称 / project")
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2, description="金额（元）/ yuan")
    host_organisation_id: UUID | None = Field(None, description="托管组织（备案组织必填）/ host")
    purchaser: Purchaser | None = None
    purchaser_other: PurchaserOther | None = None
    beneficiaries_planned: Beneficiaries | None = Field(
        None, description="计划受益人数 / beneficiaries the project plans to reach"
    )


@router.post("/registrations", status_code=CREATED)
def register(body: RegistrationIn, meta: CommandMeta, app: App) -> CommandOut:
    """登记 / Register an organisation, new or upgraded from a filed group."""
    return CommandOut.of(
        app.register(
            body.usci.strip().upper(),
            body.name,
            str(body.field),
            body.village_code,
            body.organisation_id,
            meta,
            category=str(body.category),
        )
    )


@router.post("/organisations/{organisation_id}/charter")
def approve_charter(
    organisation_id: UUID, body: Charter, meta: CommandMeta, app: App
) -> CommandOut:
    """章程核准 / Approve the charter of a registered organisation."""
    return CommandOut.of(
        app.approve_charter(organisation_id, body.party_clause, body.integrity_clause, meta)
    )


@router.post("/organisations/{organisation_id}/party-organisation")
def set_up_party_organisation(
    organisation_id: UUID, body: PartyOrganisationIn, meta: CommandMeta, app: App
) -> CommandOut:
    """党组织建立 / A party organisation is set up or joined."""
    return CommandOut.of(app.set_up_party_organisation(organisation_id, str(body.kind), meta))


@router.post("/organisations/{organisation_id}/annual-reports", status_code=CREATED)
def file_annual_report(
    organisation_id: UUID, body: AnnualReportIn, meta: CommandMeta, app: App
) -> CommandOut:
    """年报 / File the annual report for a year."""
    return CommandOut.of(app.file_annual_report(organisation_id, body.year, meta))


@router.post("/organisations/{organisation_id}/ratings")
def rate(organisation_id: UUID, body: RatingIn, meta: CommandMeta, app: App) -> CommandOut:
    """评价 / Record credit rating, evaluation grade and/or star rating."""
    return CommandOut.of(
        app.rate(organisation_id, body.credit, body.grade, body.grade_valid_until, body.stars, meta)
    )


@router.post("/organisations/{organisation_id}/funding-awards", status_code=CREATED)
def award_funding(
    organisation_id: UUID, body: FundingIn, meta: CommandMeta, app: App
) -> CommandOut:
    """资助 / Award a project in a funding programme."""
    return CommandOut.of(
        app.award_funding(
            organisation_id,
            str(body.programme),
            body.round,
            body.project,
            body.amount,
            body.host_organisation_id,
            meta,
            purchaser=body.purchaser,
            beneficiaries_planned=body.beneficiaries_planned,
            purchaser_other=body.purchaser_other,
        )
    )


@router.post("/organisations/{organisation_id}/deregistration")
def deregister(organisation_id: UUID, body: Reason, meta: CommandMeta, app: App) -> CommandOut:
    """注销登记 / Voluntary deregistration."""
    return CommandOut.of(app.deregister(organisation_id, body.reason, meta))


@router.post("/organisations/{organisation_id}/revocation")
def revoke(organisation_id: UUID, body: Reason, meta: CommandMeta, app: App) -> CommandOut:
    """撤销登记 / Revocation."""
    return CommandOut.of(app.revoke(organisation_id, body.reason, meta))


@router.post("/organisations/{organisation_id}/credit-lists", status_code=CREATED)
def enter_credit_list(
    organisation_id: UUID, body: CreditListIn, meta: CommandMeta, app: App
) -> CommandOut:
    """列入名录 / Put on the abnormal-activity or serious-violation list."""
    return CommandOut.of(
        app.enter_credit_list(organisation_id, str(body.credit_list), body.reason, meta)
    )


@router.post("/organisations/{organisation_id}/credit-lists/{credit_list}/removal")
def leave_credit_list(
    organisation_id: UUID, credit_list: CreditList, body: Reason, meta: CommandMeta, app: App
) -> CommandOut:
    """移出名录 / Remove from a credit list."""
    return CommandOut.of(
        app.leave_credit_list(organisation_id, str(credit_list), body.reason, meta)
    )


@router.post("/funding-awards/{award_id}/disbursements", status_code=CREATED)
def disburse(award_id: UUID, body: DisbursementIn, meta: CommandMeta, app: App) -> CommandOut:
    """拨付 / Pay a tranche of an award; never more than awarded in total."""
    return CommandOut.of(app.disburse(award_id, body.tranche, body.amount, meta))


# ------------------------------------------------------------------ division changes (ADR 0005)

DivisionCode = Annotated[str, Field(pattern=r"^\d{12}$", description="区划代码 / division code")]
Population = Annotated[int, Field(ge=0, description="人口 / population")]
DivisionName = Annotated[Name, Field(description="名称 / name")]


class RenameIn(CommandIn):
    kind: Literal["rename"]
    code: DivisionCode
    name: DivisionName


class ReclassifyIn(CommandIn):
    kind: Literal["reclassify"]
    code: DivisionCode
    area: Area = Field(description="urban 城市社区 / rural 农村")


class RepopulateIn(CommandIn):
    kind: Literal["repopulate"]
    code: DivisionCode
    registered_population: Population
    resident_population: Population


class NewDivisionIn(RequestIn):
    code: DivisionCode
    name: DivisionName
    area: Area | None = Field(None, description="村/社区必填 / villages only")
    registered_population: Population | None = None
    resident_population: Population | None = None

    def division(self) -> NewDivision:
        area = str(self.area) if self.area else None
        return NewDivision(
            self.code, self.name, area, self.registered_population, self.resident_population
        )


class CreateIn(CommandIn, NewDivisionIn):
    kind: Literal["create"]
    parent: DivisionCode | None = Field(None, description="上级（由代码决定）/ implied by code")


class MergeIn(CommandIn):
    kind: Literal["merge"]
    codes: list[DivisionCode] = Field(min_length=1, description="撤销的区划 / retired")
    into: DivisionCode = Field(description="并入的区划（承继其记录）/ successor, in force")


class SplitIn(CommandIn):
    kind: Literal["split"]
    code: DivisionCode
    into: list[NewDivisionIn] = Field(min_length=1, description="新设区划 / new divisions")
    retire: bool = Field(False, description="原区划撤销 / the old code is retired")
    successor: DivisionCode | None = Field(
        None, description="撤销时承继原记录的新区划 / takes the records if retired"
    )


DivisionChangeIn = Annotated[
    RenameIn | ReclassifyIn | RepopulateIn | CreateIn | MergeIn | SplitIn,
    Field(discriminator="kind"),
]


def _change(body: RenameIn | ReclassifyIn | RepopulateIn | CreateIn | MergeIn | SplitIn) -> Change:
    kind = DivisionChangeKind(body.kind)
    day = date.min  # the application sets the effective date from the command's metadata
    if isinstance(body, MergeIn):
        return Change(kind, body.into, day, merged=tuple(body.codes))
    if isinstance(body, SplitIn):
        created = tuple(n.division() for n in body.into)
        return Change(
            kind, body.code, day, created=created, successor=body.successor, retired=body.retire
        )
    if isinstance(body, CreateIn):
        new = body.division()
        return Change(
            kind,
            new.code,
            day,
            name=new.name,
            parent=body.parent,
            area=new.area,
            registered_population=new.registered_population,
            resident_population=new.resident_population,
        )
    if isinstance(body, RepopulateIn):
        return Change(
            kind,
            body.code,
            day,
            registered_population=body.registered_population,
            resident_population=body.resident_population,
        )
    if isinstance(body, ReclassifyIn):
        return Change(kind, body.code, day, area=str(body.area))
    return Change(kind, body.code, day, name=body.name)


@router.post("/divisions/changes", status_code=CREATED)
def change_division(
    body: Annotated[DivisionChangeIn, Body()], meta: CommandMeta, app: App
) -> CommandOut:
    """区划调整 / Record a change of the division tree — rename, reclassify (urban ↔ rural),
    create, merge, split or repopulate — in force from ``effective_on``; earlier reports on the
    tree as it was stay unchanged."""
    return CommandOut.of(app.change_division(_change(body), meta))
