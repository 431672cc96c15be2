"""The HTML of the consumer pages: the product page, its refusals (never issued, recalled, invalid) and the scan page.

Plain server-rendered HTML, zh-CN first and English with ``?lang=en``, with the CSS of ``backend/web/page.css``
inlined (one request per page, nothing from elsewhere) and the supply tree drawn as an inline SVG. The product
page has no script; the scan page loads only files the platform serves itself. Every value is escaped
(:func:`supplychain.text.escape_html`: bidi controls shown as ``\\u202E``); attributes are always double-quoted.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from backend.services.custody import (
    MAX_EVENT_IDENTIFIERS,
    MAX_LISTED_SUMMARIES,
    OUTSIDE_CUSTODY,
    TOO_MANY_IDENTIFIERS,
    counts_of,
)
from backend.services.issuance import REGULATOR
from supplychain.green import covers, location_of
from supplychain.registry import Grade, RecognitionKind, RecognitionState, RecognitionStatus
from supplychain.text import escape_html as escape
from supplychain.trace import IdentifierKind, Stage, TraceNode, gtin_of, identifier_kind
from supplychain.verify import EventVerdict, VerdictStatus

if TYPE_CHECKING:
    from backend.core.errors import ProblemError
    from backend.services.product_page import OrgLabel, ProductFacts
    from backend.services.scans import Checked, ScanStats

__all__ = [
    "DISPLAY_ZONE",
    "WEB_DIR",
    "item_label",
    "render_product_page",
    "render_refusal_page",
    "render_scan_page",
    "share_percent",
]

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DISPLAY_ZONE = timezone(timedelta(hours=8))
"""Times are shown in China Standard Time (UTC+8), the page says so."""
_CSS = re.sub(r"/\*.*?\*/|\n", "", (WEB_DIR / "page.css").read_text(encoding="utf-8"), flags=re.S)
_MAX_TREE_ROWS = 60

# --- words ---

_T: dict[str, tuple[str, str]] = {
    "brand": ("绿链溯源", "Green chain trace"),
    "switch": ("English", "中文"),
    "title": ("产品溯源", "Product trace"),
    "gtin_only": (
        "平台未登记产品名称，以商品条码显示。",
        "The platform does not know this product's name: it is shown by its GTIN.",
    ),
    "name_from": ("名称来自制造商签名的生产记录。", "The name comes from the maker's signed production record."),
    "signed_by": (
        "由 {org} 签名的产品主数据（第 {version} 版）",
        "signed by {org} (product master data, version {version})",
    ),
    "name_signed": (
        "名称来自商品条码所有者签名并上链的产品主数据。",
        "The name comes from the product master data its GTIN's owner signed and anchored on chain.",
    ),
    "product": ("产品信息", "Product"),
    "name": ("名称", "Name"),
    "gtin": ("商品条码", "GTIN"),
    "lot": ("批号", "Lot"),
    "serial": ("序列号", "Serial"),
    "made": ("生产日期", "Production date"),
    "maker": ("生产企业", "Maker"),
    "issued_by": ("发码企业", "Code issued by"),
    "issued_at": ("发码时间", "Code issued"),
    "tz": ("时间均为北京时间（UTC+8）。", "Times are China Standard Time (UTC+8)."),
    "trace_tag": ("溯源信息", "Traceability"),
    "anti_tag": ("防伪提示", "Anti-counterfeit"),
    "verify_tag": ("区块链验证", "Blockchain check"),
    "green_tag": ("绿色认定", "Green recognition"),
    "journey": ("流通历程", "Journey"),
    "no_journey": ("暂无流通记录。", "No journey recorded yet."),
    "supply": ("供应链来源", "Where it came from"),
    "supply_note": (
        "每个节点：原料或部件、生产企业，以及该企业在供货时的绿色认定（✓ 当时有效，✗ 当时无效）。",
        "Each node: a material or part, its maker, and the maker's green recognitions when it supplied "
        "(✓ in force then, ✗ not in force then).",
    ),
    "no_supply": ("没有记录上游原料。", "No upstream materials were recorded."),
    "green": ("投入品绿色占比", "Green share of its inputs"),
    "green_rule": (
        "按数量计，由供货时持有有效绿色工厂或绿色设计产品认定的供应商提供的投入品所占比例（多级逐层折算）。",
        "By quantity, the inputs supplied by makers that held a green-factory or green-design-product "
        "recognition in force when they supplied them (rolled up through every level).",
    ),
    "green_none": ("无法计算：缺少投入品的数量或来源。", "Cannot be computed: inputs lack quantities or origins."),
    "green_unknown": ("区块链暂不可达，无法核对认定。", "The chain cannot be reached to check recognitions."),
    "of": ("共", "of"),
    "verification": ("逐步验证", "Step by step"),
    "show_steps": ("展开 {n} 条记录的验证结果", "Show the checks of {n} records"),
    "verify_note": (
        "验证的是溯源记录的真实性（由谁记录、是否被改动、何时上链），不是商品本身的真伪。",
        "This checks the trace records (who recorded them, unaltered, when anchored), not the item itself.",
    ),
    "yourself": ("自己验证", "Verify it yourself"),
    "bundle": ("下载证明包（JSON）", "Download the proof bundle (JSON)"),
    "scanner": (
        "用独立的验证工具核对：它直接从区块链读取密钥、认定和锚定根，不依赖本平台。",
        "Check it with the independent verifier: it reads keys, recognitions and anchored roots from the chain "
        "itself, without trusting this platform.",
    ),
    "chain": ("链", "Chain"),
    "registry": ("注册合约", "Registry"),
    "links": ("全部链接（JSON）", "All links (JSON)"),
    "trace_json": ("溯源数据（JSON）", "Trace data (JSON)"),
    "scan_other": ("扫描其他二维码", "Scan another code"),
    "issued_ok": ("此码由本平台签发", "This code was issued by this platform"),
    "scans": ("查询次数", "Look-ups"),
    "places": ("查询网络数", "Networks"),
    "first_scan": ("首次查询", "First looked up"),
    "first_now": ("这是该码的首次查询。", "This is the first time this code is looked up."),
    "lot_code": (
        "这是批次码：同一批次的所有商品共用，不能用于单件防伪。",
        "This is a lot code, shared by every item of the lot: it cannot tell one item from a copy.",
    ),
    "blocks": ("计入提示的网段", "Blocks counted toward the hint"),
    "scan_rule": (
        "提示规则：最近 {days} 天内，同一序列号从至少 {blocks} 个不同网段（IPv4 /16、IPv6 /32）被查询，"
        "即提示可能被复制。每天最多计入 {per_day} 个此前未计入的网段，因此至少要有 {min_days} 天的查询才会提示，"
        "短时间内的大量查询不会触发提示；"
        "同一网络（IPv4 /24、IPv6 /48）一天只计一次。发码企业或监管部门核实后可以确认或解除提示。"
        "上面的查询次数和网络数是最近 {days} 天的。平台只保存网络和网段的加盐哈希，不保存 IP 地址。",
        "How the hint works: it appears when, within the last {days} days, one serial is looked up from at least "
        "{blocks} different address blocks (IPv4 /16, IPv6 /32). Each day adds at most {per_day} blocks not counted "
        "before, so it takes look-ups on at least {min_days} days: a burst of look-ups cannot trigger it. A network "
        "(IPv4 /24, IPv6 /48) counts once a day. The organisation that issued the code, or the regulator, can confirm "
        "or clear the hint once they have checked. The look-ups and networks above are those of the last {days} "
        "days. The platform keeps only salted hashes of networks and blocks, never IP addresses.",
    ),
    "cleared": (
        "{who}已于 {when} 核实此序列号，此前的查询不再计入提示。",
        "{who} checked this serial on {when}: look-ups before then no longer count toward the hint.",
    ),
    "by_issuer": ("发码企业", "The organisation that issued it"),
    "by_regulator": ("监管部门", "The regulator"),
    "cloned": ("可能是被复制的二维码", "Possibly a copied code"),
    "cloned_text": (
        "最近 {days} 天内，此序列号在 {active} 天里从 {blocks} 个不同网段被查询"
        "（共 {scans} 次，来自 {places} 个网络），首次查询于 {first}。正品的每个序列号通常只被少数人查询。"
        "如果您刚买到这件商品，它可能是仿冒品：请向购买渠道或制造商核实。",
        "In the last {days} days this serial was looked up from {blocks} different address blocks on {active} days "
        "({scans} look-ups from {places} networks), first on {first}. A genuine item's serial is looked up by few "
        "people. If you have just bought it, it may be counterfeit: check with the seller or the maker.",
    ),
    "copied": ("已确认：此二维码被复制", "Confirmed: this code has been copied"),
    "copied_text": (
        "{who}已于 {when} 确认此序列号的二维码被复制到仿冒品上。"
        "如果您刚买到这件商品，它很可能是仿冒品：请向购买渠道或制造商核实。",
        "{who} confirmed on {when} that this serial's code has been copied onto fakes. If you have just bought it, it "
        "is probably counterfeit: check with the seller or the maker.",
    ),
    "recalled": ("该批次已召回", "This lot has been recalled"),
    "recall_reason": ("召回原因", "Reason"),
    "recall_when": ("召回时间", "Recalled on"),
    "recall_by": ("召回方", "Recalled by"),
    "regulator": ("监管部门", "the regulator"),
    "recall_advice": (
        "请立即停止使用，并联系购买渠道或制造商退换。以下溯源信息仅供核查。",
        "Stop using it now and contact the seller or the maker. The trace below is kept for checking.",
    ),
    "lapse_title": ("供应商认定变更", "A supplier's recognition changed"),
    "damaged_title": ("部分记录无法读取", "A stored record could not be read"),
    "damaged_text": (
        "平台存储的 {count} 条记录已损坏，无法读取，本页未显示其内容；其余记录照常显示和核验。",
        "{count} stored record(s) could not be read: the page leaves them out; the rest is shown and checked as usual.",
    ),
    "lapse_after": (
        "供应商「{supplier}」的{kind}（{level}）认定已于 {since} {status}（原因：{reason}）。本产品所用的 {item} "
        "在此之前供货，当时认定有效，仍计入绿色占比。",
        "Supplier {supplier}'s {kind} recognition ({level}) was {status} on {since} (reason: {reason}). The {item} "
        "in this product was supplied before that, while it was in force, and still counts as green.",
    ),
    "lapse_before": (
        "供应商「{supplier}」的{kind}（{level}）认定已于 {since} {status}（原因：{reason}）。本产品所用的 {item} "
        "供货时认定已经失效，不计入绿色占比。",
        "Supplier {supplier}'s {kind} recognition ({level}) was {status} on {since} (reason: {reason}). The {item} "
        "in this product was supplied after that and does not count as green.",
    ),
    "v_ok": (
        "已验证：每一步都有有效签名并已锚定在区块链上",
        "Verified: every step is validly signed and anchored on the blockchain",
    ),
    "v_ok_more": (
        "{n} 条记录，由 {orgs} 家企业用各自在链上登记的密钥签名。",
        "{n} records, signed by {orgs} organisations with the keys they registered on chain.",
    ),
    "v_pending": ("签名有效，{n} 个步骤正在等待上链锚定", "Signatures valid; {n} steps are waiting to be anchored"),
    "v_pending_more": (
        "新记录每隔几秒批量锚定到区块链，请稍后刷新。",
        "New records are anchored on the blockchain in batches every few seconds: reload shortly.",
    ),
    "v_failed": ("验证未通过：请勿轻信本页信息", "Verification failed: do not trust this page"),
    "v_failed_more": ("发现的问题：{what}", "Problems found: {what}"),
    "v_chain": (
        "暂时无法连接区块链：本页信息尚未验证",
        "The blockchain cannot be reached: this page is not verified yet",
    ),
    "v_chain_more": (
        "请稍后刷新，或用下方命令自行验证。",
        "Reload later, or verify it yourself with the command below.",
    ),
    "v_none": ("暂无溯源记录", "No trace records yet"),
    "v_none_more": (
        "该码已由本平台签发，但还没有企业为它记录生产或流通环节。",
        "This code was issued by this platform, but no organisation has recorded its production or journey yet.",
    ),
    "v_stale": (
        "注意：区块链暂时无法连接，以上结果基于 {minutes} 分钟前读取的链上数据。",
        "Note: the chain cannot be reached now; this uses chain data read {minutes} minutes ago.",
    ),
    "truncated": ("记录过多，仅显示部分。", "Too many records: only part is shown."),
    "left_title": ("未纳入的记录", "Records left out"),
    "left_outside": (
        "{n} 个事件来自不在本产品流转链上的组织：它们提到了本产品，但不计入其旅程与验证。",
        "{n} events by organisations outside the chain of custody of this product name it: they are not part of "
        "its journey or its verification.",
    ),
    "left_big": (
        "{n} 个事件列出的标识超过 {limit} 个：已核对其签名与上链锚定，未核对其内容。",
        "{n} events list more than {limit} identifiers: their signatures and anchors were checked, not their content.",
    ),
    "left_count": ("{count} 个标识", "{count} identifiers"),
    "left_link": ("查看原始记录", "See the record"),
    "left_ok": ("签名与锚定有效", "Signature and anchor valid"),
    "signed": ("签名有效", "Signature valid"),
    "anchored": ("已锚定：区块 #{block}，{time}", "Anchored in block #{block} at {time}"),
    "waiting": ("等待锚定", "Waiting to be anchored"),
    "rec_in_force": ("当时认定有效：{what}", "Recognition in force then: {what}"),
    "rec_lapsed_now": ("（现已失效）", " (no longer in force)"),
    "no_rec": ("无绿色认定", "No green recognition"),
    "unknown_step": ("无法读取的记录", "Unreadable record"),
    "more_rows": ("另有 {n} 项未显示。", "{n} more not shown."),
    "this_product": ("本产品", "This product"),
    "unknown_maker": ("来源企业不明", "Maker unknown"),
    "repeated": ("（同上）", "(as above)"),
    "cycle": ("（循环引用）", "(cycle)"),
    "in_container": ("随物流单元 {id}", "inside logistic unit {id}"),
    "place": ("地点", "Place"),
    "by": ("记录方", "Recorded by"),
    "not_found": ("未找到该产品码", "Code not found"),
    "counterfeit": ("可能是仿冒产品", "Possibly counterfeit"),
    "not_found_text": (
        "本平台从未签发过这个码。这可能是仿冒产品，也可能是二维码印刷或识别有误。",
        "This platform never issued this code. The item may be counterfeit, or the code was misprinted or misread.",
    ),
    "gtin_known": (
        "这个商品条码的码由「{org}」在本平台签发，但其中没有这个批号或序列号。",
        "Codes of this GTIN were issued here by {org}, but not this lot or serial.",
    ),
    "advice": ("建议", "What to do"),
    "advice_1": (
        "核对包装上印的商品条码、批号、序列号与链接是否一致。",
        "Check that the GTIN, lot and serial printed on the pack match the link.",
    ),
    "advice_2": ("重新扫描二维码。", "Scan the code again."),
    "advice_3": (
        "向购买渠道或制造商核实；确认之前请勿使用。",
        "Check with the seller or the maker; do not use the item until then.",
    ),
    "invalid": ("链接无效", "Invalid link"),
    "invalid_text": ("这不是一个有效的商品数字链接：", "This is not a valid product Digital Link:"),
    "error": ("出错了", "Something went wrong"),
    "scan_title": ("扫码查验", "Scan a product code"),
    "scan_intro": (
        "扫描商品上的二维码（GS1 数字链接），查看它的来源、流通历程和区块链验证结果。",
        "Scan the QR code on a product (a GS1 Digital Link) to see where it came from, its journey and its "
        "blockchain check.",
    ),
    "camera": ("打开摄像头扫码", "Scan with the camera"),
    "stop": ("停止", "Stop"),
    "photo": ("或上传二维码照片", "Or upload a photo of the code"),
    "scan_privacy": (
        "图片只在您的手机上识别，不会上传。识别程序由本平台提供，不从其他网站加载。",
        "The picture is decoded on your phone and never uploaded. The decoder is served by this platform, "
        "nothing is loaded from elsewhere.",
    ),
    "noscript": ("扫码需要启用 JavaScript。", "Scanning needs JavaScript."),
}

_STAGES = {
    Stage.PRODUCTION: ("生产", "Production"),
    Stage.LOGISTICS: ("物流", "Logistics"),
    Stage.RETAIL: ("零售", "Retail"),
    Stage.OTHER: ("其他", "Other"),
}
_STEPS: dict[str, tuple[str, str]] = {
    "commissioning": ("生产赋码", "Made and coded"),
    "packing": ("装箱", "Packed"),
    "unpacking": ("拆箱", "Unpacked"),
    "shipping": ("发货", "Shipped"),
    "receiving": ("收货", "Received"),
    "departing": ("离开", "Departed"),
    "arriving": ("到达", "Arrived"),
    "transporting": ("运输", "In transport"),
    "storing": ("入库", "Stored"),
    "loading": ("装车", "Loaded"),
    "unloading": ("卸货", "Unloaded"),
    "inspecting": ("检验", "Inspected"),
    "accepting": ("验收", "Accepted"),
    "picking": ("拣货", "Picked"),
    "stocking": ("上架", "Put on shelf"),
    "retail_selling": ("售出", "Sold"),
    "assembling": ("组装", "Assembled"),
    "repairing": ("维修", "Repaired"),
    "decommissioning": ("注销", "Decommissioned"),
    "sensor_reporting": ("传感器记录", "Sensor reading"),
}
_KINDS = {
    RecognitionKind.GREEN_FACTORY: ("绿色工厂", "green factory"),
    RecognitionKind.GREEN_PRODUCT: ("绿色设计产品", "green design product"),
    RecognitionKind.GREEN_PARK: ("绿色园区", "green park"),
    RecognitionKind.GREEN_SUPPLY_CHAIN: ("绿色供应链管理企业", "green supply-chain enterprise"),
}
_LEVELS = {1: ("市级", "city"), 2: ("省级", "provincial"), 3: ("国家级", "national")}
_STATUS = {
    RecognitionStatus.ACTIVE: ("有效", "in force"),
    RecognitionStatus.SUSPENDED: ("暂停", "suspended"),
    RecognitionStatus.REVOKED: ("撤销（摘牌）", "revoked"),
}
_REASONS = {
    1: ("抽查未通过", "failed spot check"),
    2: ("数据造假", "falsified data"),
    3: ("拒绝报送", "refused to report"),
    4: ("安全事故", "safety incident"),
    5: ("质量事故", "quality incident"),
    6: ("环境事故", "environmental incident"),
    7: ("持有者申请", "at the holder's request"),
    8: ("误发", "issued in error"),
    9: ("密钥泄露", "key compromised"),
    10: ("密钥轮换", "key rotation"),
    11: ("已整改", "rectified"),
    12: ("企业注销", "dissolved"),
}
_UNITS = {
    None: ("件", "pcs"),
    "H87": ("件", "pcs"),
    "EA": ("个", "each"),
    "KGM": ("千克", "kg"),
    "GRM": ("克", "g"),
    "TNE": ("吨", "t"),
    "LTR": ("升", "L"),
    "MTR": ("米", "m"),
    "MTK": ("平方米", "m²"),
}
_CHECKS: dict[str, tuple[str, str]] = {
    "hash_mismatch": ("记录被改动过（哈希不符）", "the record was altered (hash mismatch)"),
    "bad_signature": ("签名无效", "invalid signature"),
    "key_not_registered": ("签名密钥未在链上登记", "signing key not registered on chain"),
    "key_not_yet_valid": ("签名时密钥尚未生效", "signing key not yet valid then"),
    "key_revoked": ("签名时密钥已被吊销", "signing key revoked by then"),
    "key_compromised": (
        "签名密钥已因泄露被吊销，签名在此之后才上链",
        "signed with a key revoked as compromised before its anchoring",
    ),
    "organisation_not_registered": ("记录企业当时未登记", "organisation not registered then"),
    "organisation_suspended": ("记录企业当时被暂停", "organisation suspended then"),
    "role_not_allowed": ("企业无权记录此环节", "organisation not allowed this step"),
    "proof_invalid": ("锚定证明不符", "anchoring proof does not match"),
    "root_not_anchored": ("链上没有这个锚定", "not anchored on chain"),
    "anchor_mismatch": ("锚定信息与链上不符", "anchor differs from the chain"),
    "event_after_anchor": ("记录时间晚于锚定时间", "recorded after its anchoring"),
    "event_in_future": ("记录时间在未来", "dated in the future"),
    "malformed_envelope": ("记录格式错误", "malformed record"),
    "malformed_event": ("记录格式错误", "malformed record"),
    "not_anchored": ("尚未锚定", "not anchored yet"),
    "other_chain": ("来自另一条链", "from another chain"),
    "other_registry": ("来自另一个注册合约", "from another registry"),
    "other_product": ("证明包属于另一件产品", "bundle about another product"),
    "product_not_found": ("记录中找不到本产品", "no record names this product"),
    "no_events": ("没有记录", "no records"),
    "received_before_event": ("接收时间早于记录时间", "received before it happened"),
    "received_after_anchor": ("接收时间晚于锚定时间", "received after its anchoring"),
    "duplicate_event": ("同一记录出现多次", "a record listed twice"),
    "unrelated_event": ("有与本产品无关的记录", "a record not about this product"),
    "event_before_origin": ("记录早于产品生产（顺序颠倒）", "a record dated before the item was made"),
    "received_not_shipped": ("收货前没有发货记录", "received but never shipped"),
    "sold_without_receipt": ("销售企业没有收货记录", "sold without a receipt"),
    "origin_missing": ("缺少上游生产记录", "an upstream record is missing"),
    "unpacked_never_packed": ("缺少装箱记录", "a packing record is missing"),
    "event_dropped": ("有记录被平台删掉", "a record was left out"),
    "link_missing": ("记录缺少故事链接", "a record has no story link"),
    "link_invalid": ("故事链接不成立", "a story link does not hold"),
    "event_not_shown": ("有记录未展示", "a record is not shown"),
    "links_not_covered": ("部分记录未被故事链接覆盖", "some records are not covered by story links"),
    "completeness_unproven": ("无法证明记录完整", "completeness not proven"),
}
_SIGNATURE_CHECKS = frozenset({"envelope", "event", "event_hash", "signature", "key", "organisation", "role", "clock"})
_ANCHOR_CHECKS = frozenset({"proof", "anchor", "chronology"})


def _t(key: str, lang: str, **values: object) -> str:
    zh, en = _T[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def _w(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def _e(value: object) -> str:
    return escape(str(value), quote=True)


# --- values ---


def share_percent(value: Fraction | None) -> str | None:
    """A share as a percentage with at most one decimal (``None`` stays ``None``)."""
    if value is None:
        return None
    tenths = round(value * 1000)
    return f"{tenths // 10}%" if tenths % 10 == 0 else f"{tenths / 10:.1f}%"


def _when(value: datetime | int | None, *, seconds: bool = False, ms: bool = False) -> str:
    """A time in the display zone: ``2026-11-21 10:32`` (``seconds``: with seconds); ints are s (``ms``: ms)."""
    if value is None or not isinstance(value, datetime | int):  # None, or a damaged column (reported on the page)
        return "—"
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value / 1000 if ms else value, UTC)
    return moment.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _iso(value: datetime | int, *, ms: bool = False) -> str:
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value / 1000 if ms else value, UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _number(value: float | Fraction | None) -> str:
    if value is None:
        return "?"
    if isinstance(value, Fraction) and value.denominator != 1:
        return f"{float(value):.4g}"
    return f"{float(value):g}" if not float(value).is_integer() else str(int(value))


def _quantity(value: float | Fraction | None, uom: str | None, lang: str) -> str:
    unit = _UNITS.get(uom)
    return f"{_number(value)} {_w(unit, lang) if unit else uom}"


def _org_text(orgs: Mapping[str, OrgLabel], org_id: str | None, lang: str) -> str:
    """An organisation's name, else its id with what the id is."""
    if not org_id:
        return _t("unknown_maker", lang)
    label = orgs.get(org_id)
    name = label.name(lang) if label is not None else None
    if name:
        return name
    if len(org_id) == 18:
        return ("Unified social credit code " if lang == "en" else "统一社会信用代码 ") + org_id
    return f"GLN {org_id}"


