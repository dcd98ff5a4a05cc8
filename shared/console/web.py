"""What every console page shares: the session cookie, CSRF protection, the signed-in person,
and rendering with the Jinja2 templates (ADR 0017).

The session is the API's own bearer token, kept in an HttpOnly, SameSite=Strict cookie: the
browser cannot read it and other sites cannot send it. Every form carries a CSRF token, the
HMAC of a per-browser random cookie under a key derived from the deployment's secret, so a form
posted from elsewhere is refused even if a browser ignored SameSite.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from shared.console import labels
from shared.console.client import Api, ApiError
from shared.kernel.domain import CHINA

HERE = Path(__file__).parent
SESSION = "sanji_session"
BROWSER = "sanji_browser"  # the per-browser random value the CSRF token is bound to
CSRF_FIELD = "csrf_token"

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(labels.FILTERS)
templates.env.globals.update(labels.GLOBALS)


class SignedOut(Exception):
    """No session, or the API no longer accepts it: back to the login page."""

    def __init__(self, reason: str = "") -> None:
        self.reason = reason


class PasswordChangeRequired(Exception):
    """The account must change its password before anything else (ADR 0012)."""


class CsrfRefused(Exception):
    """A form posted without this browser's CSRF token."""


def _key(request: Request) -> bytes:
    secret = request.app.state.runtime.settings.secret or ""
    return hashlib.sha256(b"sanji-console-csrf\0" + secret.encode()).digest()


def _browser(request: Request) -> str:
    """This browser's random value: its cookie, or the one this answer is about to set."""
    value = request.cookies.get(BROWSER) or getattr(request.state, "browser", None)
    if not value:
        value = request.state.browser = secrets.token_urlsafe(24)
    return str(value)


def csrf_token(request: Request) -> str:
    return hmac.new(_key(request), _browser(request).encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, submitted: str | None) -> None:
    browser = request.cookies.get(BROWSER)
    if not browser or not submitted:
        raise CsrfRefused()
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError,
    # so a 500) and a forged token may hold anything.
    expected = csrf_token(request).encode()
    if not hmac.compare_digest(expected, submitted.encode("utf-8", "surrogateescape")):
        raise CsrfRefused()


def _secure(request: Request) -> bool:
    return bool(request.app.state.runtime.settings.console_secure_cookie)


def ensure_browser_cookie(request: Request, response: Response) -> None:
    """Give a browser its random CSRF binding the first time it loads a page with a form."""
    if request.cookies.get(BROWSER):
        return
    response.set_cookie(
        BROWSER,
        _browser(request),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def set_session(request: Request, response: Response, token: str, seconds: int) -> None:
    response.set_cookie(
        SESSION,
        token,
        max_age=seconds,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION, path="/")


def _return_to(request: Request) -> str:
    """Where to come back to after signing in: this page, or for a form posted with an ended
    session the page the form was on (a form's address may have no page of its own, e.g.
    /accounts/…/disable; coming back to it would be the 404 page)."""
    if request.method in ("GET", "HEAD"):
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path:
        return "/"
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))


def to_login(request: Request, reason: str = "") -> RedirectResponse:
    target = _return_to(request)
    query = f"?next={quote(target)}" if target not in ("/", "/login") else ""
    if reason:
        query += ("&" if query else "?") + f"reason={quote(reason)}"
    response = RedirectResponse(f"/login{query}", status_code=303)
    clear_session(response)
    return response


