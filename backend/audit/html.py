"""The audit report as one self-contained HTML page (inline CSS and SVG): Chinese by default, English on request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backend.audit.report import AuditReport, blocks_text
from supplychain.audit import CODES, Severity
from supplychain.text import escape_html as escape

__all__ = ["LANGUAGES", "MEANINGS_ZH", "meaning", "render_html"]

LANGUAGES = ("zh-CN", "en")

_TEXT: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "监管审计报告",
        "subtitle": "区块链溯源平台：重放链上登记，核对平台记录",
        "generated": "生成时间",
        "platform": "平台",
        "chain": "链",
        "registry": "登记合约",
        "blocks": "读取的区块",
        "verdict": "结论",
        "pass": "通过：未发现严重或高风险问题",
        "fail": "未通过：发现严重或高风险问题",
        "summary": "概要",
        "events": "本次核查事件",
        "rechecked": "复查事件",
        "total": "累计核查事件",
        "rate": "速率（事件/秒）",
        "wall": "耗时（秒）",
        "batches": "批次记录",
        "roots": "核对的链上根",
        "registry_events": "读取的链上登记事件",
        "findings": "发现",
        "chart": "事件与锚定随时间分布",
        "chart_events": "事件（按接收时间）",
        "chart_anchors": "锚定（按区块时间）",
        "by_org": "按组织与严重程度",
        "organisation": "组织",
        "details": "发现明细",
        "severity": "严重程度",
        "code": "代码",
        "message": "说明",
        "meaning": "含义",
        "evidence": "证据",
        "none": "未发现问题。",
        "more": "另有 {n} 条同类发现未列出（已计数）。",
        "sample": "抽查抽样",
        "sample_how": '在审计时点有效且不在免检期内的认定，按 sha256("种子:认定编号") 排序，取前 {n} 个。',
        "seed": "种子",
        "recognition": "认定编号",
        "holder": "持有组织",
        "kind": "类型",
        "level": "级别",
        "notes": "说明",
        "codes": "代码说明",
        "critical": "严重",
        "high": "高",
        "medium": "中",
        "info": "提示",
        "platform_org": "平台",
        "no_sample": "没有可抽查的认定。",
    },
    "en": {
        "title": "Regulator's audit report",
        "subtitle": "Blockchain traceability: the chain's registry replayed, the platform's records reconciled",
        "generated": "Generated",
        "platform": "Platform",
        "chain": "Chain",
        "registry": "Registry",
        "blocks": "Blocks read",
        "verdict": "Verdict",
        "pass": "Pass: nothing critical or high was found",
        "fail": "Fail: critical or high findings",
        "summary": "Summary",
        "events": "Events checked",
        "rechecked": "Events checked again",
        "total": "Events checked, all runs",
        "rate": "Rate (events/s)",
        "wall": "Wall time (s)",
        "batches": "Batch records",
        "roots": "On-chain roots reconciled",
        "registry_events": "Registry events read",
        "findings": "Findings",
        "chart": "Events and anchors over time",
        "chart_events": "events (by receipt time)",
        "chart_anchors": "anchors (by block time)",
        "by_org": "By organisation and severity",
        "organisation": "Organisation",
        "details": "Findings in detail",
        "severity": "Severity",
        "code": "Code",
        "message": "Message",
        "meaning": "Meaning",
        "evidence": "Evidence",
        "none": "Nothing was found.",
        "more": "{n} more findings of these codes are counted but not listed.",
        "sample": "Spot-check sample",
        "sample_how": (
            'Recognitions in force and not exempt at the audit, ranked by sha256("seed:recognition id"); the first {n}.'
        ),
        "seed": "Seed",
        "recognition": "Recognition",
        "holder": "Holder",
        "kind": "Kind",
        "level": "Level",
        "notes": "Notes",
        "codes": "Codes",
        "critical": "critical",
        "high": "high",
        "medium": "medium",
        "info": "info",
        "platform_org": "platform",
        "no_sample": "No recognition can be drawn.",
    },
}
MEANINGS_ZH: dict[str, str] = {
    "record_unreadable": (
        "导出记录无法读取（字段缺失或格式错误），或平台自己标明该记录的存储字段无法读取（存储损坏）：责任在平台，与事件签署方无关"
    ),
    "hash_mismatch": "由存储的文档重新计算的事件哈希与存储的不一致（记录被篡改）",
    "bad_signature": "签名无法用其密钥验证",
    "audited_event_changed": "此前审计过的事件记录已被改动",
    "audited_event_missing": "此前审计过的事件已不在导出中（被删除）",
    "event_inserted_into_audited_range": "在已审计范围内（低于上次审计的最后编号）出现了新事件（事后插入）",
    "key_not_registered": "签名密钥未在链上登记给该组织",
    "key_not_valid_at_event_time": "签名密钥在事件发生时无效（如已吊销）",
    "signed_after_key_compromise": "签名密钥已因泄露被吊销，而该签名在吊销之后才上链或被接收（可能是盗用密钥者所签）",
    "biz_step_not_allowed": "该组织在当时的角色不允许此业务步骤",
    "column_mismatch": (
        "平台记录的事件索引字段（时间、业务步骤、地点等）或所引绿色认定及其状态，与签名文档和链上记录不一致"
    ),
    "proof_invalid": "默克尔证明不能导出该事件的根",
    "link_missing": "已锚定事件提及某标识，却没有承诺它的故事链接",
    "link_wrong": "已承诺的故事链接与事件不符（值、证明、标识或前一事件）",
    "root_not_on_chain": "事件的根既不在链上，也不是平台列出的批次",
    "anchored_late": "锚定晚于平台回执承诺的期限",
    "anchored_before_event_time": "事件在其声称的时间之前很久就已锚定（签名方倒填了日期）",
    "received_after_anchor": "平台记录的接收时间晚于该事件的锚定时间（接收记录不实）",
    "not_anchored": "超过期限仍未锚定",
    "batch_not_on_chain": "平台声称已锚定的批次不在链上",
    "leaf_withheld": "链上已锚定的根缺少平台记录中的叶子（数据被隐瞒）",
    "leaf_count_mismatch": "平台记录的批次叶子数与链上不一致",
    "root_unknown_to_platform": "平台锚定账户在链上锚定的根不在平台导出中",
    "root_unattributed": (
        "链上有一个根不在平台导出中，其锚定账户不是平台导出的任何根所用的账户（若属平台，请用 --anchorer 指明）"
    ),
    "anchor_remade": "开发链重置后重新锚定的批次",
    "batch_anchor_mismatch": "平台记录的批次锚定信息（区块、序号、交易）缺失或与链上不一致，该批次的证明包都将验证失败",
    "master_data_invalid": "产品主数据的哈希、签名、签名密钥或签名企业对该商品条码的权利不成立",
    "green_claim_while_lapsed": "引用的绿色认定在事件发生时已暂停、撤销（摘牌）或过期",
    "green_claim_unfounded": "引用的绿色认定不存在、属于他人或尚未生效",
    "not_gtin_owner": "事件赋码或生产了他人商品条码（GTIN）下的产品，且未获其委托",
    "chronology_shipped_before_produced": "先发货后生产（赋码）",
    "chronology_sold_before_received": "零售商在收货之前售出",
    "chronology_sold_before_produced": "生产（赋码）之前就已售出",
    "chronology_two_places_at_once": "同一序列号在时间窗口内出现在两个地点，且后一地点没有到货记录",
}
_LEVELS_ZH = {"city": "市级", "provincial": "省级", "national": "国家级"}
_COLOURS = {"critical": "#b00020", "high": "#d9480f", "medium": "#b08900", "info": "#1c6dd0"}
_CSS = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem auto;max-width:1100px;color:#1d1d1f}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
.sub{color:#555;margin-top:0}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f5f5f7}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:.6rem}
.figure{border:1px solid #ddd;border-radius:6px;padding:.6rem}.figure b{display:block;font-size:1.4rem}
.verdict{padding:.7rem 1rem;border-radius:6px;color:#fff;font-weight:600}
.pass{background:#2b8a3e}.fail{background:#b00020}.sev{color:#fff;border-radius:4px;padding:0 .35rem}
code{font-size:.8rem;word-break:break-all}
"""


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%MZ")