def _gln_of(location: str | None) -> str | None:
    if location and location.startswith("https://id.gs1.org/414/"):
        return location.removeprefix("https://id.gs1.org/414/").split("/", 1)[0]
    return None


def _place_text(facts: ProductFacts, location: str | None) -> str:
    """A place: the organisation whose GLN it is, the recognised facility it is, else its GLN or URI."""
    lang = facts.lang
    if location is None:
        return "—"
    gln = _gln_of(location)
    if gln is None:
        return location
    if gln in facts.orgs and facts.orgs[gln].name(lang):
        return _org_text(facts.orgs, gln, lang)
    holder = facts.facilities.get(gln)
    if holder is not None:
        site = "site" if lang == "en" else "厂区"
        return f"{_org_text(facts.orgs, holder, lang)} · {site} (GLN {gln})"
    return f"GLN {gln}"


def item_label(node: str, lang: str, name: str | None = None) -> str:
    """A trace node for people: ``批次 XC-1 · 商品 06923456000209`` / ``Lot XC-1 · GTIN ...``, a serial, a unit."""
    kind = identifier_kind(node)
    gtin = gtin_of(node)
    what = name or (f"{'GTIN' if lang == 'en' else '商品'} {gtin}" if gtin else None)
    if kind is IdentifierKind.LOT:
        lot = unquote(node.rsplit("/10/", 1)[-1])  # a node escapes what a URI must (2026%2F11: lot 2026/11)
        return f"{what} · {'lot' if lang == 'en' else '批次'} {lot}"
    if kind is IdentifierKind.SERIAL:
        serial = unquote(node.rsplit("/21/", 1)[-1])
        return f"{what} · {'serial' if lang == 'en' else '序列号'} {serial}"
    if kind is IdentifierKind.CLASS:
        return str(what)
    if kind is IdentifierKind.CONTAINER:
        return f"{'logistic unit' if lang == 'en' else '物流单元'} {node.rsplit('/00/', 1)[-1]}"
    return node


