"""Browser sign-in with an API token: ``/login`` sets the session cookie that the GET pages accept; ``/logout`` ends it.

The organisations' pages (the leader's page, the green-supply-chain report) need the organisation's token; a browser
cannot send an ``Authorization`` header, so it signs in once. The cookie holds a session that names the token, not the
token (:mod:`backend.services.sessions`: a server-side row under an HMAC-signed id, 8 hours; HttpOnly,
SameSite=Strict, Secure over HTTPS), and is accepted on GET requests only: nothing that changes data can be done with
it; signing out or revoking the token ends it on the server.

Both POSTs refuse another site (CSRF): a request whose ``Origin`` (or ``Sec-Fetch-Site``) names another origin is
refused, and the sign-in form carries a signed, short-lived token bound to a pre-login cookie (double submit).

The pages are templates (``login.html``, ``notice.html``), zh-CN first, English with ``lang=en``.
"""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select

from backend.api.deps import SESSION_COOKIE, PlatformDep, SessionDep
from backend.api.routes.events import INVALID_REQUEST, problem_doc
from backend.core.errors import P_, Text, quoted
from backend.models import ApiToken
from backend.pages.templating import render
from backend.services.green_params import parse_lang
from backend.services.platform import Platform, hash_token
from backend.services.sessions import (
    LOGIN_FORM_SECONDS,
    SESSION_SECONDS,
    end_session,
    issue_login_form,
    login_form_problem,
    open_session,
)
from supplychain.i18n import DEFAULT_LANG, N_, Lang, from_accept_language, other_lang, translations
from supplychain.i18n import parse_lang as i18n_parse_lang

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


def _page(next_path: str, *, csrf: str, error: str | None = None, lang: Lang = DEFAULT_LANG) -> str:
    """The sign-in form (template ``login.html``); its switch keeps ``next``."""
    switch = f"/login?{urlencode({'lang': other_lang(lang), 'next': next_path})}"
    return render("login.html", lang, next_path=next_path, csrf=csrf, error=error, switch_href=switch)


def _words(lang: Lang, message: str) -> str:
    """A message of the form in the page's language."""
    return translations(lang).gettext(message)


def _form(
    request: Request, platform: Platform, target: str, *, lang: Lang, error: str | None = None, status: int = 200
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


def _cross_site(request: Request, platform: Platform) -> Text | None:
    """Why a POST comes from another site (``None`` when it does not seem to): its ``Origin`` is neither this
    request's own (scheme and ``Host``) nor the platform's public base URL, or ``Sec-Fetch-Site`` says so."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return P_("the form was sent from another site (Sec-Fetch-Site: cross-site or same-site)")
    origin = request.headers.get("origin")
    if origin is None:
        return None
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
    public = urlsplit(platform.settings.public_base_url)
    own.add(f"{public.scheme}://{public.netloc}")
    if origin.rstrip("/") not in own:
        return P_("the form was sent from another origin ({origin}), not this site", origin=quoted(origin, 102))
    return None


@router.get(
    "/login",
    response_class=HTMLResponse,
    summary="Sign-in page for browsers",
    responses={
        400: problem_doc(
            400,
            "invalid-parameter",
            "Invalid query parameter",
            "lang: unknown language 'fr'; expected zh-CN (the default) or en",
            parameter="lang",
        )
    },
)
def login_page(
    request: Request,
    platform: PlatformDep,
    next: Annotated[str | None, Query(description="Where to go after signing in (a path on this site).")] = None,
    lang: Annotated[str | None, Query(description="Page language: zh-CN (the default; zh too) or en.")] = None,
) -> HTMLResponse:
    """A form that takes an organisation's (or the regulator's) API token and sets the session cookie. It carries a
    CSRF token (valid for an hour) bound to a pre-login cookie that this answer sets. `400` for a language the
    pages do not speak (`lang`)."""
    return _form(request, platform, _safe_next(next), lang=parse_lang(lang))


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
        error = _words(DEFAULT_LANG, N_("the form is too large"))
        return _form(request, platform, "/", lang=DEFAULT_LANG, error=error, status=400)
    try:
        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), max_num_fields=10).items()}
    except (UnicodeDecodeError, ValueError):
        error = _words(DEFAULT_LANG, N_("the form is malformed"))
        return _form(request, platform, "/", lang=DEFAULT_LANG, error=error, status=400)
    target, lang = _safe_next(fields.get("next")), i18n_parse_lang(fields.get("lang")) or DEFAULT_LANG
    now = int(time.time())
    refusal = _cross_site(request, platform) or login_form_problem(
        platform.session_key, fields.get("csrf"), request.cookies.get(LOGIN_COOKIE), now=now
    )
    if refusal is not None:
        return _form(request, platform, target, lang=lang, error=refusal.render(lang), status=403)
    secret = fields.get("token", "").strip()
    row = session.exec(select(ApiToken).where(col(ApiToken.token_hash) == hash_token(secret))).first()
    if not secret or row is None or row.id is None or row.revoked_at is not None:
        error = _words(lang, N_("the token is unknown or revoked"))
        return _form(request, platform, target, lang=lang, error=error, status=401)
    if target == "/login/done" and lang != DEFAULT_LANG:
        target += f"?lang={lang}"
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
def signed_in(lang: str | None = None) -> HTMLResponse:
    """Where a sign-in without `next` lands (Chinese unless `lang` asks for English)."""
    chosen = i18n_parse_lang(lang) or DEFAULT_LANG
    return HTMLResponse(render("notice.html", chosen, message=_words(chosen, N_("Signed in."))))


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
        lang = from_accept_language(request.headers.get("accept-language"), DEFAULT_LANG)
        return HTMLResponse(render("notice.html", lang, message=refusal.render(lang), switch=False), 403)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        end_session(session, platform.session_key, cookie, now=int(time.time()))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
