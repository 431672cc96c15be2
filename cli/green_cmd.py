"""``supplychain green``: the leader's and the authorities' green views from the command line.

The commands read the platform's own database and the registry on chain directly (settings from ``SUPPLYCHAIN_*``
variables or ``SUPPLYCHAIN_CONFIG``, as ``supplychain serve`` does; ``--data-dir`` overrides the data folder), so
they work on the machine that runs the platform, with or without the HTTP service running. They answer what the
HTTP routes answer (``--json`` prints the same JSON) and refuse the same bad input with the same messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from backend.core.errors import ProblemError
from cli.chain_cmd import DataDir
from cli.common import _, console, fail, locale_lang, pgettext, reported, term, word
from supplychain import vocabulary

app = typer.Typer(epilog="Example: supplychain green suppliers 6901234000016", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print the JSON the HTTP API answers.")]


@contextmanager
def _refusals() -> Iterator[None]:
    """Our errors as ``error: ...`` and exit code 1 (a bad parameter names it, as the API does)."""
    with reported():
        try:
            yield
        except ProblemError as exc:
            fail(exc.detail_in(locale_lang()))


def _run(data: Path | None, view: Callable[[Any, Any, Any, int], dict[str, Any]]) -> dict[str, Any]:
    """Open the platform (settings from the environment), read the registry, run ``view(platform, session,
    mirror, now)``."""
    from backend.services.green_views import chain_now
    from backend.services.platform import Platform
    from cli.serve_cmd import load_settings

    platform = Platform.open(load_settings(data, run_worker=False))
    try:
        mirror = platform.registry.refresh(force=True)
        if platform.registry.refreshed_at == 0:
            fail(
                _(
                    "the registry cannot be read: the chain at {url} cannot be reached",
                    url=platform.settings.rpc_url,
                )
            )
        with platform.session() as session:
            return view(platform, session, mirror, chain_now(platform))
    finally:
        platform.close()


def _print_json(answer: dict[str, Any]) -> None:
    typer.echo(json.dumps(answer, ensure_ascii=False, indent=2))


def _truncated(answer: dict[str, Any]) -> None:
    if answer.get("truncated"):
        message = _("too many events: only {count} were read; the answer is incomplete", count=answer["eventsLoaded"])
        console.print(f"[yellow]{message}[/]")


def _recognised(level: str, kind: str) -> str:
    """A recognition's level and kind in words (``provincial green factory``, ``省级绿色工厂``)."""
    level_word, kind_word = vocabulary.level(level), vocabulary.kind(kind)
    return _(
        "{level} {kind}",
        level=word(level_word) if level_word else level,
        kind=word(kind_word) if kind_word else kind,
    )


def _unit(code: str | None) -> str:
    """A unit of measure in words (``pcs`` for none or H87), else its UN/ECE code."""
    known = vocabulary.UNITS.get(code)
    return word(known) if known else str(code)


@app.command("suppliers", epilog="Example: supplychain green suppliers 6901234000016 --warn-days 60")
def suppliers(
    org: Annotated[str, typer.Argument(help="The manufacturer's GLN or USCC.")],
    warn_days: Annotated[int, typer.Option(help="Warn of recognitions ending within this many days.")] = 90,
    as_json: Json = False,
    data: DataDir = None,
) -> None:
    """The qualified-supplier list of a manufacturer (合格供应商), by the rule "prefer recognised green factories"."""
    from backend.services import green_params, green_views

    with _refusals():
        green_params.parse_org(org, "org")
        days = green_params.parse_warn_days(warn_days)

        def view(platform: Any, session: Any, mirror: Any, now: int) -> dict[str, Any]:
            green_views.check_organisation(session, mirror, org, "org")
            return green_views.suppliers_json(session, mirror, org, now, warn_days=days)

        answer = _run(data, view)
    if as_json:
        _print_json(answer)
        return
    typer.echo(_("qualified suppliers of {org} (as at {at})", org=org, at=answer["at"]))
    typer.echo(word(answer["rule"]["en"]))
    for s in answer["suppliers"]:
        words = [term(vocabulary.SUPPLIER_WARNINGS, w) for w in s["warnings"]]
        warnings = pgettext("a list of words", ", ").join(words) or _("no warnings")
        typer.echo(
            _(
                "{rank}. {org}  {preference}  green supplies {green}/{supplies}  ({warnings})",
                rank=s["rank"],
                org=s["organisationId"],
                preference=term(vocabulary.PREFERENCES, s["preference"]),
                green=s["greenSupplies"],
                supplies=s["supplyCount"],
                warnings=warnings,
            )
        )
        for r in s["recognitions"]:
            values = {
                "id": r["recognitionId"],
                "recognition": _recognised(r["level"], r["kind"]),
                "status": term(vocabulary.STANDINGS, r["status"]),
                "then": term(vocabulary.STANDINGS, r["statusAtLastSupply"]),
            }
            if r["expiresInDays"] is None:
                line = _("#{id} {recognition}: {status} (when it last supplied: {then})", **values)
            else:
                line = _(
                    "#{id} {recognition}: {status}, {days} days left (when it last supplied: {then})",
                    days=r["expiresInDays"],
                    **values,
                )
            typer.echo("   " + line)
    _truncated(answer)