def meaning(code: str, lang: str) -> str:
    """What a finding code means, in the report's language."""
    return MEANINGS_ZH[code] if lang == "zh-CN" else CODES[code][1]


def _chart(timeline: dict[str, Any], t: dict[str, str]) -> str:
    """Bars of events and anchors per time bucket (merged to at most 60 columns), as inline SVG."""
    events = [(int(a), int(b)) for a, b in timeline.get("events", [])]
    anchors = [(int(a), int(b)) for a, b in timeline.get("anchors", [])]
    points = events + anchors
    if not points:
        return f"<p>{escape(t['none'])}</p>"
    start = min(p[0] for p in points)
    end = max(p[0] for p in points) + int(timeline.get("bucketMs", 60_000))
    columns = 60
    width = max((end - start) / columns, 1.0)
    counts = [[0, 0] for _ in range(columns)]
    for series, pairs in ((0, events), (1, anchors)):
        for at, n in pairs:
            counts[min(int((at - start) / width), columns - 1)][series] += n
    top = [max(1, *(c[s] for c in counts)) for s in (0, 1)]
    w, h, left, bar = 720, 180, 40, 720 / columns
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w + left + 10} {h + 40}" width="100%" role="img">']
    parts.append(f'<line x1="{left}" y1="{h}" x2="{left + w}" y2="{h}" stroke="#999"/>')
    for i, (n_events, n_anchors) in enumerate(counts):
        x = left + i * bar
        if n_events:
            height = h * n_events / top[0]
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{h - height:.1f}" width="{bar * 0.55:.1f}" height="{height:.1f}" '
                f'fill="#1c6dd0"><title>{n_events}</title></rect>'
            )
        if n_anchors:
            height = h * n_anchors / top[1]
            parts.append(
                f'<rect x="{x + bar * 0.6:.1f}" y="{h - height:.1f}" width="{bar * 0.3:.1f}" height="{height:.1f}" '
                f'fill="#e8590c"><title>{n_anchors}</title></rect>'
            )
    parts.append(f'<text x="{left}" y="{h + 16}" font-size="11">{escape(_when(start))}</text>')
    parts.append(f'<text x="{left + w}" y="{h + 16}" font-size="11" text-anchor="end">{escape(_when(end))}</text>')
    legend = ((left, "#1c6dd0", "chart_events", top[0]), (left + 300, "#e8590c", "chart_anchors", top[1]))
    for x, colour, name, most in legend:
        parts.append(f'<text x="{x}" y="12" font-size="11" fill="{colour}">■ {escape(t[name])} (max {most})</text>')
    parts.append("</svg>")
    return "".join(parts)


