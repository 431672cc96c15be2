"""Browser sign-in with an API token: ``/login`` sets the session cookie that the GET pages accept; ``/logout`` ends it.

The organisations' pages (the leader's page, the green-supply-chain report) need the organisation's token; a browser
cannot send an ``Authorization`` header, so it signs in once. The cookie holds a session that names the token, not the
token (:mod:`backend.services.sessions`: a server-side row under an HMAC-signed id, 8 hours; HttpOnly,
SameSite=Strict, Secure over HTTPS), and is accepted on GET requests only: nothing that changes data can be done with
it; signing out or revoking the token ends it on the server.

Both POSTs refuse another site (CSRF): a request whose ``Origin`` (or ``Sec-Fetch-Site``) names another origin is
refused, and the sign-in form carries a signed, short-lived token bound to a pre-login cookie (double submit).
"""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select

from backend.api.deps import SESSION_COOKIE, PlatformDep, SessionDep
from backend.api.routes.events import INVALID_REQUEST
from backend.models import ApiToken
from backend.services.platform import Platform, hash_token
from backend.services.sessions import (
    LOGIN_FORM_SECONDS,
    SESSION_SECONDS,
    end_session,
    issue_login_form,
    login_form_problem,
    open_session,
)
from supplychain.text import escape_html as escape

__all__ = ["LOGIN_COOKIE", "router"]

router = APIRouter(tags=["pages"], responses={422: INVALID_REQUEST})

_MAX_FORM = 4096
LOGIN_COOKIE = "sc_login"
"""The pre-login cookie: the nonce that the sign-in form's CSRF token must name (HttpOnly, SameSite=Strict, only
sent to ``/login``)."""


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another origin (``//host``, ``https://…``, ``/\\host``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/login/done"
    return target


def _page(next_path: str, *, csrf: str, error: str | None = None, lang: str = "zh") -> str:
    zh = lang != "en"
    title = "登录 · 绿色供应链追溯平台" if zh else "Sign in · Green supply-chain traceability"
    label = "API 令牌" if zh else "API token"
    hint = (
        "用贵单位的 API 令牌登录，查看合格供应商、绿色供应链报告等页面。"
        "令牌不会保存在浏览器中：浏览器只保存一个登录凭证（HttpOnly Cookie），8 小时后失效，令牌撤销后立即失效。"
        if zh
        else "Sign in with your organisation's API token to see its supplier list and green supply-chain report. "
        "The token is not kept in the browser: only a sign-in session (an HttpOnly cookie), which ends after 8 hours "
        "or as soon as the token is revoked."
    )
    button = "登录" if zh else "Sign in"
    other = (
        f'<a href="/login?lang=en&amp;next={escape(next_path)}">English</a>'
        if zh
        else f'<a href="/login?next={escape(next_path)}">中文</a>'
    )
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1b3a2b}"
        "input{width:100%;padding:.6rem;font-size:1rem;box-sizing:border-box}"
        "button{margin-top:1rem;padding:.6rem 1.2rem}"
        ".error{color:#a30000;font-weight:600}nav{text-align:right}"
        f"</style></head><body><nav>{other}</nav><h1>{escape(title)}</h1>{problem}<p>{escape(hint)}</p>"
        '<form method="post" action="/login">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<input type="hidden" name="next" value="{escape(next_path)}">'
        f'<input type="hidden" name="lang" value="{"zh" if zh else "en"}">'
        f'<label>{escape(label)}<input name="token" type="password" autocomplete="current-password" required></label>'
        f'<button type="submit">{escape(button)}</button></form></body></html>\n'
    )


def _form(
    request: Request, platform: Platform, target: str, *, lang: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    """The sign-in page with a fresh CSRF token, and the pre-login cookie it is bound to."""
    current = request.cookies.get(LOGIN_COOKIE)
    nonce, csrf = issue_login_form(platform.session_key, now=int(time.time()), nonce=current)
    response = HTMLResponse(_page(target, csrf=csrf, error=error, lang=lang), status_code=status)
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=LOGIN_FORM_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )
    return response