@app.command(
    "report",
    epilog="Example: supplychain green report 6901234000016 --from 2026-01-01 --to 2026-07-01 --html report.html",
)
def report(  # noqa: PLR0917 - typer options
    org: Annotated[str, typer.Argument(help="The manufacturer's GLN or USCC.")],
    start: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD, China Standard Time) or RFC 3339 time.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (included) or RFC 3339 time (excluded).")] = None,
    as_json: Json = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the report page (with its chart) here.")
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the page: zh-CN (zh too) or en.")] = "zh-CN",
    data: DataDir = None,
) -> None:
    """The green-supply-chain report of a manufacturer for a period: lots, green shares, inputs, lapses."""
    from backend.services import green_pages, green_params, green_views

    with _refusals():
        green_params.parse_org(org, "org")
        language = green_params.parse_lang(lang)
        for value, name in ((start, "from"), (end, "to")):
            if value is not None:
                green_params.parse_moment(value, name)

        def view(platform: Any, session: Any, mirror: Any, now: int) -> dict[str, Any]:
            green_views.check_organisation(session, mirror, org, "org")
            begin, stop = green_params.parse_period(start, end, now)
            return green_views.report_json(session, mirror, org, start=begin, end=stop, now=now)

        answer = _run(data, view)
        if html is not None:
            query = {"organisation": org, **({"from": start} if start else {}), **({"to": end} if end else {})}
            page = green_pages.report_page(answer, language, path="/reports/green-supply-chain", query=query)
            html.write_text(page, encoding="utf-8")
    if as_json:
        _print_json(answer)
        return
    typer.echo(
        _("green-supply-chain report of {org}: {start} – {end}", org=org, start=answer["from"], end=answer["to"])
    )
    for lot in answer["lots"]:
        share = "-" if lot["share"] is None else f"{lot['share'] * 100:.1f}% ({lot['shareExact']})"
        typer.echo(
            _(
                "{lot}  made {made}  green share {share}  {green} / {total} {unit}",
                lot=lot["identifier"],
                made=lot["madeAt"],
                share=share,
                green=lot["greenQuantity"],
                total=lot["totalQuantity"],
                unit=_unit(lot["unit"]),
            )
        )
    for total in answer["totals"]:
        typer.echo(
            _(
                "total ({unit}): {share} of {total}",
                unit=_unit(total["unit"]),
                share=format(total["share"], ".1%"),
                total=total["totalQuantity"],
            )
        )
    for lapse in answer["lapses"]:
        typer.echo(
            _(
                "lapsed {at}: recognition #{id} of {holder} ({recognition}) {status}",
                at=lapse["at"],
                id=lapse["recognitionId"],
                holder=lapse["holder"],
                recognition=_recognised(lapse["level"], lapse["kind"]),
                status=term(vocabulary.STANDINGS, lapse["status"]),
            )
        )
    if html is not None:
        typer.echo(_("page written to {path}", path=html))
    _truncated(answer)