def _step_text(biz_step: str | None, lang: str) -> str:
    if biz_step is None:
        return "—"
    pair = _STEPS.get(biz_step)
    return _w(pair, lang) if pair else biz_step


def _recognition_text(r: RecognitionState, lang: str) -> str:
    terms = r.terms
    kind = _w(_KINDS[terms.kind], lang)
    level = _w(_LEVELS.get(int(terms.level), ("?", "?")), lang)
    grade = f" {terms.grade.name.replace('_PLUS', '+')}" if terms.grade is not Grade.NONE else ""
    return f"{kind}·{level}{grade}" if lang != "en" else f"{kind} ({level}{grade})"


# --- page frame ---


def _page(lang: str, title: str, body: str, *, switch: bool = True, head: str = "") -> str:
    other = "zh" if lang == "en" else "en"
    link = (
        f'<a class="lang" href="?lang={other}" hreflang="{"en" if other == "en" else "zh-CN"}" '
        f'lang="{"en" if other == "en" else "zh-CN"}">{_t("switch", lang)}</a>'
        if switch
        else ""
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">'
        f"<title>{_e(title)}</title><style>{_CSS}</style>{head}</head>"
        f'<body><header class="top"><span class="brand">{_t("brand", lang)}</span>{link}</header>'
        f"<main>{body}</main></body></html>\n"
    )