def safe_next(target: str | None) -> str:
    """Only a path on this service: never an open redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@dataclass
class Me:
    """The signed-in person, as ``GET /api/v1/auth/me`` describes them."""

    id: str
    username: str
    name: str
    tier: str
    division: str
    roles: list[str]
    must_change_password: bool = False

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


@dataclass
class Page:
    """One console request: the person, their API, and rendering."""

    request: Request
    api: Api
    me: Me
    tier: str
    notices: list[str] = field(default_factory=list)

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, template, status=status, me=self.me, **context)

    def today(self) -> date:
        """Today in China by the tier application's clock (the one its API decides by, which
        a test or a rehearsal may move), not the machine's."""
        return self.request.app.state.runtime.app.clock().astimezone(CHINA).date()

    def require(self, *tiers: str, roles: tuple[str, ...] = ()) -> None:
        """A 403 page unless this service is one of ``tiers`` (any, if none named) and the
        person holds one of ``roles`` (any, if none named). The API checks again on every
        call; this only spares the person a form they could not submit."""
        if tiers and self.tier not in tiers:
            where = "、".join(labels.TIER_ZH[t] for t in tiers)
            raise ApiError(403, "wrong_tier", f"此页面属于{where}服务，本服务不提供。")
        if roles and not self.me.has(*roles):
            names = "、".join(labels.ROLE_ZH.get(r, r) for r in roles)
            raise ApiError(403, "role_forbidden", f"此页面需要“{names}”权限。")


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    runtime = request.app.state.runtime
    # An error page keeps the person's header and navigation when the page knew them.
    context.setdefault("me", getattr(request.state, "me", None))
    context.setdefault("errors", [])
    context.setdefault("values", {})
    response = templates.TemplateResponse(
        request,
        template,
        {
            "tier": str(runtime.tier),
            "tier_zh": labels.TIER_ZH[str(runtime.tier)],
            "csrf_field": CSRF_FIELD,
            "csrf": csrf_token(request),
            "flash": flash(request),
            "today": runtime.app.clock().astimezone(CHINA).date(),  # the tier's clock
            **context,
        },
        status_code=status,
    )
    ensure_browser_cookie(request, response)
    return response


async def open_page(request: Request) -> Page:
    """The page's person from the session cookie; raises :class:`SignedOut` when there is none
    or the API refuses it (expired, revoked, disabled), :class:`PasswordChangeRequired` when the
    account must change its password first."""
    token = request.cookies.get(SESSION)
    if not token:
        raise SignedOut()
    api = Api(request, token)
    try:
        me = await api.get("/api/v1/auth/me")
    except ApiError as e:
        await api.__aexit__()
        if e.status == 401:
            raise SignedOut("expired" if e.code == "token_expired" else "signed_out") from e
        raise
    person = Me(
        id=me["id"],
        username=me["username"],
        name=me["name"],
        tier=me["tier"],
        division=me["division"],
        roles=list(me["roles"]),
        must_change_password=bool(me.get("must_change_password")),
    )
    request.state.me = person
    if person.must_change_password and request.url.path != "/password":
        await api.__aexit__()
        raise PasswordChangeRequired()
    return Page(request, api, person, str(request.app.state.runtime.tier))


def as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


async def _page(request: Request) -> AsyncIterator[Page]:
    page = await open_page(request)
    try:
        yield page
    finally:
        await page.api.__aexit__()


CurrentPage = Annotated[Page, Depends(_page)]


async def _posted(request: Request) -> dict[str, str]:
    """A submitted form, once its CSRF token is checked."""
    form = await request.form()
    values = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    check_csrf(request, values.pop(CSRF_FIELD, None))
    return values


Posted = Annotated[dict[str, str], Depends(_posted)]


def _flash_signature(request: Request, message: str) -> str:
    text = b"sanji-console-flash\0" + _browser(request).encode() + b"\0" + message.encode()
    return hmac.new(_key(request), text, hashlib.sha256).hexdigest()


def flash(request: Request) -> str:
    """The message a form left for the page it redirected to: shown only if this service made
    it for this browser, so a link from elsewhere cannot put its own words ("your account is
    at risk, call …") in the service's green success notice."""
    message = request.query_params.get("done", "")
    signature = request.query_params.get("sig", "")
    if not message or not request.cookies.get(BROWSER):
        return ""
    expected = _flash_signature(request, message).encode()
    if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogateescape")):
        return ""
    return message


def done(request: Request, path: str, message: str) -> RedirectResponse:
    """After a successful form: back to a page that says what happened (POST/redirect/GET)."""
    sep = "&" if "?" in path else "?"
    signature = _flash_signature(request, message)
    return RedirectResponse(f"{path}{sep}done={quote(message)}&sig={signature}", status_code=303)
