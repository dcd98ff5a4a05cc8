"""Account administration (role ``admin``, ADR 0012): the division's accounts, opening one,
and per account its roles, disabling / re-enabling and a password reset.

The initial or reset password is made by the API and answered once. The console shows it on
the page that answers the form (not after a redirect: a password must never travel in a URL or
a flash), marked not to be cached, with a warning to hand it over safely.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from shared.capabilities.identity.accounts import ROLES
from shared.console import labels
from shared.console.forms import Form, send
from shared.console.web import CurrentPage, Posted, done
from shared.kernel.jurisdiction import contains

router = APIRouter()

ADMIN = ("admin",)
LABELS = {"username": "登录名", "name": "姓名", "division": "所在区划", "roles": "角色"}
CHANGE_LABELS = {"name": "姓名", "roles": "角色"}
STATUS_LABELS = {"reason": "理由"}
NO_ROLE = "请至少选择一个角色"


def _roles(posted: dict[str, str]) -> list[str]:
    # Each role is its own checkbox field (role_operator, …): the posted form is one value a
    # name, so a shared name "roles" would keep only the last box ticked.
    return [r for r in ROLES if posted.get(f"role_{r}")]


def _with_roles(form: Form, roles: list[str]) -> Form:
    """The ticked boxes kept on a re-rendered form, and one plain message if none is."""
    form.values.update({f"role_{r}": "on" for r in roles})
    form.errors = [e for e in form.errors if e.field != "roles"]
    if not roles:
        form.add("roles", NO_ROLE)
    return form


def _plainer(form: Form) -> Form:
    """Messages that fit these fields: a login name typed too short is not a missing one, and
    the division is chosen from a list."""
    for e in form.errors:
        if e.field == "username" and form.values.get("username", "").strip():
            e.message = "登录名至少 3 个字符，最多 64 个字符"
        elif e.field == "division" and not form.values.get("division", "").strip():
            e.message = "请选择所在区划"
    return form


def _locked(row: dict[str, Any]) -> bool:
    until = row.get("locked_until")
    if not until:
        return False
    try:
        return datetime.fromisoformat(str(until)) > datetime.now(UTC)
    except ValueError:
        return False


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------ the list


@router.get("/accounts")
async def accounts(page: CurrentPage, division: str = "") -> Response:
    page.require(roles=ADMIN)
    rows = await page.api.get("/api/v1/accounts", division=division.strip() or None)
    order = {"county": 0, "township": 1, "village": 2}
    rows.sort(key=lambda r: (order.get(r["tier"], 3), r["division_code"], r["username"]))
    for r in rows:
        r["locked"] = _locked(r)
    body = await page.api.get("/api/v1/divisions")
    within = {
        d["code"]: f"{d['name']}（{d['code']}）"
        for d in sorted(body["divisions"], key=lambda d: d["code"])
        if contains(page.me.division, d["code"])
    }
    chosen = division.strip() or page.me.division
    return page.render(
        "admin/accounts.html",
        title="账号管理",
        rows=rows,
        division=within.get(chosen, chosen),
        filter=Form(values={"division": chosen}),
        within=within,
    )


# ------------------------------------------------------------------ opening an account


async def _divisions(page: CurrentPage) -> dict[str, str]:
    """The divisions of this service's tier that the admin manages: an account is opened at
    the tier its holder works at."""
    body = await page.api.get("/api/v1/divisions")
    return {
        d["code"]: f"{d['name']}（{d['code']}）"
        for d in sorted(body["divisions"], key=lambda d: d["code"])
        if d["tier"] == page.tier and contains(page.me.division, d["code"])
    }


def _new(page: CurrentPage, form: Form, divisions: dict[str, str], status: int = 200) -> Response:
    return page.render(
        "admin/new.html",
        status=status,
        title="开设账号",
        form=form,
        divisions=divisions,
        roles=ROLES,
    )


@router.get("/accounts/new")
async def new_form(page: CurrentPage) -> Response:
    page.require(roles=ADMIN)
    divisions = await _divisions(page)
    values = {"division": next(iter(divisions))} if len(divisions) == 1 else {}
    return _new(page, Form(values=values), divisions)


@router.post("/accounts/new")
async def create(page: CurrentPage, posted: Posted) -> Response:
    page.require(roles=ADMIN)
    divisions = await _divisions(page)
    roles = _roles(posted)
    created, form = await send(
        page.api,
        "/api/v1/accounts",
        posted,
        LABELS,
        selects=frozenset({"division"}),
        fixed={"roles": roles},
    )
    if created is None or not roles:
        return _new(page, _plainer(_with_roles(form, roles)), divisions, 400)
    return _no_store(
        page.render(
            "admin/password.html",
            title="账号已开设",
            heading="账号已开设",
            account_id=created["id"],
            username=form.values["username"].strip().lower(),
            name=form.values["name"].strip(),
            password=created["initial_password"],
        )
    )


# ------------------------------------------------------------------ one account


async def _detail(
    page: CurrentPage,
    account_id: UUID,
    change: Form | None = None,
    status_form: Form | None = None,
    status: int = 200,
) -> Response:
    account = await page.api.get(f"/api/v1/accounts/{account_id}")
    if change is None:
        change = Form(values={"name": account["name"]})
        change.values.update({f"role_{r}": "on" for r in account["roles"]})
    return page.render(
        "admin/account.html",
        status=status,
        title=f"账号：{account['name']}",
        account=account,
        change=change,
        status_form=status_form or Form(),
        roles=ROLES,
        roles_zh="、".join(labels.ROLE_ZH.get(r, r) for r in account["roles"]),
    )


@router.get("/accounts/{account_id}")
async def account(page: CurrentPage, account_id: UUID) -> Response:
    page.require(roles=ADMIN)
    return await _detail(page, account_id)


@router.post("/accounts/{account_id}/change")
async def change(page: CurrentPage, account_id: UUID, posted: Posted) -> Response:
    page.require(roles=ADMIN)
    roles = _roles(posted)
    if not roles:  # the API would refuse it too; said here as the checkboxes' own message
        form = _with_roles(Form(values={"name": posted.get("name", "")}), roles)
        return await _detail(page, account_id, change=form, status=400)
    changed, form = await send(
        page.api,
        f"/api/v1/accounts/{account_id}/change",
        posted,
        CHANGE_LABELS,
        fixed={"roles": roles},
    )
    if changed is None:
        return await _detail(page, account_id, change=_with_roles(form, roles), status=400)
    return done(page.request, f"/accounts/{account_id}", "姓名和角色已保存，此人须重新登录。")


@router.post("/accounts/{account_id}/disable")
async def disable(page: CurrentPage, account_id: UUID, posted: Posted) -> Response:
    return await _set_status(page, account_id, "disable", posted)


@router.post("/accounts/{account_id}/enable")
async def enable(page: CurrentPage, account_id: UUID, posted: Posted) -> Response:
    return await _set_status(page, account_id, "enable", posted)


async def _set_status(page: CurrentPage, account_id: UUID, action: str, posted: Posted) -> Response:
    page.require(roles=ADMIN)
    answer, form = await send(
        page.api, f"/api/v1/accounts/{account_id}/{action}", posted, STATUS_LABELS
    )
    if answer is None:
        return await _detail(page, account_id, status_form=form, status=400)
    message = "账号已停用，此人已不能登录。" if action == "disable" else "账号已重新启用。"
    return done(page.request, f"/accounts/{account_id}", message)


@router.post("/accounts/{account_id}/reset-password")
async def reset(page: CurrentPage, account_id: UUID, _: Posted) -> Response:
    page.require(roles=ADMIN)
    account = await page.api.get(f"/api/v1/accounts/{account_id}")
    answer = await page.api.post(f"/api/v1/accounts/{account_id}/reset-password")
    return _no_store(
        page.render(
            "admin/password.html",
            title="密码已重置",
            heading="密码已重置",
            account_id=account["id"],
            username=account["username"],
            name=account["name"],
            password=answer["initial_password"],
        )
    )
