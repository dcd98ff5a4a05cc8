"""The township officer's pages (乡镇/街道): the worklist, filing decisions, returns to
approve, inspections and charters, the township's organisations and its report.

Every page reaches data through the township's own API (ADR 0017), so jurisdiction is the
API's: an organisation or return of another township answers the 403 page."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from shared.api.commands import Charter, Reason
from shared.console.client import ApiError
from shared.console.forms import (
    FieldError,
    Form,
    drawn_at,
    from_api,
    parse,
    posted_version,
    send,
    submit,
)
from shared.console.labels import RETURN_FIGURE_ZH, number, status_of
from shared.console.web import CurrentPage, Page, Posted, done
from shared.kernel.domain import CHINA

router = APIRouter(prefix="/township")

WORK = ("operator",)  # who decides, approves and inspects
READ = ("operator", "viewer")  # who may look
ALL = 500  # the API's largest page: a township has far fewer organisations


def _choose(form: Form, labels: dict[str, str], *radios: str) -> Form:
    """A radio question left unanswered (or answered with a value not offered) says "请选择…",
    not "请填写…": the person chooses, they do not type."""
    form.errors = [
        FieldError(e.field, f"请选择{labels[e.field]}") if e.field in radios else e
        for e in form.errors
    ]
    return form


async def _villages(page: Page) -> dict[str, str]:
    """Code → name of the divisions in force today, for showing villages by name."""
    tree = await page.api.get("/api/v1/divisions")
    return {d["code"]: d["name"] for d in tree["divisions"]}


async def _organisation(page: Page, organisation_id: UUID) -> dict[str, Any]:
    """One organisation (the API answers 403 for another township's, 404 for none)."""
    return (await _versioned_organisation(page, organisation_id))[0]


async def _versioned_organisation(
    page: Page, organisation_id: UUID
) -> tuple[dict[str, Any], str | None]:
    """One organisation and the version of the township's filing of it (its ETag, ADR 0035;
    None while the filing is pending, as the township records nothing of it yet), which the
    charter form carries: approving a filing someone changed meanwhile is refused (409)."""
    org, version = await page.api.versioned(f"/api/v1/organisations/{organisation_id}")
    org = dict(org)
    org["status"] = status_of(org)
    return org, version


# ------------------------------------------------------------------ worklist


@router.get("/worklist")
async def worklist(page: CurrentPage) -> Response:
    page.require("township", roles=READ)
    api = page.api
    pending = await api.get("/api/v1/organisations", state="pending", limit=ALL)
    returns = await api.get("/api/v1/returns", state="submitted")
    inspections = await api.get("/api/v1/inspections", state="open", limit=ALL)
    notices = await api.get("/api/v1/zombie-exit/proceedings", state="noticed")
    names = {
        o["org_id"]: o["name"]
        for o in (await api.get("/api/v1/organisations", limit=ALL))["organisations"]
    }
    today = datetime.now(CHINA).date()
    for row in inspections["inspections"]:
        day = row.get("inspected_on")
        row["days"] = (today - date.fromisoformat(day[:10])).days if day else None
    sections = [
        ("filings", "待作出备案决定", len(pending["organisations"])),
        ("returns", "待审核报表", len(returns["returns"])),
        ("rectifications", "待完成整改", len(inspections["inspections"])),
        ("notices", "僵尸组织退出告知", len(notices)),
    ]
    return page.render(
        "township/worklist.html",
        title="待办",
        sections=sections,
        filings=pending["organisations"],
        returns=returns["returns"],
        inspections=inspections["inspections"],
        notices=sorted(notices, key=lambda n: n.get("due_on") or ""),
        names=names,
        villages=await _villages(page),
        can_act=page.me.has(*WORK),
    )


# ------------------------------------------------------------------ filing decision

FILING_LABELS = {"decision": "备案决定", "reason": "不予备案的理由"}


def _filing_page(
    page: Page, org: dict[str, Any], villages: dict[str, str], form: Form, status: int = 200
) -> Response:
    return page.render(
        "township/filing.html",
        status=status,
        title=f"备案决定：{org['name']}",
        org=org,
        villages=villages,
        form=form,
    )


@router.get("/organisations/{organisation_id}/filing")
async def filing_form(organisation_id: UUID, page: CurrentPage) -> Response:
    page.require("township", roles=WORK)
    # No version: the township records a filing only when it decides (the decision creates
    # it), and a second decision is refused as already_decided (ADR 0035).
    org = await _organisation(page, organisation_id)
    return _filing_page(page, org, await _villages(page), Form())


@router.post("/organisations/{organisation_id}/filing")
async def decide_filing(organisation_id: UUID, page: CurrentPage, posted: Posted) -> Response:
    page.require("township", roles=WORK)
    org = await _organisation(page, organisation_id)
    answer, form = await send(
        page.api,
        f"/api/v1/organisations/{organisation_id}/filing-decision",
        posted,
        FILING_LABELS,
        selects=frozenset({"decision"}),
        fields={"reason_required": "reason"},
    )
    if answer is not None:
        told = (
            "已予以备案，备案编号见辖区组织列表"
            if form.values.get("decision") == "filed"
            else "已决定不予备案"
        )
        return done(page.request, "/township/worklist", f"{org['name']}：{told}。")
    return _filing_page(page, org, await _villages(page), form, status=400)


# ------------------------------------------------------------------ returns

RETURN_STATES = ("submitted", "approved", "accepted", "returned")


@router.get("/returns")
async def returns_list(page: CurrentPage, state: str = "") -> Response:
    page.require("township", roles=READ)
    chosen = state if state in RETURN_STATES else ""
    listed = await page.api.get("/api/v1/returns", state=chosen or None)
    return page.render(
        "township/returns.html",
        title="报表审核",
        listed=listed,
        state=chosen,
        states=RETURN_STATES,
        villages=await _villages(page),
    )


RETURN_LABELS = {"decision": "审核意见", "reason": "退回理由"}


async def _return_page(page: Page, return_id: UUID, form: Form, status: int = 200) -> Response:
    detail = await page.api.get(f"/api/v1/returns/{return_id}")
    return page.render(
        "township/return.html",
        status=status,
        title="报表审核",
        ret=detail,
        figures=_figures(detail.get("figures") or {}),
        villages=await _villages(page),
        form=form,
        can_act=page.me.has(*WORK) and detail["state"] == "submitted",
    )


def _figures(figures: dict[str, Any]) -> list[tuple[str, str]]:
    """A return's stated figures as people read them (hours and yuan, not 1/100 and fen), in
    the order of the form the village filled in."""
    known = [k for k in RETURN_FIGURE_ZH if k in figures]
    shown = []
    for key in known + [k for k in figures if k not in RETURN_FIGURE_ZH]:
        label, divisor = RETURN_FIGURE_ZH.get(key, (key, 1))
        value = figures[key]
        amount = Decimal(value) / divisor if isinstance(value, int) else value
        shown.append((label, number(amount, 0 if divisor == 1 else 2)))
    return shown


@router.get("/returns/{return_id}")
async def return_detail(return_id: UUID, page: CurrentPage) -> Response:
    page.require("township", roles=READ)
    return await _return_page(page, return_id, Form())


@router.post("/returns/{return_id}")
async def decide_return(return_id: UUID, page: CurrentPage, posted: Posted) -> Response:
    page.require("township", roles=WORK)
    form = Form(values={k: posted.get(k, "") for k in RETURN_LABELS})
    decision = posted.get("decision", "")
    step: tuple[str, dict[str, Any], str] | None = None
    if decision == "approve":
        step = ("approval", {}, "报表已审核通过，报送县级。")
    elif decision == "return":
        reason, checked = parse(Reason, posted, {"reason": RETURN_LABELS["reason"]})
        form.errors = checked.errors
        if reason is not None:
            body = reason.model_dump(mode="json", exclude_none=True)
            step = ("return", body, "报表已退回村（社区）修改。")
    else:
        form.add("decision", "请选择审核意见")
    if step is not None:
        path, body, told = step
        try:
            await page.api.post(f"/api/v1/returns/{return_id}/{path}", json=body)
        except ApiError as e:
            if e.status in (401, 403, 404):
                raise
            from_api(form, e, RETURN_LABELS)
        else:
            return done(page.request, "/township/returns", told)
    return await _return_page(page, return_id, form, status=400)


# ------------------------------------------------------------------ inspections, charter

INSPECTION_LABELS = {"result": "检查结果", "findings": "检查发现", "inspectors": "检查人员"}


def _names(text: str) -> list[str]:
    """Inspectors typed one a line (or separated by commas, 、 or spaces)."""
    for sep in (",", "，", "、", ";", "；", " ", "\u3000"):
        text = text.replace(sep, "\n")
    return [n.strip() for n in text.splitlines() if n.strip()]


@router.get("/organisations/{organisation_id}/inspections/new")
async def inspection_form(organisation_id: UUID, page: CurrentPage) -> Response:
    page.require("township", roles=WORK)
    org = await _organisation(page, organisation_id)
    return page.render(
        "township/inspection.html", title=f"记录检查：{org['name']}", org=org, form=Form()
    )


@router.post("/organisations/{organisation_id}/inspections/new")
async def record_inspection(organisation_id: UUID, page: CurrentPage, posted: Posted) -> Response:
    page.require("township", roles=WORK)
    org = await _organisation(page, organisation_id)
    inspectors = _names(posted.get("inspectors", ""))
    answer, form = await send(
        page.api,
        f"/api/v1/organisations/{organisation_id}/inspections",
        posted,
        INSPECTION_LABELS,
        selects=frozenset({"result"}),
        fields={"too_few_inspectors": "inspectors"},
        # Typed one a line; the API takes a list (an empty one is refused as too short).
        fixed={"inspectors": inspectors},
    )
    if answer is not None:
        return done(page.request, "/township/worklist", f"已记录对{org['name']}的检查。")
    return page.render(
        "township/inspection.html",
        status=400,
        title=f"记录检查：{org['name']}",
        org=org,
        form=form,
    )


@router.post("/inspections/{inspection_id}/rectification-completed")
async def rectification_completed(inspection_id: UUID, page: CurrentPage, _: Posted) -> Response:
    page.require("township", roles=WORK)
    await page.api.post(f"/api/v1/inspections/{inspection_id}/rectification-completed", json={})
    return done(page.request, "/township/worklist", "已确认整改完成。")


CHARTER_LABELS = {"party_clause": "党建入章", "integrity_clause": "清廉入章"}


def _charter_page(page: Page, org: dict[str, Any], form: Form, status: int = 200) -> Response:
    return page.render(
        "township/charter.html", status=status, title=f"章程核准：{org['name']}", org=org, form=form
    )


@router.get("/organisations/{organisation_id}/charter")
async def charter_form(organisation_id: UUID, page: CurrentPage) -> Response:
    page.require("township", roles=WORK)
    org, version = await _versioned_organisation(page, organisation_id)
    return _charter_page(page, org, drawn_at(Form(), version))


@router.post("/organisations/{organisation_id}/charter")
async def approve_charter(organisation_id: UUID, page: CurrentPage, posted: Posted) -> Response:
    page.require("township", roles=WORK)
    org = await _organisation(page, organisation_id)
    # Radios answer "yes"/"no"; pydantic reads those as booleans, and a missing one as missing.
    charter, form = parse(Charter, posted, CHARTER_LABELS)
    _choose(form, CHARTER_LABELS, *CHARTER_LABELS)
    version = posted_version(form, posted)
    if charter is not None:
        answer = await submit(
            page.api,
            f"/api/v1/organisations/{organisation_id}/charter",
            charter.model_dump(mode="json", exclude_none=True),
            form,
            CHARTER_LABELS,
            version=version,
        )
        if answer is not None:
            return done(page.request, "/township/organisations", f"已核准{org['name']}的章程。")
    return _charter_page(page, org, form, status=400)


# ------------------------------------------------------------------ organisations


@router.get("/organisations")
async def organisations(page: CurrentPage) -> Response:
    page.require("township", roles=READ)
    listed = await page.api.get("/api/v1/organisations", limit=ALL)
    villages = await _villages(page)
    by_village: dict[str, list[dict[str, Any]]] = {}
    for org in listed["organisations"]:
        org["status"] = status_of(org)
        by_village.setdefault(org["village_in_tree"], []).append(org)
    return page.render(
        "township/organisations.html",
        title="辖区组织",
        by_village=sorted(by_village.items()),
        villages=villages,
        total=len(listed["organisations"]),
        can_act=page.me.has(*WORK),
    )


# ------------------------------------------------------------------ report


def _periods() -> list[tuple[str, str]]:
    """The periods offered: this year to date, then each of the last three years, its halves
    and quarters (the API also takes YYYY-MM)."""
    year = datetime.now(CHINA).year
    offered = [("", "本年至今")]
    for y in range(year, year - 3, -1):
        offered.append((str(y), f"{y}年"))
        offered += [(f"{y}-H{h}", f"{y}年{'上' if h == 1 else '下'}半年") for h in (1, 2)]
        offered += [(f"{y}-Q{q}", f"{y}年第{q}季度") for q in (1, 2, 3, 4)]
    return offered


@router.get("/report")
async def township_report(page: CurrentPage, period: str = "") -> Response:
    page.require("township", roles=READ)
    form = Form(values={"period": period})
    try:
        data = await page.api.get(f"/api/v1/reports/{page.me.division}", period=period or None)
    except ApiError as e:
        if e.status != 422:
            raise
        form.add("period", "统计期间格式不正确，请从列表中选择")
        data = await page.api.get(f"/api/v1/reports/{page.me.division}")
        form.values["period"] = ""
    status = 400 if form.errors else 200
    return page.render(
        "township/report.html",
        status=status,
        title="统计报告",
        report=data,
        periods=dict(_periods()),
        period=form.values["period"],
        form=form,
    )


EXPORT_FORMATS = ("csv", "xlsx", "html")


@router.get("/report/export.{fmt}")
async def export(
    fmt: Literal["csv", "xlsx", "html"], page: CurrentPage, period: str = ""
) -> Response:
    """The browser has no bearer token: the export is fetched with the session's and passed
    through as the API answered it (bytes, content type, file name)."""
    page.require("township", roles=READ)
    answer = await page.api.raw(
        f"/api/v1/reports/{page.me.division}/export.{fmt}", period=period or None
    )
    headers = {k: v for k, v in answer.headers.items() if k.lower() == "content-disposition"}
    return Response(
        content=answer.content,
        media_type=answer.headers.get("content-type"),
        headers=headers,
    )