@app.command("impact", epilog="Example: supplychain green impact 1 --json")
def impact(
    recognition_id: Annotated[int, typer.Argument(help="The recognition's id on chain.", min=1)],
    organisation: Annotated[str | None, typer.Option(help="Only items this organisation made or holds last.")] = None,
    as_json: Json = False,
    data: DataDir = None,
) -> None:
    """The impact list of a suspended or revoked recognition: lots and serials made after the lapse, where they are."""
    from backend.services import green_params, green_views

    with _refusals():
        if organisation is not None:
            green_params.parse_org(organisation, "organisation")

        def view(platform: Any, session: Any, mirror: Any, now: int) -> dict[str, Any]:
            return green_views.impact_json(session, mirror, recognition_id, now, organisation=organisation)

        answer = _run(data, view)
    if as_json:
        _print_json(answer)
        return
    state = term(vocabulary.STANDINGS, answer["recognition"]["status"])
    recognition = {"id": recognition_id, "holder": answer["holder"], "status": state}
    if not answer["lapsed"]:
        typer.echo(_("recognition #{id} of {holder} is {status}: it impacts nothing", **recognition))
        return
    typer.echo(_("recognition #{id} of {holder}: {status} since {at}", at=answer["lapsedAt"], **recognition))
    for item in answer["items"]:
        seen = item["lastSeen"]
        made = _("made by {organisation}", organisation=item["madeBy"] or "-")
        if seen:
            step = vocabulary.step(seen["bizStep"])
            where = _(
                "last seen at {location} by {organisation} ({time}): {step}",
                location=seen["location"],
                organisation=seen["organisationId"],
                time=seen["eventTime"],
                step=word(step) if step else seen["bizStep"],
            )
            typer.echo(f"{item['identifier']}  {item['kind']}  {made}  {where}")
        else:
            typer.echo(f"{item['identifier']}  {item['kind']}  {made}")
    _truncated(answer)


@app.command("sample", epilog="Example: supplychain green sample --seed 2026 --size 20 --kind green-factory")
def sample(  # noqa: PLR0917 - typer options
    seed: Annotated[str, typer.Option(help="The seed (1-128 characters), e.g. a publicly drawn number.")],
    size: Annotated[int, typer.Option(help="How many to draw (1-1000).")],
    kind: Annotated[str | None, typer.Option(help="Only this kind (green_factory, green_product, ...).")] = None,
    level: Annotated[str | None, typer.Option(help="Only this level (city, provincial, national).")] = None,
    region: Annotated[str | None, typer.Option(help="Only this region (32, 3202, 江苏, Jiangsu, unknown).")] = None,
    at: Annotated[str | None, typer.Option(help="Draw from the population at this time (default now).")] = None,
    as_json: Json = False,
    data: DataDir = None,
) -> None:
    """A reproducible random sample of recognised units to spot-check (same seed, same time: same sample)."""
    from backend.services import green_params, green_views

    with _refusals():
        chosen_seed, chosen_size = green_params.parse_seed(seed), green_params.parse_size(size)
        filters = green_params.parse_kind(kind), green_params.parse_level(level), green_params.parse_region(region)
        when = green_params.parse_moment(at, "at") if at is not None else None

        def view(platform: Any, session: Any, mirror: Any, now: int) -> dict[str, Any]:
            if when is not None and when > now:
                fail(_("at: {at} is in the future: the registry can only answer up to now", at=repr(at)))
            t = now if when is None else when
            return green_views.sample_json(
                mirror, t, chosen_seed, chosen_size, kind=filters[0], level=filters[1], region=filters[2]
            )

        answer = _run(data, view)
    if as_json:
        _print_json(answer)
        return
    typer.echo(
        _(
            "seed {seed} at {at} (unix {unix}): {drawn} of {eligible} eligible ({algorithm})",
            seed=repr(answer["seed"]),
            at=answer["at"],
            unix=answer["atUnix"],
            drawn=len(answer["drawn"]),
            eligible=answer["eligibleCount"],
            algorithm=answer["algorithm"]["name"],
        )
    )
    region = "nameZh" if locale_lang() == "zh-CN" else "nameEn"
    for d in answer["drawn"]:
        typer.echo(
            f"{d['rank'][:16]}  #{d['recognitionId']}  {d['holder']}  {d['holderRegion'][region]}  "
            f"{_recognised(d['level'], d['kind'])}  {term(vocabulary.STANDINGS, d['status'])}"
        )
