"""What the public may see, and nothing else (ADR 0023).

Every public page is rendered from these models only. Each model forbids extra fields and is
built field by field from named read-model columns (``queries.py``): a column an operator
feature adds to the read model never reaches a public page unless someone adds it here, on
purpose, with a review of why the national platform would disclose it.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class _Public(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PublicDivision(_Public):
    code: str
    name: str
    tier: str  # county, township, village


class PublicOrganisation(_Public):
    """One line of a search result or a division's list."""

    id: str
    name: str
    usci: str | None  # 统一社会信用代码 (registered organisations)
    filing_number: str | None  # 备案编号 (filed groups)
    status: str  # see STATUS_ZH in queries.py
    status_zh: str
    village: PublicDivision | None  # where it counts, in the tree in force today
    grade: int | None  # a grade (等级) in force today, else None
    on_credit_list: bool  # an entry in force today on a credit list


class PublicCharter(_Public):
    """The charter facts the county or township recorded when it approved the charter."""

    approved_on: date
    party_clause: bool  # 章程载明党建工作内容
    integrity_clause: bool  # 章程载明诚信自律内容


class PublicCreditEntry(_Public):
    """An entry in force on a credit list, with the reason stated when it was entered."""

    credit_list: str
    credit_list_zh: str
    entered_on: date
    reason: str


class PublicGrade(_Public):
    grade: int  # 1–5: 1A–5A
    valid_until: date | None


class PublicAnnualReport(_Public):
    year: int
    filed: bool
    filed_on: date | None


class PublicCommendation(_Public):
    """A commendation (表彰) a county or township published (ADR 0024): year, title, who."""

    year: int
    title: str
    awarded_by: str  # the commending body, e.g. 县民政局
    published_on: date | None


class PublicOrganisationPage(_Public):
    organisation: PublicOrganisation
    legal_form_zh: str  # 组织类型
    field_zh: str  # 业务领域
    township: PublicDivision | None
    filed_on: date | None
    registered_on: date | None
    ended_on: date | None  # filing cancelled, deregistered or revoked
    charter: PublicCharter | None
    credit_entries: list[PublicCreditEntry]
    grade: PublicGrade | None
    annual_reports: list[PublicAnnualReport]  # registered organisations only
    commendations: list[PublicCommendation]


class PublicCounts(_Public):
    organisations: int
    registered: int
    filed: int
    ended: int
    on_credit_list: int
    graded: int


class PublicChild(_Public):
    division: PublicDivision
    counts: PublicCounts


class PublicDivisionPage(_Public):
    division: PublicDivision
    parents: list[PublicDivision]  # county first
    counts: PublicCounts
    children: list[PublicChild]
    organisations: list[PublicOrganisation]  # one page of them
    page: int
    pages: int


class PublicSearch(_Public):
    query: str
    organisations: list[PublicOrganisation]
    more: bool  # more matches than shown
