"""Server-rendered pages of the green views: the report and the leader's page (zh-CN first, English with ``lang=en``).

Plain HTML with inline CSS and an inline SVG chart (no script, no CDN), drawn from the same JSON the API answers,
so a page never says more than the data. Every value is escaped (:func:`supplychain.text.escape_html`).
Narrow screens get one column; wide tables scroll sideways.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from supplychain.text import escape_html as escape

__all__ = ["leader_page", "report_page", "share_chart"]

_TEXT: dict[str, tuple[str, str]] = {
    "leader": ("绿色供应链管理看板", "Green supply-chain dashboard"),
    "report": ("绿色供应链报告", "Green supply-chain report"),
    "organisation": ("企业", "Organisation"),
    "period": ("报告期", "Period"),
    "at": ("数据时间", "As at"),
    "suppliers": ("合格供应商名录", "Qualified suppliers"),
    "rule": ("规则", "Rule"),
    "supplier": ("供应商", "Supplier"),
    "preference": ("优先级", "Preference"),
    "recognitions": ("认定", "Recognitions"),
    "spot": ("抽查", "Spot checks"),
    "supplies": ("供货", "Supplies"),
    "warnings": ("提示", "Warnings"),
    "chart": ("各批次投入品绿色占比", "Green share of each lot's inputs"),
    "totals": ("合计", "Totals"),
    "lots": ("批次", "Lots"),
    "made": ("生产时间", "Made"),
    "share": ("绿色占比", "Green share"),
    "quantity": ("数量", "Quantity"),
    "inputs": ("投入品", "Inputs"),
    "supplied": ("供货时间", "Supplied"),
    "green": ("绿色", "Green"),
    "lapses": ("期内认定失效", "Recognitions that lapsed in the period"),
    "impact": ("暂停 / 摘牌影响清单", "Impact of suspensions and revocations"),
    "impact_note": (
        "认定失效后用该供应商投入品生产的批次和单品，及其最新位置。",
        "Lots and serials made with the supplier's inputs supplied after the lapse, and where they are now.",
    ),
    "item": ("批次 / 单品", "Lot / serial"),
    "where": ("最新位置", "Last seen"),
    "yours": ("本企业", "yours"),
    "none": ("无", "None"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "recognition": ("认定", "Recognition"),
    "status": ("状态", "Status"),
    "since": ("时间", "Since"),
    "truncated": ("数据量超出上限，结果不完整。", "Too many events: the result is incomplete."),
    "json": ("JSON 数据", "JSON data"),
    "unknown_origin": ("来源不明的投入品", "Inputs of unknown origin"),
    "passes": ("连续通过", "passes in a row"),
    "exempt": ("免检至", "exempt until"),
    "expires": ("剩余天数", "days left"),
    "reason": ("原因", "Reason"),
    "switch": ("English", "中文"),
    "at_supply": ("供货时", "when it supplied"),
    "when": ("时间", "When"),
}
_WORDS: dict[str, tuple[str, str]] = {
    "in_force": ("有效", "in force"),
    "suspended": ("暂停", "suspended"),
    "revoked": ("撤销（摘牌）", "revoked"),
    "expired": ("已过期", "expired"),
    "not_yet_valid": ("未生效", "not yet valid"),
    "preferred": ("优先", "preferred"),
    "review": ("复核", "review"),
    "not_recognised": ("未认定", "not recognised"),
    "expires_soon": ("即将到期", "expires soon"),
    "lapsed_since_supply": ("供货后失效", "lapsed since it supplied"),
    "spot_check_failed": ("抽查未通过", "spot check failed"),
    "city": ("市级", "city"),
    "provincial": ("省级", "provincial"),
    "national": ("国家级", "national"),
    "green_factory": ("绿色工厂", "green factory"),
    "green_product": ("绿色设计产品", "green product"),
    "green_park": ("绿色园区", "green park"),
    "green_supply_chain": ("绿色供应链管理企业", "green supply-chain enterprise"),
    "data_falsified": ("弄虚作假", "data falsified"),
    "refused_to_report": ("拒不报送", "refused to report"),
    "safety_incident": ("安全事故", "safety incident"),
    "quality_incident": ("质量事故", "quality incident"),
    "environmental_incident": ("环境事件", "environmental incident"),
    "holder_request": ("企业申请", "at the holder's request"),
    "issued_in_error": ("认定有误", "issued in error"),
    "rectified": ("整改完成", "rectified"),
    "dissolved": ("企业注销", "dissolved"),
}

_STYLE = """
*{box-sizing:border-box}body{margin:0;font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;
background:#f3f6f4;color:#1b2b22;line-height:1.45}main{max-width:64rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.3rem 0}h2{font-size:1.1rem;margin:0 0 .6rem}header p{margin:.2rem 0;color:#4b5b52}
section{background:#fff;border-radius:.75rem;padding:1rem;margin:1rem 0;box-shadow:0 1px 3px #0002}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e3e9e5;vertical-align:top}
th{background:#f7faf8;white-space:nowrap}code,.id{font-family:ui-monospace,monospace;font-size:.8rem;
overflow-wrap:anywhere}.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:.8rem;
white-space:nowrap}.preferred,.in_force{background:#dff3e7;color:#17603a}.review,.suspended,.expires_soon,
.expired,.lapsed_since_supply{background:#fff1d6;color:#8a5a00}.revoked,.spot_check_failed{background:#fde2e0;
color:#9b2c22}.not_recognised,.not_yet_valid{background:#eceff1;color:#455a64}.rule{background:#f0f7f3;
border-left:.3rem solid #1e7d4f;padding:.6rem .8rem;margin:0 0 .8rem}.warn{color:#9b2c22}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.6rem}.card{background:#f7faf8;
border-radius:.5rem;padding:.6rem}.card b{display:block;font-size:1.4rem}nav a{color:#1e7d4f}svg{max-width:100%;
height:auto}ul.plain{margin:.2rem 0;padding-left:1.1rem}
"""


def _t(key: str, lang: str) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def _w(word: str | None, lang: str) -> str:
    if word is None:
        return "—"
    zh, en = _WORDS.get(word, (word, word.replace("_", " ")))
    return zh if lang == "zh" else en


def _named(level: str, kind: str, lang: str) -> str:
    """``省级绿色工厂`` / ``provincial green factory``."""
    return escape(_w(level, lang) + ("" if lang == "zh" else " ") + _w(kind, lang))


def _e(value: object) -> str:
    return "—" if value is None else escape(str(value))


def _badge(word: str, lang: str) -> str:
    return f'<span class="badge {escape(word)}">{escape(_w(word, lang))}</span>'


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def _short(identifier: str) -> str:
    """The readable tail of a Digital Link: ``01/069.../10/LOT`` -> ``069.../LOT``."""
    parts = identifier.removeprefix("https://id.gs1.org/").split("/")
    return "/".join(parts[1::2]) if len(parts) >= 2 and len(parts) % 2 == 0 else identifier


def _day(iso: str | None) -> str:
    return "—" if iso is None else escape(iso[:10])


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], lang: str) -> str:
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    if not body:
        return f"<p>{_t('none', lang)}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _page(title: str, header: str, body: str, lang: str, switch: str) -> str:
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body><main>"
        f'<nav><a href="{escape(switch)}" lang="{"en" if lang == "zh" else "zh-CN"}">{_t("switch", lang)}</a></nav>'
        f"<header>{header}</header>{body}</main></body></html>\n"
    )


def _switch(path: str, query: Mapping[str, str], lang: str) -> str:
    params = {k: v for k, v in query.items() if k != "lang"}
    params["lang"] = "en" if lang == "zh" else "zh"
    return f"{path}?{urlencode(params)}"


def share_chart(lots: Sequence[Mapping[str, Any]], lang: str, *, limit: int = 40) -> str:
    """An inline SVG bar chart of each lot's green share (the first ``limit`` lots)."""
    shown = list(lots[:limit])
    if not shown:
        return f"<p>{_t('none', lang)}</p>"
    row, label_w, bar_w = 26, 190, 360
    height = row * len(shown) + 30
    title = _t("chart", lang)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {label_w + bar_w + 70} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for tick in (0, 50, 100):
        x = label_w + bar_w * tick // 100
        parts.append(f'<line x1="{x}" y1="4" x2="{x}" y2="{height - 22}" stroke="#cfd8d3" stroke-dasharray="3 3"/>')
        parts.append(
            f'<text x="{x}" y="{height - 6}" font-size="11" text-anchor="middle" fill="#4b5b52">{tick}%</text>'
        )
    for i, lot in enumerate(shown):
        y = 6 + i * row
        share = lot.get("share")
        width = 0 if share is None else round(bar_w * float(share))
        label = escape(_short(str(lot["identifier"]))[-28:])
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" font-size="11" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="16" fill="#eef2ef" rx="3"/>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="16" fill="#2e9e64" rx="3"/>')
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 15}" font-size="11">{_pct(share)}</text>')
    parts.append("</svg>")
    more = f"<p>… {len(lots) - limit}</p>" if len(lots) > limit else ""
    return "".join(parts) + more


def _cards(report: Mapping[str, Any], lang: str) -> str:
    cards = [f'<div class="card">{_t("lots", lang)}<b>{len(report["lots"])}</b></div>']
    for total in report["totals"]:
        unit = total["unit"] or ("件" if lang == "zh" else "items")
        cards.append(
            f'<div class="card">{_t("share", lang)} ({escape(unit)})<b>{_pct(total["share"])}</b>'
            f"{_e(total['greenQuantity'])} / {_e(total['totalQuantity'])}</div>"
        )
    cards.append(f'<div class="card">{_t("lapses", lang)}<b>{len(report["lapses"])}</b></div>')
    return f'<div class="cards">{"".join(cards)}</div>'


def _lapses(report: Mapping[str, Any], lang: str) -> str:
    heads = [_t("supplier", lang), _t("recognition", lang), _t("status", lang), _t("since", lang), _t("reason", lang)]
    rows = [
        (
            f'<span class="id">{_e(x["holder"])}</span>',
            f"#{_e(x['recognitionId'])} {_named(x['level'], x['kind'], lang)}",
            _badge(x["status"], lang),
            _day(x["at"]),
            escape(_w(x["reason"], lang)),
        )
        for x in report["lapses"]
    ]
    return _table(heads, rows, lang)


def _truncated(*answers: Mapping[str, Any], lang: str) -> str:
    return f'<p class="warn">{_t("truncated", lang)}</p>' if any(a.get("truncated") for a in answers) else ""


def report_page(report: Mapping[str, Any], lang: str, *, path: str, query: Mapping[str, str]) -> str:
    """The report (``GET /reports/green-supply-chain`` as a page): totals, chart, lots, inputs, lapses."""
    org = escape(report["organisation"])
    header = (
        f"<h1>{_t('report', lang)}</h1><p>{_t('organisation', lang)}: <code>{org}</code></p>"
        f"<p>{_t('period', lang)}: {_e(report['from'])} – {_e(report['to'])}</p>"
    )
    lots = [
        (
            f'<span class="id">{_e(_short(lot["identifier"]))}</span>',
            _day(lot["madeAt"]),
            _pct(lot["share"]),
            f"{_e(lot['greenQuantity'])} / {_e(lot['totalQuantity'])} {_e(lot['unit'] or '')}",
        )
        for lot in report["lots"]
    ]
    inputs = [
        (
            f'<span class="id">{_e(_short(s["identifier"]))}</span>',
            f'<span class="id">{_e(s["supplier"])}</span>',
            f"{_e(s['quantity'])} {_e(s['uom'] or '')}",
            _day(s["suppliedAt"]),
            _badge("in_force", lang) if s["green"] else _badge("not_recognised", lang),
        )
        for s in report["inputs"]
    ]
    heads_lots = [_t("lots", lang), _t("made", lang), _t("share", lang), _t("quantity", lang)]
    heads_in = [_t("inputs", lang), _t("supplier", lang), _t("quantity", lang), _t("supplied", lang), _t("green", lang)]
    json_link = f"{path}?{urlencode({k: v for k, v in query.items() if k != 'lang'} | {'format': 'json'})}"
    body = (
        f"<section>{_truncated(report, lang=lang)}{_cards(report, lang)}</section>"
        f"<section><h2>{_t('chart', lang)}</h2>{share_chart(report['lots'], lang)}"
        f'<p class="rule" lang="en">{escape(report["rule"])}</p></section>'
        f"<section><h2>{_t('lots', lang)}</h2>{_table(heads_lots, lots, lang)}</section>"
        f"<section><h2>{_t('inputs', lang)}</h2>{_table(heads_in, inputs, lang)}</section>"
        f"<section><h2>{_t('lapses', lang)}</h2>{_lapses(report, lang)}</section>"
        f'<p><a href="{escape(json_link)}">{_t("json", lang)}</a></p>'
    )
    return _page(f"{_t('report', lang)} · {report['organisation']}", header, body, lang, _switch(path, query, lang))


def _recognitions(supplier: Mapping[str, Any], lang: str) -> str:
    items = []
    for r in supplier["recognitions"]:
        extra = ""
        if r["expiresInDays"] is not None:
            extra += f" · {_t('expires', lang)} {r['expiresInDays']}"
        if r["statusAtLastSupply"] and r["statusAtLastSupply"] != r["status"]:
            extra += f" · {_t('at_supply', lang)}: {escape(_w(r['statusAtLastSupply'], lang))}"
        items.append(
            f"<li>#{r['recognitionId']} {_named(r['level'], r['kind'], lang)} {_badge(r['status'], lang)}{extra}</li>"
        )
    return f'<ul class="plain">{"".join(items)}</ul>' if items else _t("none", lang)


def _spot(supplier: Mapping[str, Any], lang: str) -> str:
    lines = []
    for r in supplier["recognitions"]:
        checks = r["spotChecks"]
        if not checks and not r["exemptUntil"]:
            continue
        marks = "".join("✓" if c["passed"] else "✗" for c in checks)
        line = f"#{r['recognitionId']} {marks} ({_t('passes', lang)} {r['passesInARow']})"
        if r["exemptUntil"]:
            line += f" · {_t('exempt', lang)} {_day(r['exemptUntil'])}"
        lines.append(f"<li>{line}</li>")
    return f'<ul class="plain">{"".join(lines)}</ul>' if lines else "—"


def _suppliers(answer: Mapping[str, Any], lang: str) -> str:
    rule = answer["rule"]["zh" if lang == "zh" else "en"]
    heads = [
        "#",
        _t("supplier", lang),
        _t("preference", lang),
        _t("recognitions", lang),
        _t("spot", lang),
        _t("supplies", lang),
        _t("warnings", lang),
    ]
    rows = []
    for s in answer["suppliers"]:
        region = s["region"]["nameZh" if lang == "zh" else "nameEn"]
        supplies = f"{s['greenSupplies']} / {s['supplyCount']} {_t('green', lang)}"
        rows.append(
            (
                str(s["rank"]),
                f'<span class="id">{_e(s["organisationId"])}</span><br><small>{_e(region)}</small>',
                f"{_badge(s['preference'], lang)}<br><small>{_e(s['explanation'][lang])}</small>",
                _recognitions(s, lang),
                _spot(s, lang),
                f"{supplies}<br><small>{_day(s['lastSuppliedAt'])}</small>",
                " ".join(_badge(w, lang) for w in s["warnings"]) or "—",
            )
        )
    unknown = ""
    if answer["unknownOrigin"]:
        names = "".join(f'<li class="id">{_e(i)}</li>' for i in answer["unknownOrigin"])
        unknown = f'<p>{_t("unknown_origin", lang)}:</p><ul class="plain">{names}</ul>'
    return f'<p class="rule">{escape(rule)}</p>{_table(heads, rows, lang)}{unknown}'


def _impacts(impacts: Sequence[Mapping[str, Any]], org: str, lang: str) -> str:
    if not impacts:
        return f"<p>{_t('none', lang)}</p>"
    parts = [f"<p>{_t('impact_note', lang)}</p>"]
    heads = [_t("item", lang), _t("where", lang), _t("when", lang)]
    for impact in impacts:
        r = impact["recognition"]
        parts.append(
            f"<h3>#{r['recognitionId']} <code>{_e(impact['holder'])}</code> {_named(r['level'], r['kind'], lang)} "
            f"{_badge(r['status'], lang)} {_day(impact['lapsedAt'])}</h3>"
        )
        rows = []
        for item in impact["items"]:
            if item["kind"] not in ("lot", "serial"):
                continue
            seen = item["lastSeen"] or {}
            mine = f' <span class="badge preferred">{_t("yours", lang)}</span>' if item["madeBy"] == org else ""
            where = f'{_e(seen.get("bizStep"))} · <span class="id">{_e(seen.get("location"))}</span>'
            rows.append(
                (f'<span class="id">{_e(_short(item["identifier"]))}</span>{mine}', where, _day(seen.get("eventTime")))
            )
        parts.append(_table(heads, rows, lang))
    return "".join(parts)


def leader_page(
    suppliers: Mapping[str, Any],
    report: Mapping[str, Any],
    impacts: Sequence[Mapping[str, Any]],
    lang: str,
    *,
    path: str,
    query: Mapping[str, str],
) -> str:
    """The leader's page: qualified suppliers, the report's summary and chart, the impact lists."""
    org = suppliers["organisation"]
    header = (
        f"<h1>{_t('leader', lang)}</h1><p>{_t('organisation', lang)}: <code>{escape(org)}</code></p>"
        f"<p>{_t('at', lang)}: {_e(suppliers['at'])} · {_t('period', lang)}: {_day(report['from'])} – "
        f"{_day(report['to'])}</p>"
    )
    body = (
        f"<section><h2>{_t('suppliers', lang)}</h2>{_truncated(suppliers, report, lang=lang)}"
        f"{_suppliers(suppliers, lang)}</section>"
        f"<section><h2>{_t('report', lang)}</h2>{_cards(report, lang)}<h3>{_t('chart', lang)}</h3>"
        f"{share_chart(report['lots'], lang)}<h3>{_t('lapses', lang)}</h3>{_lapses(report, lang)}</section>"
        f"<section><h2>{_t('impact', lang)}</h2>{_impacts(impacts, org, lang)}</section>"
    )
    return _page(f"{_t('leader', lang)} · {org}", header, body, lang, _switch(path, query, lang))