def _badge(severity: str, t: dict[str, str]) -> str:
    return f'<span class="sev" style="background:{_COLOURS[severity]}">{escape(t[severity])}</span>'


def _head(report: AuditReport, t: dict[str, str], lang: str) -> list[str]:
    out = [f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(t["title"])}</title>']
    out.append(f"<style>{_CSS}</style></head><body>")
    out.append(f'<h1>{escape(t["title"])}</h1><p class="sub">{escape(t["subtitle"])}</p>')
    chain, blocks = report.chain, report.blocks
    rows = [
        (t["generated"], report.generated_at),
        (t["platform"], report.platform),
        (t["chain"], f"{chain.get('chainId')} · {chain.get('rpc')} · genesis {chain.get('genesisHash')}"),
        (t["registry"], f"{chain.get('registry')} (block {chain.get('deploymentBlock')})"),
        (t["blocks"], blocks_text(blocks, lang)),
    ]
    out.append("<table>")
    out += [f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows]
    out.append("</table>")
    verdict = "fail" if report.serious else "pass"
    out.append(f'<p class="verdict {verdict}">{escape(t["verdict"])}: {escape(t[verdict])}</p>')
    return out


def _summary(report: AuditReport, t: dict[str, str]) -> list[str]:
    figures = [
        (t["events"], f"{report.events_checked:,}"),
        (t["rechecked"], f"{report.events_rechecked:,}"),
        (t["total"], f"{report.events_total:,}"),
        (t["rate"], f"{report.events_per_second:,.0f}"),
        (t["wall"], f"{report.wall_seconds:.2f}"),
        (t["batches"], f"{report.batches_read:,}"),
        (t["roots"], f"{report.roots_judged:,}"),
        (t["registry_events"], f"{report.registry_events:,}"),
    ]
    figures += [(f"{t['findings']} · {t[s.value]}", f"{report.by_severity[s.value]:,}") for s in Severity]
    out = [f"<h2>{escape(t['summary'])}</h2><div class='figures'>"]
    out += [f"<div class='figure'>{escape(k)}<b>{escape(v)}</b></div>" for k, v in figures]
    out.append("</div>")
    if report.notes:
        out.append(f"<h2>{escape(t['notes'])}</h2><ul>")
        out += [f"<li>{escape(n)}</li>" for n in report.notes]
        out.append("</ul>")
    out.append(f"<h2>{escape(t['chart'])}</h2>{_chart(report.timeline, t)}")
    return out