def _h2(tag: str | None, title: str, lang: str) -> str:
    chip = f'<span class="tag">{_t(tag, lang)}</span>' if tag else ""
    return f"<h2>{chip}{_e(title)}</h2>"


# --- the product page ---


def _recall_banner(facts: ProductFacts) -> str:
    recall, lang = facts.code.recall, facts.lang
    if recall is None:
        return ""
    by = _t("regulator", lang) if recall.org_id == "regulator" else _org_text(facts.orgs, recall.org_id, lang)
    return (
        f'<section class="banner bad recall" id="recall" role="alert">{_h2(None, _t("recalled", lang), lang)}'
        f"<p><b>{_t('recall_reason', lang)}</b>：{_e(recall.reason)}</p>"
        f"<p><b>{_t('recall_when', lang)}</b>：{_when(recall.recalled_at, ms=True)} · "
        f"<b>{_t('recall_by', lang)}</b>：{_e(by)}</p><p>{_t('recall_advice', lang)}</p></section>"
    )


def _failure_words(codes: Iterable[str], lang: str) -> str:
    words = [_w(_CHECKS[c], lang) if c in _CHECKS else c for c in codes]
    return ("; " if lang == "en" else "；").join(dict.fromkeys(words))


def _verdict_section(facts: ProductFacts) -> str:
    lang, verdict = facts.lang, facts.verdict
    stale = ""
    if facts.registry is not None and facts.registry.age > 120:
        stale = f'<p class="note">{_t("v_stale", lang, minutes=int(facts.registry.age // 60))}</p>'
    if facts.trace is None:
        cls, head, more = "none", _t("v_none", lang), _t("v_none_more", lang)
    elif verdict is None:
        cls, head, more = "warn", _t("v_chain", lang), _t("v_chain_more", lang)
    elif verdict.status is VerdictStatus.VERIFIED:
        orgs = len({e.organisation_id for e in verdict.events})
        cls, head = "ok", _t("v_ok", lang)
        more = _t("v_ok_more", lang, n=len(verdict.events), orgs=orgs)
    elif verdict.status is VerdictStatus.INCOMPLETE:
        waiting = sum(1 for e in verdict.events if any(c.code == "not_anchored" for c in e.checks))
        cls, head, more = "warn", _t("v_pending", lang, n=waiting), _t("v_pending_more", lang)
        if not waiting:
            more = _failure_words((c.code or c.name for c in verdict.checks if c.passed is None), lang)
    else:
        cls, head = "bad", _t("v_failed", lang)
        more = _t("v_failed_more", lang, what=_failure_words(verdict.failures, lang))
    truncated = f'<p class="note">{_t("truncated", lang)}</p>' if facts.trace and facts.trace.truncated else ""
    status = verdict.status.value if verdict is not None else cls
    return (
        f'<section class="banner verdict {cls}" id="verdict" data-status="{_e(status)}">'
        f'<span class="tag">{_t("verify_tag", lang)}</span><strong>{_e(head)}</strong><p>{_e(more)}</p>'
        f"{stale}{truncated}</section>"
    )


