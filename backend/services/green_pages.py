"""The green views' pages: the report and the leader's page (zh-CN first, English with ``lang=en``).

This module builds their view models, plain data drawn from the same JSON the API answers (so a page never says
more than the data), and renders them with the templates ``green/report.html`` and ``green/leader.html``
(:func:`backend.pages.templating.render`: autoescape, one layout, one stylesheet). Words are catalogue messages,
translated by the templates; the domain's words (levels, kinds, standings, reasons, business steps, units) come from
:mod:`supplychain.vocabulary`. The pages are plain HTML with an inline SVG chart (no script, no CDN); narrow
screens get one column, wide tables scroll sideways.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlencode

from backend.pages.templating import render
from supplychain import vocabulary as words
from supplychain.i18n import Lang, other_lang

__all__ = ["leader_page", "leader_view", "report_page", "report_view", "share_chart"]

CHART_LOTS: Final = 40
"""The chart shows the first lots; the page says how many more there are."""


def _short(identifier: str) -> str:
    """The readable tail of a Digital Link: ``01/069.../10/LOT`` -> ``069.../LOT``."""
    parts = identifier.removeprefix("https://id.gs1.org/").split("/")
    return "/".join(parts[1::2]) if len(parts) >= 2 and len(parts) % 2 == 0 else identifier


def _day(iso: str | None) -> str | None:
    """The date of an RFC 3339 time (``None`` stays ``None``: the template shows ``—``)."""
    return None if iso is None else iso[:10]


def _pct(share: float | None) -> str | None:
    return None if share is None else f"{share * 100:.1f}%"


def _unit(code: str | None) -> dict[str, str | None]:
    """A unit of measure: its message when the vocabulary knows it, else its code."""
    return {"word": words.UNITS.get(code), "code": code}


def _word(table: Mapping[str, str], code: str | None) -> dict[str, str | None]:
    """A coded word (a standing, a warning, a preference): its code (the badge's class) and its message (``None``
    for a code the vocabulary does not know: the page shows the code)."""
    return {"code": code, "word": table.get(code or "")}


def _recognition_name(level: str, kind: str) -> dict[str, str]:
    """``省级绿色工厂`` / ``provincial green factory``: the two messages (an unknown name stands for itself)."""
    return {"level": words.level(level) or level, "kind": words.kind(kind) or kind}


def _switch(path: str, query: Mapping[str, str], lang: Lang) -> str:
    params = {k: v for k, v in query.items() if k != "lang"}
    params["lang"] = other_lang(lang)
    return f"{path}?{urlencode(params)}"


def share_chart(lots: Sequence[Mapping[str, Any]], *, limit: int = CHART_LOTS) -> dict[str, Any]:
    """The chart of each lot's green share (the first ``limit`` lots) as numbers the template draws (inline SVG)."""
    shown = list(lots[:limit])
    row, label_w, bar_w = 26, 190, 360
    height = row * len(shown) + 30
    bars = []
    for i, lot in enumerate(shown):
        share = lot.get("share")
        bars.append(
            {
                "y": 6 + i * row,
                "label": _short(str(lot["identifier"]))[-28:],
                "width": 0 if share is None else round(bar_w * float(share)),
                "pct": _pct(share),
            }
        )
    return {
        "width": label_w + bar_w + 70,
        "height": height,
        "label_w": label_w,
        "bar_w": bar_w,
        "ticks": [{"x": label_w + bar_w * tick // 100, "label": f"{tick}%"} for tick in (0, 50, 100)],
        "bars": bars,
        "more": max(len(lots) - limit, 0),
    }


def _summary(report: Mapping[str, Any]) -> dict[str, Any]:
    """The report's figures: lots, green share per unit, lapses."""
    return {
        "lots": len(report["lots"]),
        "totals": [
            {
                "unit": _unit(t["unit"]),
                "pct": _pct(t["share"]),
                "green": t["greenQuantity"],
                "total": t["totalQuantity"],
            }
            for t in report["totals"]
        ],
        "lapses": len(report["lapses"]),
    }


def _lapses(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "holder": x["holder"],
            "id": x["recognitionId"],
            "name": _recognition_name(x["level"], x["kind"]),
            "status": _word(words.STANDINGS, x["status"]),
            "since": _day(x["at"]),
            "reason": {"code": x["reason"], "word": words.reason(x["reason"])},
        }
        for x in report["lapses"]
    ]


def report_view(report: Mapping[str, Any], lang: Lang, *, path: str, query: Mapping[str, str]) -> dict[str, Any]:
    """The view model of the report page."""
    json_query = {k: v for k, v in query.items() if k != "lang"} | {"format": "json"}
    return {
        "organisation": report["organisation"],
        "period": {"from": report["from"], "to": report["to"]},
        "truncated": bool(report.get("truncated")),
        "summary": _summary(report),
        "chart": share_chart(report["lots"]),
        "rule": report["rule"],
        "lots": [
            {
                "id": _short(lot["identifier"]),
                "made": _day(lot["madeAt"]),
                "pct": _pct(lot["share"]),
                "green": lot["greenQuantity"],
                "total": lot["totalQuantity"],
                "unit": _unit(lot["unit"]),
            }
            for lot in report["lots"]
        ],
        "inputs": [
            {
                "id": _short(s["identifier"]),
                "supplier": s["supplier"],
                "quantity": s["quantity"],
                "unit": _unit(s["uom"]),
                "supplied": _day(s["suppliedAt"]),
                "green": _word(words.STANDINGS | words.PREFERENCES, "in_force" if s["green"] else "not_recognised"),
            }
            for s in report["inputs"]
        ],
        "lapses": _lapses(report),
        "json_href": f"{path}?{urlencode(json_query)}",
        "switch_href": _switch(path, query, lang),
    }


def report_page(report: Mapping[str, Any], lang: Lang, *, path: str, query: Mapping[str, str]) -> str:
    """The report (``GET /reports/green-supply-chain`` as a page): totals, chart, lots, inputs, lapses."""
    return render("green/report.html", lang, report_view(report, lang, path=path, query=query))


def _supplier(s: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    recognitions, spot = [], []
    for r in s["recognitions"]:
        at_supply = r["statusAtLastSupply"]
        recognitions.append(
            {
                "id": r["recognitionId"],
                "name": _recognition_name(r["level"], r["kind"]),
                "status": _word(words.STANDINGS, r["status"]),
                "days_left": r["expiresInDays"],
                "at_supply": _word(words.STANDINGS, at_supply) if at_supply and at_supply != r["status"] else None,
            }
        )
        if r["spotChecks"] or r["exemptUntil"]:
            spot.append(
                {
                    "id": r["recognitionId"],
                    "marks": "".join("✓" if c["passed"] else "✗" for c in r["spotChecks"]),
                    "passes": r["passesInARow"],
                    "exempt_until": _day(r["exemptUntil"]),
                }
            )
    return {
        "rank": s["rank"],
        "organisation": s["organisationId"],
        "region": s["region"]["nameZh" if lang == "zh-CN" else "nameEn"],
        "preference": _word(words.PREFERENCES, s["preference"]),
        "explanation": s["explanation"]["en"],
        "recognitions": recognitions,
        "spot": spot,
        "green_supplies": s["greenSupplies"],
        "supplies": s["supplyCount"],
        "last_supplied": _day(s["lastSuppliedAt"]),
        "warnings": [_word(words.SUPPLIER_WARNINGS, w) for w in s["warnings"]],
    }


def _impact(impact: Mapping[str, Any], org: str) -> dict[str, Any]:
    r = impact["recognition"]
    rows = []
    for item in impact["items"]:
        if item["kind"] not in ("lot", "serial"):
            continue
        seen = item["lastSeen"] or {}
        step = seen.get("bizStep")
        rows.append(
            {
                "id": _short(item["identifier"]),
                "mine": item["madeBy"] == org,
                "step": {"code": step, "word": words.step(step)},
                "location": seen.get("location"),
                "when": _day(seen.get("eventTime")),
            }
        )
    return {
        "id": r["recognitionId"],
        "holder": impact["holder"],
        "name": _recognition_name(r["level"], r["kind"]),
        "status": _word(words.STANDINGS, r["status"]),
        "lapsed": _day(impact["lapsedAt"]),
        "rows": rows,
    }


def leader_view(
    suppliers: Mapping[str, Any],
    report: Mapping[str, Any],
    impacts: Sequence[Mapping[str, Any]],
    lang: Lang,
    *,
    path: str,
    query: Mapping[str, str],
) -> dict[str, Any]:
    """The view model of the leader's page."""
    org = suppliers["organisation"]
    return {
        "organisation": org,
        "at": suppliers["at"],
        "period": {"from": _day(report["from"]), "to": _day(report["to"])},
        "truncated": bool(suppliers.get("truncated") or report.get("truncated")),
        "rule": suppliers["rule"]["en"],
        "suppliers": [_supplier(s, lang) for s in suppliers["suppliers"]],
        "unknown_origin": list(suppliers["unknownOrigin"]),
        "summary": _summary(report),
        "chart": share_chart(report["lots"]),
        "lapses": _lapses(report),
        "impacts": [_impact(i, org) for i in impacts],
        "switch_href": _switch(path, query, lang),
    }


def leader_page(
    suppliers: Mapping[str, Any],
    report: Mapping[str, Any],
    impacts: Sequence[Mapping[str, Any]],
    lang: Lang,
    *,
    path: str,
    query: Mapping[str, str],
) -> str:
    """The leader's page: qualified suppliers, the report's summary and chart, the impact lists."""
    return render("green/leader.html", lang, leader_view(suppliers, report, impacts, lang, path=path, query=query))
