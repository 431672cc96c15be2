"""Browser sign-in with an API token: ``/login`` sets the session cookie that the GET pages accept.

The organisations' pages (the leader's page, the green-supply-chain report) need the organisation's token; a browser
cannot send an ``Authorization`` header, so it signs in once. The cookie holds a session that names the token, not the
token (:mod:`backend.services.sessions`: HMAC-signed, 8 hours; HttpOnly, SameSite=Strict, Secure over HTTPS), and is
accepted on GET requests only: nothing that changes data can be done with it, and revoking the token ends it.
"""

from __future__ import annotations

import time
from html import escape
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select

from backend.api.deps import SESSION_COOKIE, PlatformDep, SessionDep
from backend.api.routes.events import INVALID_REQUEST
from backend.models import ApiToken
from backend.services.platform import hash_token
from backend.services.sessions import SESSION_SECONDS, issue_session

router = APIRouter(tags=["pages"], responses={422: INVALID_REQUEST})

_MAX_FORM = 4096


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another origin (``//host``, ``https://…``, ``/\\host``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/login/done"
    return target


def _page(next_path: str, *, error: str | None = None, lang: str = "zh") -> str:
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
        f'<input type="hidden" name="next" value="{escape(next_path)}">'
        f'<input type="hidden" name="lang" value="{"zh" if zh else "en"}">'
        f'<label>{escape(label)}<input name="token" type="password" autocomplete="current-password" required></label>'
        f'<button type="submit">{escape(button)}</button></form></body></html>\n'
    )


@router.get("/login", response_class=HTMLResponse, summary="Sign-in page for browsers")
def login_page(
    next: Annotated[str | None, Query(description="Where to go after signing in (a path on this site).")] = None,
    lang: Annotated[str, Query(pattern="^(zh|en)$", description="Page language.")] = "zh",
) -> HTMLResponse:
    """A form that takes an organisation's (or the regulator's) API token and sets the session cookie."""
    return HTMLResponse(_page(_safe_next(next), lang=lang))


@router.post(
    "/login",
    summary="Sign in a browser with an API token",
    responses={
        303: {"description": "Signed in: the session cookie is set; on to `next`"},
        400: {"description": "The form is malformed or too large", "content": {"text/html": {}}},
        401: {"description": "The token is unknown or revoked (the form again, with the reason)"},
    },
)
async def login(request: Request, session: SessionDep, platform: PlatformDep) -> Response:
    """Form fields: `token`, `next` (a path on this site), `lang`. Sets an HttpOnly, SameSite=Strict cookie holding
    a signed session (not the token) that GET pages accept in place of the `Authorization` header for 8 hours, or
    until the token is revoked."""
    body = await request.body()
    if len(body) > _MAX_FORM:
        return HTMLResponse(_page("/", error="the form is too large"), status_code=400)
    try:
        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), max_num_fields=10).items()}
    except (UnicodeDecodeError, ValueError):
        return HTMLResponse(_page("/", error="the form is malformed"), status_code=400)
    target, lang = _safe_next(fields.get("next")), "en" if fields.get("lang") == "en" else "zh"
    secret = fields.get("token", "").strip()
    row = session.exec(select(ApiToken).where(col(ApiToken.token_hash) == hash_token(secret))).first()
    if not secret or row is None or row.id is None or row.revoked_at is not None:
        error = "令牌无效或已撤销" if lang == "zh" else "the token is unknown or revoked"
        return HTMLResponse(_page(target, error=error, lang=lang), status_code=401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issue_session(platform.session_key, row.id, now=int(time.time())),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.get("/login/done", response_class=HTMLResponse, include_in_schema=False)
def signed_in() -> HTMLResponse:
    """Where a sign-in without `next` lands."""
    return HTMLResponse('<!DOCTYPE html>\n<html lang="zh-CN"><meta charset="utf-8"><p>已登录 · Signed in.</p></html>\n')


@router.post("/logout", include_in_schema=False)
def logout() -> Response:
    """Clear the session cookie."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