def _checked_by(checked: Checked, lang: str) -> str:
    return _t("by_regulator" if checked.by == REGULATOR else "by_issuer", lang)


def _cloned_banner(facts: ProductFacts) -> str:
    scans, lang = facts.scans, facts.lang
    if scans is None or not scans.suspicious:
        return ""
    if scans.confirmed and scans.checked is not None:
        who, when = _checked_by(scans.checked, lang), _when(scans.checked.at, ms=True)
        title, text, reason = _t("copied", lang), _t("copied_text", lang, who=who, when=when), "confirmed"
    else:
        title, reason = _t("cloned", lang), "spread"
        text = _t(
            "cloned_text",
            lang,
            days=scans.window_days,
            active=scans.days,
            blocks=scans.blocks,
            scans=_count(scans),
            places=scans.places,
            first=_when(scans.first_at, ms=True),
        )
    return (
        f'<section class="banner warn" id="cloned" role="alert" data-reason="{reason}">'
        f"{_h2('anti_tag', title, lang)}<p>{_e(text)}</p></section>"
    )


def _count(scans: ScanStats) -> str:
    return f"{scans.scans}+" if scans.capped else str(scans.scans)


def _lapse_banner(facts: ProductFacts) -> str:
    lang = facts.lang
    items = []
    for n in facts.notices:
        terms = n.recognition.terms
        text = _t(
            "lapse_after" if n.lapsed == "after" else "lapse_before",
            lang,
            supplier=_org_text(facts.orgs, n.supplier, lang),
            kind=_w(_KINDS[terms.kind], lang),
            level=_w(_LEVELS.get(int(terms.level), ("?", "?")), lang),
            since=_when(n.change.timestamp)[:10],
            status=_w(_STATUS[n.change.status], lang),
            reason=_w(_REASONS.get(n.change.reason, (str(n.change.reason), str(n.change.reason))), lang),
            item=item_label(n.input, lang),
        )
        items.append(f'<li data-lapsed="{_e(n.lapsed)}">{_e(text)}</li>')
    if not items:
        return ""
    return (
        f'<section class="banner warn" id="lapses">{_h2("green_tag", _t("lapse_title", lang), lang)}'
        f'<ul class="plain">{"".join(items)}</ul></section>'
    )


def _damaged_banner(facts: ProductFacts) -> str:
    """Stored records that do not read (:mod:`backend.services.damage`): said, never a server error."""
    if not facts.damaged:
        return ""
    lang = facts.lang
    return (
        f'<section class="banner warn" id="damaged" role="alert" data-count="{len(facts.damaged)}">'
        f"<h2>{_e(_t('damaged_title', lang))}</h2><p>{_e(_t('damaged_text', lang, count=len(facts.damaged)))}</p>"
        + _damaged_list(facts)
        + "</section>"
    )


def _damaged_list(facts: ProductFacts) -> str:
    """Which records (the first 20): table, key and column, as ``/ready`` lists them (for the platform's operator)."""
    items = "".join(
        f'<li><span class="mono">{_e(d.table)} {_e(d.key)}</span> ({_e(d.column)})</li>' for d in facts.damaged[:20]
    )
    return f'<ul class="plain damaged-records">{items}</ul>'


def _product_section(facts: ProductFacts) -> str:
    lang, code = facts.lang, facts.code
    rows: list[tuple[str, str]] = []
    if facts.name:
        rows.append((_t("name", lang), _e(facts.name)))
    rows.append((_t("gtin", lang), f'<span class="mono">{_e(code.key.gtin)}</span>'))
    if facts.lot:
        rows.append((_t("lot", lang), f'<span class="mono">{_e(facts.lot)}</span>'))
    if code.key.serial:
        rows.append((_t("serial", lang), f'<span class="mono">{_e(code.key.serial)}</span>'))
    if facts.made_at is not None:
        made = f'<time datetime="{_iso(facts.made_at)}">{_when(facts.made_at)}</time>'
        rows.append((_t("made", lang), made))
    rows.append((_t("maker", lang), _e(_org_text(facts.orgs, facts.maker, lang))))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    note = _t("name_signed" if facts.signed_name else "name_from", lang) if facts.name else _t("gtin_only", lang)
    return (
        f'<section class="card" id="product">{_h2(None, _t("product", lang), lang)}<dl>{dl}</dl>'
        f'<p class="note">{note} {_t("tz", lang)}</p></section>'
    )


def _authenticity_section(facts: ProductFacts) -> str:
    lang, code, scans = facts.lang, facts.code, facts.scans
    rows = [
        (_t("issued_by", lang), _e(_org_text(facts.orgs, code.row.org_id, lang))),
        (_t("issued_at", lang), _when(code.row.created_at, ms=True)),
    ]
    notes = []
    rule = ""
    if scans is not None:
        rows.append((_t("scans", lang), _count(scans)))
        rows.append((_t("places", lang), str(scans.places)))
        if scans.serial:
            rows.append((_t("blocks", lang), f"{scans.blocks} / {scans.warn_blocks}"))
        rows.append((_t("first_scan", lang), _when(scans.first_at, ms=True)))
        if scans.alone:
            notes.append(_t("first_now", lang))
        if not scans.serial:
            notes.append(_t("lot_code", lang))
        if scans.cleared and scans.checked is not None:
            when = _when(scans.checked.at, ms=True)
            notes.append(_t("cleared", lang, who=_checked_by(scans.checked, lang), when=when))
        if scans.serial:
            text = _t(
                "scan_rule",
                lang,
                days=scans.window_days,
                blocks=scans.warn_blocks,
                per_day=scans.day_blocks,
                min_days=scans.min_days,
            )
            rule = f'<p class="note" id="scan-rule">{_e(text)}</p>'
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    body = "".join(f'<p class="note">{_e(n)}</p>' for n in notes) + rule
    return (
        f'<section class="card" id="authenticity">{_h2("anti_tag", _t("issued_ok", lang), lang)}'
        f"<dl>{dl}</dl>{body}</section>"
    )


def _journey_section(facts: ProductFacts) -> str:
    lang = facts.lang
    steps = facts.trace.journey.steps if facts.trace else ()
    items = []
    for s in steps:
        stage = _w(_STAGES[s.stage], lang)
        via = ""
        if s.via:
            via = f'<span class="via">{_e(_t("in_container", lang, id=item_label(s.via, lang)))}</span>'
        items.append(
            f'<li class="{s.stage.value}" data-step="{_e(s.biz_step or "")}">'
            f'<time datetime="{_iso(s.event_time)}">{_when(s.event_time)}</time><br>'
            f'<span class="stage">{stage}</span><b>{_e(_step_text(s.biz_step, lang))}</b>'
            f'<span class="who">{_t("by", lang)}：{_e(_org_text(facts.orgs, s.organisation_id, lang))}</span>'
            f'<span class="where">{_t("place", lang)}：{_e(_place_text(facts, s.location))}</span>{via}</li>'
        )
    body = f'<ol class="timeline">{"".join(items)}</ol>' if items else f"<p>{_t('no_journey', lang)}</p>"
    return f'<section class="card" id="journey">{_h2("trace_tag", _t("journey", lang), lang)}{body}</section>'