def _cross_site(request: Request, platform: Platform) -> str | None:
    """Why a POST comes from another site (``None`` when it does not seem to): its ``Origin`` is neither this
    request's own (scheme and ``Host``) nor the platform's public base URL, or ``Sec-Fetch-Site`` says so."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return "the form was sent from another site (Sec-Fetch-Site: cross-site or same-site)"
    origin = request.headers.get("origin")
    if origin is None:
        return None
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
    public = urlsplit(platform.settings.public_base_url)
    own.add(f"{public.scheme}://{public.netloc}")
    if origin.rstrip("/") not in own:
        return f"the form was sent from another origin ({origin[:100]!r}), not this site"
    return None


@router.get("/login", response_class=HTMLResponse, summary="Sign-in page for browsers")
def login_page(
    request: Request,
    platform: PlatformDep,
    next: Annotated[str | None, Query(description="Where to go after signing in (a path on this site).")] = None,
    lang: Annotated[str, Query(pattern="^(zh|en)$", description="Page language.")] = "zh",
) -> HTMLResponse:
    """A form that takes an organisation's (or the regulator's) API token and sets the session cookie. It carries a
    CSRF token (valid for an hour) bound to a pre-login cookie that this answer sets."""
    return _form(request, platform, _safe_next(next), lang=lang)


@router.post(
    "/login",
    summary="Sign in a browser with an API token",
    responses={
        303: {"description": "Signed in: the session cookie is set; on to `next`"},
        400: {"description": "The form is malformed or too large", "content": {"text/html": {}}},
        401: {"description": "The token is unknown or revoked (the form again, with the reason)"},
        403: {
            "description": "Refused as cross-site (CSRF): sent from another origin, or without the valid CSRF token "
            "of a sign-in form opened in this browser (the form again, with the reason)",
            "content": {"text/html": {}},
        },
    },
)
async def login(request: Request, session: SessionDep, platform: PlatformDep) -> Response:
    """Form fields: `token`, `csrf` (the form's CSRF token), `next` (a path on this site), `lang`. Sets an HttpOnly,
    SameSite=Strict cookie holding a signed session (not the token) that GET pages accept in place of the
    `Authorization` header for 8 hours, or until the browser signs out or the token is revoked."""
    body = await request.body()
    if len(body) > _MAX_FORM:
        return _form(request, platform, "/", lang="zh", error="the form is too large", status=400)
    try:
        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), max_num_fields=10).items()}
    except (UnicodeDecodeError, ValueError):
        return _form(request, platform, "/", lang="zh", error="the form is malformed", status=400)
    target, lang = _safe_next(fields.get("next")), "en" if fields.get("lang") == "en" else "zh"
    now = int(time.time())
    refusal = _cross_site(request, platform) or login_form_problem(
        platform.session_key, fields.get("csrf"), request.cookies.get(LOGIN_COOKIE), now=now
    )
    if refusal is not None:
        return _form(request, platform, target, lang=lang, error=refusal, status=403)
    secret = fields.get("token", "").strip()
    row = session.exec(select(ApiToken).where(col(ApiToken.token_hash) == hash_token(secret))).first()
    if not secret or row is None or row.id is None or row.revoked_at is not None:
        error = "令牌无效或已撤销" if lang == "zh" else "the token is unknown or revoked"
        return _form(request, platform, target, lang=lang, error=error, status=401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        open_session(session, platform.session_key, row.id, now=now),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.get("/login/done", response_class=HTMLResponse, include_in_schema=False)
def signed_in() -> HTMLResponse:
    """Where a sign-in without `next` lands."""
    return HTMLResponse('<!DOCTYPE html>\n<html lang="zh-CN"><meta charset="utf-8"><p>已登录 · Signed in.</p></html>\n')


@router.post(
    "/logout",
    summary="Sign a browser out",
    responses={
        303: {"description": "Signed out: the session is ended on the server and the cookie cleared; on to /login"},
        403: {"description": "Refused as cross-site (sent from another origin)", "content": {"text/html": {}}},
    },
)
def logout(request: Request, session: SessionDep, platform: PlatformDep) -> Response:
    """End the browser's session on the server (a copy of its cookie stops working too) and clear the cookie."""
    refusal = _cross_site(request, platform)
    if refusal is not None:
        return HTMLResponse(
            f'<!DOCTYPE html>\n<html lang="en"><meta charset="utf-8"><p>{escape(refusal)}</p></html>\n', 403
        )
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        end_session(session, platform.session_key, cookie, now=int(time.time()))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
