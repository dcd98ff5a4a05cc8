"""Request models of the village API (村/社区), in shared/ so the console's forms validate with
the very models the API does (services/village/api.py serves them; shared/ imports no service)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field

from shared.api.commands import CommandIn, OrgField
from shared.api.deps import RequestIn
from shared.api.text import Name
from shared.kernel.domain import Category


class FilingApplication(CommandIn):
    village_code: str = Field(pattern=r"^\d{12}$", description="村/社区区划代码 / 12-digit code")
    name: Name = Field(description="组织名称 / group name")
    field: OrgField = Field(description="服务领域 / field of work")
    founded_on: date = Field(description="成立日期 / founding date")
    category: Category = Field(Category.GENERAL, description="类别 / e.g. 乡贤参事会")


# Far above any one activity; keeps sums inside the read model's integer columns.
MAX_COUNT = 10_000_000


class ActivityReport(RequestIn):
    occurred_on: date = Field(description="活动日期 / date of the activity (its effective date)")
    field: OrgField = Field(description="活动领域 / field")
    participants: int = Field(ge=0, le=MAX_COUNT, description="参与人数 / participants")
    volunteers: int = Field(ge=0, le=MAX_COUNT, description="志愿者人数 / volunteers")
    volunteer_services: int = Field(
        ge=0, le=MAX_COUNT, description="志愿服务人次 / volunteer services"
    )
    volunteer_hours: Decimal = Field(
        ge=0, max_digits=10, decimal_places=2, description="志愿服务时长 / hours"
    )
    beneficiaries: int = Field(ge=0, le=MAX_COUNT, description="受益人次 / beneficiaries")
    money_spent: Decimal = Field(
        ge=0, max_digits=14, decimal_places=2, description="支出金额（元）/ money spent (yuan)"
    )