# --- the supply tree (SVG) ---


@dataclass(frozen=True, slots=True)
class _Badge:
    text: str
    state: str  # ok | lapsed | no


@dataclass(frozen=True, slots=True)
class _Row:
    depth: int
    title: str
    subtitle: str
    badges: tuple[_Badge, ...]
    state: str  # product | green | not_green | rolled_up | unknown | container | other
    kind: str


def _width(text: str, size: float) -> float:
    """A rough rendered width: CJK and full-width characters are square, the rest about half as wide."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.55 for ch in text)


def _fit(text: str, size: float, room: float) -> str:
    if _width(text, size) <= room:
        return text
    while text and _width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


_ROW_COLOURS = {
    "product": "#17261d",
    "green": "#1e8449",
    "rolled_up": "#52a372",
    "not_green": "#95a5a6",
    "unknown": "#d68910",
    "container": "#2471a3",
    "other": "#7b8a97",
}
_BADGE_COLOURS = {"ok": ("#e7f5ec", "#1e8449"), "lapsed": ("#fff5e0", "#b9770e"), "no": ("#f2f3f4", "#7b8a97")}


def _supply_tree_svg(rows: Sequence[_Row], lang: str, *, width: int = 360) -> str:
    """The upstream tree as an inline SVG: one row per node, indented by depth, joined to its parent."""
    indent, pad = 16, 6
    parts: list[str] = []
    y: float = pad
    stack: list[tuple[int, float]] = []  # (depth, marker y) of the open ancestors
    for row in rows:
        x = pad + row.depth * indent
        marker_y = y + 9
        while stack and stack[-1][0] >= row.depth:
            stack.pop()
        if stack:
            px = pad + stack[-1][0] * indent + 6
            parts.append(
                f'<path d="M{px} {stack[-1][1] + 6:.0f}V{marker_y:.0f}H{x + 1}" fill="none" stroke="#b8c7be" '
                'stroke-width="1.5"/>'
            )
        stack.append((row.depth, marker_y))
        colour = _ROW_COLOURS.get(row.state, "#7b8a97")
        room = width - x - 20
        lines = [
            f'<circle cx="{x + 6}" cy="{marker_y:.0f}" r="5.5" fill="{colour}"/>',
            f'<text x="{x + 16}" y="{y + 13:.0f}" font-size="12.5" font-weight="600" fill="#17261d">'
            f"{_e(_fit(row.title, 12.5, room))}</text>",
            f'<text x="{x + 16}" y="{y + 29:.0f}" font-size="11" fill="#56655c">'
            f"{_e(_fit(row.subtitle, 11, room))}</text>",
        ]
        bx, by = x + 16.0, y + 36.0
        for badge in row.badges:
            label = _fit(badge.text, 10, room)
            w = _width(label, 10) + 12
            if bx + w > width - 2 and bx > x + 16:
                bx, by = x + 16.0, by + 19
            fill, ink = _BADGE_COLOURS[badge.state]
            lines.append(
                f'<g class="badge {badge.state}"><rect x="{bx:.0f}" y="{by:.0f}" width="{w:.0f}" height="16" rx="8" '
                f'fill="{fill}" stroke="{ink}" stroke-width=".8"/><text x="{bx + 6:.0f}" y="{by + 11.5:.0f}" '
                f'font-size="10" fill="{ink}">{_e(label)}</text></g>'
            )
            bx += w + 5
        bottom = (by + 19) if row.badges else (y + 36)
        parts.append(f'<g class="node" data-kind="{_e(row.kind)}" data-state="{_e(row.state)}">{"".join(lines)}</g>')
        y = bottom + 6
    height = max(y, 20)
    title = _t("supply", lang)
    return (
        f'<svg class="supply-tree" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'width="{width}" height="{height:.0f}" role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>'
        f"{''.join(parts)}</svg>"
    )


def _badges(facts: ProductFacts, node: TraceNode, maker: str | None, at: int | None) -> tuple[_Badge, ...]:
    """The maker's recognitions covering the node, as they stood at ``at`` (issued by then), and now."""
    registry = facts.registry
    if registry is None or maker is None or at is None or facts.trace is None:
        return ()
    lang = facts.lang
    origin = next((o for o in node.origins if o.how != "packed"), None)
    where = location_of(facts.trace.index, origin) if origin is not None else None
    out = []
    for r in registry.mirror.recognitions_of(maker):
        if r.issued_at > at or not covers(r, node.identifier, where):
            continue
        text = _recognition_text(r, lang)
        if r.in_force_at(at):
            if r.status is RecognitionStatus.ACTIVE:  # never suspended or revoked since (expiry is no lapse)
                out.append(_Badge(f"{text} ✓", "ok"))
            else:
                now = _w(_STATUS[r.status], lang)
                out.append(_Badge(f"{text} ✓ " + (f"now {now}" if lang == "en" else f"现已{now}"), "lapsed"))
        else:
            then = r.status_at(at)
            if then is not None and then is not RecognitionStatus.ACTIVE:
                status = _w(_STATUS[then], lang)
            elif at < r.terms.valid_from:
                status = "not yet valid" if lang == "en" else "未生效"
            else:
                status = "expired" if lang == "en" else "已过期"
            out.append(_Badge(f"{text} ✗ {status}", "no"))
    return tuple(out)


def _row_time_and_state(facts: ProductFacts, n: TraceNode) -> tuple[int | None, str]:
    """When the node's maker supplied it (else made it), and how it counts in the green share."""
    share = facts.inputs.get(n.identifier)
    at: int | None = None
    if share is not None and share.supplied_at is not None:
        at = share.supplied_at
    else:
        made = next((o for o in n.origins if o.how != "packed"), None)
        at = int(made.event_time.timestamp()) if made is not None else None
    if n.depth == 0:
        state = "product"
    elif n.kind is IdentifierKind.CONTAINER:
        state = "container"
    elif share is not None:
        state = {"green": "green", "not_green": "not_green", "rolled_up": "rolled_up"}.get(share.status, "unknown")
    else:
        state = "other" if n.makers else "unknown"
    return at, state


def _tree_rows(facts: ProductFacts) -> tuple[list[_Row], int]:
    """The tree's rows (at most :data:`_MAX_TREE_ROWS`) and how many were left out."""
    trace, lang = facts.trace, facts.lang
    if trace is None:
        return [], 0
    rows: list[_Row] = []
    nodes = list(trace.backward.nodes())
    for n in nodes[:_MAX_TREE_ROWS]:
        title = item_label(n.identifier, lang, facts.names.get(n.identifier))
        title += _t("repeated", lang) if n.repeated else _t("cycle", lang) if n.cycle else ""
        at, state = _row_time_and_state(facts, n)
        subtitle = ", ".join(_org_text(facts.orgs, m, lang) for m in n.makers) or _t("unknown_maker", lang)
        if n.depth and n.quantity is not None:
            subtitle = f"{_quantity(n.quantity, n.uom, lang)} · {subtitle}"
        elif not n.depth:
            subtitle = f"{_t('this_product', lang)} · {subtitle}"
        if at is not None and n.depth:
            subtitle += f" · {_when(at)[:10]}"
        maker = n.makers[0] if n.makers else None
        badges = () if n.repeated or n.cycle else _badges(facts, n, maker, at)
        rows.append(_Row(n.depth, title, subtitle, badges, state, n.kind.value))
    return rows, max(len(nodes) - _MAX_TREE_ROWS, 0)


