"""Signing in and out, and changing one's password (forced at first sign-in; ADR 0012)."""

from __future__ import annotations

from contextlib import suppress

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from shared.console.client import Api, ApiError
from shared.console.forms import Form
from shared.console.web import (
    SESSION,
    CurrentPage,
    Posted,
    clear_session,
    done,
    render,
    safe_next,
    set_session,
)

router = APIRouter()

REASONS = {
    "expired": "登录已过期，请重新登录。",
    "signed_out": "登录已失效（已退出、账号已停用或权限已变更），请重新登录。",
    "logged_out": "您已安全退出。",
}


@router.get("/login")
async def login_form(request: Request) -> Response:
    reason = REASONS.get(request.query_params.get("reason", ""), "")
    return render(
        request,
        "login.html",
        title="登录",
        reason=reason,
        next=safe_next(request.query_params.get("next")),
        form=Form(),
    )


@router.post("/login")
async def login(request: Request, posted: Posted) -> Response:
    form = Form(values={"username": posted.get("username", "")})
    target = safe_next(posted.get("next"))
    if not posted.get("username", "").strip():
        form.add("username", "请填写用户名")
    if not posted.get("password"):
        form.add("password", "请填写密码")
    if not form.errors:
        async with Api(request, None) as api:
            try:
                token = await api.post(
                    "/api/v1/auth/token",
                    data={"username": posted["username"].strip(), "password": posted["password"]},
                )
            except ApiError as e:
                form.add("password" if e.code == "invalid_credentials" else "", e.message_zh)
            else:
                target = "/password?reason=first" if token["must_change_password"] else target
                response = RedirectResponse(target, status_code=303)
                set_session(request, response, token["access_token"], token["expires_in"])
                return response
    return render(request, "login.html", status=400, title="登录", next=target, form=form)


@router.post("/logout")
async def logout(request: Request, _: Posted) -> Response:
    token = request.cookies.get(SESSION)
    if token:
        async with Api(request, token) as api:
            # Already expired or revoked: signing out still clears the cookie.
            with suppress(ApiError):
                await api.post("/api/v1/auth/logout")
    response = RedirectResponse("/login?reason=logged_out", status_code=303)
    clear_session(response)
    return response


PASSWORD_LABELS = {"old_password": "当前密码", "new_password": "新密码", "confirm": "确认新密码"}


@router.get("/password")
async def password_form(page: CurrentPage) -> Response:
    first = page.me.must_change_password
    return page.render("password.html", title="修改密码", first=first, form=Form())


@router.post("/password")
async def change_password(page: CurrentPage, posted: Posted) -> Response:
    form = Form()
    for name, label in PASSWORD_LABELS.items():
        if not posted.get(name):
            form.add(name, f"请填写{label}")
    if not form.errors and posted["new_password"] != posted["confirm"]:
        form.add("confirm", "两次输入的新密码不一致")
    if not form.errors:
        try:
            token = await page.api.post(
                "/api/v1/auth/password",
                json={
                    "old_password": posted["old_password"],
                    "new_password": posted["new_password"],
                },
            )
        except ApiError as e:
            if e.status == 401 and e.code != "invalid_credentials":
                raise
            field = "old_password" if e.code == "invalid_credentials" else "new_password"
            form.add(field, e.message_zh)
        else:
            # The change ended every session of the account; the API answered a new one.
            response = done(page.request, "/", "密码已修改。")
            set_session(page.request, response, token["access_token"], token["expires_in"])
            return response
    first = page.me.must_change_password
    return page.render("password.html", status=400, title="修改密码", first=first, form=form)