def _by_organisation(report: AuditReport, t: dict[str, str]) -> list[str]:
    out = [f"<h2>{escape(t['by_org'])}</h2>"]
    if not report.by_organisation:
        return [*out, f"<p>{escape(t['none'])}</p>"]
    head = "".join(f"<th>{_badge(s.value, t)}</th>" for s in Severity)
    out.append(f"<table><tr><th>{escape(t['organisation'])}</th>{head}</tr>")
    for org, counts in sorted(report.by_organisation.items()):
        name = t["platform_org"] if org == "platform" else org
        cells = "".join(f"<td>{counts.get(s.value, 0)}</td>" for s in Severity)
        out.append(f"<tr><td>{escape(name)}</td>{cells}</tr>")
    out.append("</table>")
    return out


def _details(report: AuditReport, t: dict[str, str], lang: str) -> list[str]:
    out = [f"<h2>{escape(t['details'])}</h2>"]
    findings = report.to_json()["findings"]
    if not findings:
        return [*out, f"<p>{escape(t['none'])}</p>"]
    columns = ("severity", "code", "organisation", "meaning", "message", "evidence")
    out.append("<table><tr>" + "".join(f"<th>{escape(t[c])}</th>" for c in columns) + "</tr>")
    for f in findings:
        evidence = "<br>".join(f"{escape(k)}: <code>{escape(str(v))}</code>" for k, v in f["evidence"].items())
        org = f["organisation"] or t["platform_org"]
        out.append(
            f"<tr><td>{_badge(f['severity'], t)}</td><td><code>{escape(f['code'])}</code></td>"
            f"<td>{escape(org)}</td><td>{escape(meaning(f['code'], lang))}</td><td>{escape(f['message'])}</td>"
            f"<td>{evidence}</td></tr>"
        )
    out.append("</table>")
    hidden = sum(report.counts.values()) - len(report.findings)
    if hidden:
        out.append(f"<p>{escape(t['more'].format(n=hidden))}</p>")
    return out


def _sample(report: AuditReport, t: dict[str, str], lang: str) -> list[str]:
    size = report.parameters.get("sampleSize", len(report.sample))
    out = [f"<h2>{escape(t['sample'])}</h2><p>{escape(t['sample_how'].format(n=size))}</p>"]
    out.append(f"<p>{escape(t['seed'])}: <code>{escape(report.seed)}</code> ({escape(report.seed_source)})</p>")
    if not report.sample:
        return [*out, f"<p>{escape(t['no_sample'])}</p>"]
    columns = ("recognition", "holder", "kind", "level")
    out.append("<table><tr><th>#</th>" + "".join(f"<th>{escape(t[c])}</th>" for c in columns) + "</tr>")
    for i, drawn in enumerate(report.sample, start=1):
        kind = drawn["kindZh"] if lang == "zh-CN" else drawn["kind"]
        level = _LEVELS_ZH.get(drawn["level"], drawn["level"]) if lang == "zh-CN" else drawn["level"]
        out.append(
            f"<tr><td>{i}</td><td>{drawn['recognitionId']}</td><td>{escape(drawn['holder'])}</td>"
            f"<td>{escape(kind)}</td><td>{escape(level)}</td></tr>"
        )
    out.append("</table>")
    return out


def render_html(report: AuditReport, lang: str = "zh-CN") -> str:
    """The report as HTML in ``lang`` (``zh-CN`` or ``en``).

    Raises:
        ValueError: An unknown language.
    """
    if lang not in _TEXT:
        raise ValueError(f"unknown report language {lang!r}; use one of {', '.join(LANGUAGES)}")
    t = _TEXT[lang]
    out = _head(report, t, lang) + _summary(report, t) + _by_organisation(report, t) + _details(report, t, lang)
    out += _sample(report, t, lang)
    out.append(f"<h2>{escape(t['codes'])}</h2><table>")
    for code, (severity, _) in CODES.items():
        out.append(
            f"<tr><td><code>{code}</code></td><td>{_badge(severity.value, t)}</td>"
            f"<td>{escape(meaning(code, lang))}</td></tr>"
        )
    out.append("</table></body></html>")
    return "".join(out)