def _supply_section(facts: ProductFacts) -> str:
    lang = facts.lang
    rows, left_out = _tree_rows(facts)
    if len(rows) <= 1:
        body = f"<p>{_t('no_supply', lang)}</p>"
        if rows:
            body = _supply_tree_svg(rows, lang) + body
    else:
        body = _supply_tree_svg(rows, lang) + f'<p class="note">{_t("supply_note", lang)}</p>'
    if left_out:
        body += f'<p class="note">{_t("more_rows", lang, n=left_out)}</p>'
    return f'<section class="card" id="supply">{_h2("trace_tag", _t("supply", lang), lang)}{body}</section>'


def _green_section(facts: ProductFacts) -> str:
    lang, share = facts.lang, facts.share
    if facts.trace is None:
        return ""
    if share is None:
        body = f"<p>{_t('green_unknown', lang)}</p>"
    elif share.share is None:
        body = f"<p>{_t('green_none', lang)}</p>"
    else:
        percent = share_percent(share.share) or "0%"
        unit = _w(_UNITS[share.unit], lang) if share.unit in _UNITS else (share.unit or "")
        amounts = (
            f"{_number(share.green_quantity)} / {_number(share.total_quantity)} {unit}"
            if lang == "en"
            else f"{_t('of', lang)} {_number(share.total_quantity)} {unit}，绿色 {_number(share.green_quantity)} {unit}"
        )
        width = float(share.share * 100)
        body = (
            f'<div class="share"><b id="green-share">{percent}</b><div class="bar"><span style="width:{width:.1f}%">'
            f'</span></div></div><p class="note">{_e(amounts)}</p>'
        )
    return (
        f'<section class="card" id="green">{_h2("trace_tag", _t("green", lang), lang)}{body}'
        f'<p class="note">{_t("green_rule", lang)}</p></section>'
    )


def _chips(facts: ProductFacts, e: EventVerdict) -> str:
    lang = facts.lang
    chips: list[tuple[str, str]] = []
    signature = [c for c in e.checks if c.name in _SIGNATURE_CHECKS]
    bad = [c for c in signature if c.passed is False]
    if bad:
        chips.append(("bad", _failure_words((c.code or c.name for c in bad), lang)))
    elif signature:
        chips.append(("ok", _t("signed", lang)))
    anchoring = [c for c in e.checks if c.name in _ANCHOR_CHECKS]
    bad = [c for c in anchoring if c.passed is False]
    if bad:
        chips.append(("bad", _failure_words((c.code or c.name for c in bad), lang)))
    elif any(c.passed is None for c in anchoring):
        chips.append(("warn", _t("waiting", lang)))
    elif anchoring and facts.trace is not None and facts.trace.bundle is not None:
        claim = facts.trace.bundle.events[e.index].anchor
        if claim is not None:
            when = _when(claim.timestamp, seconds=True)
            chips.append(("ok", _t("anchored", lang, block=claim.block_number, time=when)))
    foreign = [c for c in e.checks if c.name in ("chain", "registry") and c.passed is False]
    if foreign:
        chips.append(("bad", _failure_words((c.code or c.name for c in foreign), lang)))
    held = e.green.recognitions if e.green is not None else ()
    if held and facts.registry is not None:
        for info in held:
            state = facts.registry.mirror.recognitions.get(info.recognition_id)
            what = _recognition_text(state, lang) if state is not None else info.kind.name
            if state is not None and state.status is not RecognitionStatus.ACTIVE:
                chips.append(("warn", _t("rec_in_force", lang, what=what) + _t("rec_lapsed_now", lang)))
            else:
                chips.append(("ok", _t("rec_in_force", lang, what=what)))
    elif e.green is not None:
        chips.append(("none", _t("no_rec", lang)))
    return "".join(f'<li class="{cls}">{_e(text)}</li>' for cls, text in chips)


def _verification_section(facts: ProductFacts) -> str:
    lang, verdict = facts.lang, facts.verdict
    if verdict is None:
        return ""
    items = []
    ordered = sorted(
        verdict.events, key=lambda e: (e.event_time is None, e.event_time or datetime.min.replace(tzinfo=UTC))
    )
    for e in ordered:
        if e.event_time is None:
            head = _t("unknown_step", lang)
        else:
            head = (
                f"{_e(_step_text(e.biz_step, lang))} · {_e(_org_text(facts.orgs, e.organisation_id, lang))} · "
                f'<time datetime="{_iso(e.event_time)}">{_when(e.event_time)}</time>'
            )
        items.append(
            f'<li class="step" data-status="{e.status.value}" data-hash="{_e(e.hash_id or "")}"><div>{head}</div>'
            f'<ul class="chips">{_chips(facts, e)}</ul></li>'
        )
    summary = _t("show_steps", lang, n=len(items))
    return (
        f'<section class="card" id="verification">{_h2("verify_tag", _t("verification", lang), lang)}'
        f'<p class="note">{_t("verify_note", lang)}</p><details><summary>{_e(summary)}</summary>'
        f'<ol class="steps">{"".join(items)}</ol></details></section>'
    )


def _summarised_section(facts: ProductFacts) -> str:
    """The events left out (outside the chain of custody, or naming too many identifiers): counted by reason, the
    first listed with their signer, what the platform says of them and a link to each; their checks when verified."""
    trace, lang = facts.trace, facts.lang
    if trace is None or not trace.summaries:
        return ""
    counts = counts_of(trace.summaries)
    said = []
    if counts.get(OUTSIDE_CUSTODY):
        said.append(_t("left_outside", lang, n=counts[OUTSIDE_CUSTODY]))
    if counts.get(TOO_MANY_IDENTIFIERS):
        said.append(_t("left_big", lang, n=counts[TOO_MANY_IDENTIFIERS], limit=f"{MAX_EVENT_IDENTIFIERS:,}"))
    checked = {r.hash_id: r for r in facts.verdict.summarised} if facts.verdict is not None else {}
    items = []
    for s in trace.summaries[:MAX_LISTED_SUMMARIES]:
        r = s.row
        digest = r.hash_id.split(";", 1)[-1][:64]
        chip = ""
        verdict = checked.get(r.hash_id)
        if verdict is not None:
            bad = [c.code or c.name for c in verdict.checks if c.passed is False]
            waiting = any(c.passed is None for c in verdict.checks)
            cls, text = ("bad", _failure_words(bad, lang)) if bad else ("ok", _t("left_ok", lang))
            cls, text = ("warn", _t("waiting", lang)) if waiting and not bad else (cls, text)
            chip = f'<ul class="chips"><li class="{cls}">{_e(text)}</li></ul>'
        items.append(
            f'<li data-reason="{_e(s.reason)}">{_e(_org_text(facts.orgs, r.org_id, lang))} · '
            f"{_e(_step_text(r.biz_step, lang))} · "
            f'<time datetime="{_iso(r.event_time, ms=True)}">{_when(r.event_time, ms=True)}</time> · '
            f"{_e(_t('left_count', lang, count=f'{r.identifier_count:,}'))} · "
            f'<a href="/events/{_e(digest)}">{_t("left_link", lang)}</a>{chip}</li>'
        )
    more = len(trace.summaries) - len(items)
    rest = f'<p class="note">{_t("more_rows", lang, n=more)}</p>' if more > 0 else ""
    paragraphs = "".join(f"<p>{_e(text)}</p>" for text in said)
    return (
        f'<section class="card" id="summarised">{_h2("verify_tag", _t("left_title", lang), lang)}{paragraphs}'
        f'<ul class="plain">{"".join(items)}</ul>{rest}</section>'
    )


def _yourself_section(facts: ProductFacts) -> str:
    lang, code = facts.lang, facts.code
    bundle = f"/bundles?id={quote(code.gs1_uri, safe='')}"
    name = f"proof-bundle-{code.key.gtin}-{code.key.serial or code.lot or 'all'}.json"
    command = f"scanner verify {shlex.quote(code.uri)}"
    chain = ""
    if facts.registry is not None:  # the trust anchors pinned: the scanner never takes the registry from the bundle
        command += f" --registry {facts.registry.address} --chain-id {facts.registry.chain_id}"
        chain = (
            f'<p class="note">{_t("chain", lang)} {facts.registry.chain_id} · {_t("registry", lang)} '
            f'<span class="mono">{_e(facts.registry.address)}</span></p>'
        )
    link = ""
    if facts.trace is not None:
        link = (
            f'<p><a class="button" id="bundle-link" href="{_e(bundle)}" download="{_e(name)}">'
            f"{_t('bundle', lang)}</a></p>"
        )
    return (
        f'<section class="card" id="verify-yourself">{_h2("verify_tag", _t("yourself", lang), lang)}{link}'
        f'<p>{_t("scanner", lang)}</p><pre><code id="scanner-command">{_e(command)}</code></pre>{chain}</section>'
    )


def _footer(facts: ProductFacts) -> str:
    lang, code = facts.lang, facts.code
    links = [("/scan", _t("scan_other", lang))]
    if facts.trace is not None:
        links.append((f"/trace/journey?id={quote(code.gs1_uri, safe='')}", _t("trace_json", lang)))
    links.append((f"{code.uri}?linkType=all", _t("links", lang)))
    shown = " · ".join(f'<a href="{_e(href)}">{text}</a>' for href, text in links)
    return f'<footer><p>{shown}</p><p class="mono">{_e(code.uri)}</p></footer>'


def _byline(facts: ProductFacts) -> str:
    """Whose signature the headline's name carries, when it is the owner's master data."""
    signed = facts.signed_name
    if signed is None:
        return ""
    org = _org_text(facts.orgs, signed.org_id, facts.lang)
    said = _t("signed_by", facts.lang, org=_e(org), version=signed.product.version)
    return f'<p class="byline" id="signed-by">{said}</p>'


def render_product_page(facts: ProductFacts) -> str:
    """The product page of the facts gathered by :func:`backend.services.product_page.product_facts`."""
    lang, code = facts.lang, facts.code
    name = facts.name or f"{'GTIN' if lang == 'en' else '商品条码'} {code.key.gtin}"
    sub = " · ".join(
        part
        for part in (
            f"{_t('lot', lang)} {facts.lot}" if facts.lot else "",
            f"{_t('serial', lang)} {code.key.serial}" if code.key.serial else "",
        )
        if part
    )
    body = (
        _recall_banner(facts)
        + f"<h1>{_e(name)}<small>{_e(sub)}</small></h1>"
        + _byline(facts)
        + _verdict_section(facts)
        + _cloned_banner(facts)
        + _lapse_banner(facts)
        + _damaged_banner(facts)
        + _product_section(facts)
        + _authenticity_section(facts)
        + _journey_section(facts)
        + _supply_section(facts)
        + _green_section(facts)
        + _verification_section(facts)
        + _summarised_section(facts)
        + _yourself_section(facts)
        + _footer(facts)
    )
    title = f"{_t('recalled', lang)} · {name}" if code.recall is not None else f"{name} · {_t('title', lang)}"
    return _page(lang, title, body)


# --- refusals ---


def render_refusal_page(exc: ProblemError, lang: str, *, issuer: OrgLabel | None = None, path: str = "") -> str:
    """A never-issued code (404: possible counterfeit, what to do), an invalid link (400), anything else."""
    uri = exc.extra.get("id")
    shown = uri if isinstance(uri, str) else path
    if exc.status == 404:
        known = ""
        if issuer is not None:
            org = _org_text({issuer.org_id: issuer}, issuer.org_id, lang)
            known = f"<p>{_e(_t('gtin_known', lang, org=org))}</p>"
        advice = "".join(f"<li>{_t(k, lang)}</li>" for k in ("advice_1", "advice_2", "advice_3"))
        body = (
            f"<h1>{_t('not_found', lang)}</h1>"
            '<section class="banner bad" id="counterfeit" role="alert">'
            f"{_h2('anti_tag', _t('counterfeit', lang), lang)}"
            f"<p>{_t('not_found_text', lang)}</p>{known}</section>"
            f'<section class="card">{_h2(None, _t("advice", lang), lang)}<ol>{advice}</ol>'
            f'<p><a class="button" href="/scan">{_t("scan_other", lang)}</a></p></section>'
            f'<footer><p class="mono">{_e(shown)}</p></footer>'
        )
        return _page(lang, _t("not_found", lang), body)
    title = _t("invalid", lang) if exc.status == 400 else f"{_t('error', lang)} ({exc.status})"
    lead = f"<p>{_t('invalid_text', lang)}</p>" if exc.status == 400 else ""
    body = (
        f'<h1>{_e(title)}</h1><section class="banner bad" id="problem">{lead}<p lang="en">{_e(exc.detail)}</p>'
        f'</section><p><a class="button" href="/scan">{_t("scan_other", lang)}</a></p>'
    )
    return _page(lang, title, body)


# --- the scan page ---


def render_scan_page(lang: str, *, script: str, decoder: str, wasm: str) -> str:
    """The scan page: camera or photo, decoded in the browser by the platform's own copy of the decoder."""
    words = {k: _w(v, lang) for k, v in _SCAN_WORDS.items()}
    data = "".join(f' data-msg-{k.replace("_", "-")}="{_e(v)}"' for k, v in sorted(words.items()))
    body = (
        f"<h1>{_t('scan_title', lang)}</h1>"
        f'<section class="card" id="scanner" data-decoder="{_e(decoder)}" data-wasm="{_e(wasm)}"{data}>'
        f"<p>{_t('scan_intro', lang)}</p>"
        f'<noscript><p class="banner warn">{_t("noscript", lang)}</p></noscript>'
        f'<p><button type="button" id="camera-start">{_t("camera", lang)}</button> '
        f'<button type="button" id="camera-stop" class="secondary hidden">{_t("stop", lang)}</button></p>'
        '<video id="camera" class="hidden" playsinline muted></video>'
        f'<p><label for="photo">{_t("photo", lang)}</label><br>'
        '<input type="file" id="photo" accept="image/*"></p>'
        '<p id="status" role="status" aria-live="polite"></p>'
        f'<p class="note">{_t("scan_privacy", lang)}</p></section>'
    )
    head = f'<script src="{_e(script)}" defer></script>'
    return _page(lang, _t("scan_title", lang), body, head=head)


_SCAN_WORDS: dict[str, tuple[str, str]] = {
    "not_dl": (
        "这不是商品的 GS1 数字链接，不会打开：",
        "This is not a product's GS1 Digital Link, so it is not opened:",
    ),
    "no_camera": (
        "无法使用摄像头（需要 HTTPS 和摄像头权限）。请上传二维码照片。",
        "The camera cannot be used (it needs HTTPS and permission). Upload a photo of the code instead.",
    ),
    "decoding": ("正在识别…", "Decoding…"),
    "no_code": ("图片中没有找到二维码，请重拍清晰一些。", "No QR code found in the picture: try a sharper one."),
    "opening": ("正在打开：", "Opening:"),
    "decoder_failed": ("识别程序加载失败：", "The decoder could not be loaded:"),
    "scanning": ("请将二维码对准取景框…", "Point the camera at the code…"),
}
