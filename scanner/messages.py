"""Every sentence the scanner shows people, in Chinese (first) and English.

Keys: ``verdict.*`` (the top line), ``label.*`` (report labels), ``reason.<code>`` (a failed or pending check of
:mod:`supplychain.verify`, in plain words), ``error.<code>`` (inputs that cannot be used), ``notice.<code>``
(warnings beside the verdict), ``kind.*`` and ``level.*`` (green recognitions). Parameters are ``{name}`` fields.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["LANGS", "Lang", "has", "keys", "text"]

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

_ZH: dict[str, str] = {
    # the verdict
    "verdict.verified": "验证通过：{count} 个事件的内容、签名、密钥、企业资格和上链证明都与链上记录一致",
    "verdict.failed": "验证失败：{reasons}",
    "verdict.incomplete": "尚未完全验证：{reasons}（已核对的部分无误；其余部分尚无法判断）",
    "verdict.unpinned": "未验证：未指定可信的登记合约，无法排除伪造的合约；{reasons}",
    "verdict.rest_passed": "其余检查都与证明包所指的合约一致",
    "verdict.gaps": "尚未完全验证：{reasons}（流转记录有缺口：可能有事件被遗漏）",
    "verdict.trusts": "只信任区块链：链 {chain_id}，登记合约 {registry}（{rpc}）",
    # labels
    "label.product": "产品",
    "label.source": "来源",
    "label.chain": "区块链",
    "label.registry": "登记合约",
    "label.events": "事件",
    "label.warning": "注意：",
    "label.signature": "签名",
    "label.key": "密钥有效",
    "label.organisation": "企业资格",
    "label.anchored": "上链：区块 {block}，{time}",
    "label.not_anchored": "上链",
    "label.recognitions": "当时有效的绿色认定：",
    "label.no_recognition": "当时无有效绿色认定",
    "label.still_in_force": "至今有效",
    "label.lapsed_since": "现已失效",
    "label.bundle_checks": "证明包",
    "label.timing": "用时：获取 {source_ms} ms，读链 {chain_ms} ms，验证 {verify_ms} ms",
    "label.source.image": "二维码图片 {input} → {uri}",
    "label.source.uri": "数字链接 {uri}",
    "label.source.file": "证明包文件 {input}",
    "label.chain_value": "{rpc} · 链 {chain_id} · 最新区块 {block}",
    "label.content": "内容未改动",
    "label.recognition_item": "{kind}（{level}）#{id}",
    "label.list_separator": "，",
    "label.name": "产品名称",
    "label.signed_by": "{name} —— 由 {org} 签名（所有者发布的产品主数据，第 {version} 版）",
    "label.master_data": "产品主数据",
    "label.green_product": "绿色设计产品认定 #{id}",
    "label.summarised": "未纳入的事件",
    "label.summarised.outside_custody": (
        "{count} 个事件来自不在本产品流转链上的组织：不属于本产品的记录，未计入上面的验证"
    ),
    "label.summarised.too_many_identifiers": "{count} 个事件列出的标识过多，只以引用列出：未核对其内容",
    "label.summarised_checks": "以下引用只核对了签名、密钥和上链证明；类型、时间和标识数量是平台所述",
    "label.summarised_item": "{type} · {step} · {time}（平台所述） · {org} · {count} 个标识",
    "label.summarised_more": "另有 {count} 个未列出",
    # reasons (codes of supplychain.verify)
    "reason.other_chain": "证明包来自另一条链",
    "reason.other_registry": "证明包来自另一个登记合约",
    "reason.other_product": "证明包说的是另一件产品，不是扫描的这件",
    "reason.malformed_envelope": "签名信封格式错误",
    "reason.malformed_event": "不是有效的 EPCIS 2.0 事件",
    "reason.hash_mismatch": "事件内容被改动（重新计算的哈希不符）",
    "reason.bad_signature": "签名无效",
    "reason.key_not_registered": "签名密钥没有在链上登记给该企业",
    "reason.key_not_yet_valid": "事件发生时签名密钥尚未生效",
    "reason.key_revoked": "签名密钥在事件发生之前已被吊销",
    "reason.key_compromised": "签名密钥已因泄露被吊销，而该签名在吊销之后才上链（可能是盗用密钥者所签）",
    "reason.organisation_not_registered": "事件发生时该企业未在链上登记",
    "reason.organisation_suspended": "事件发生时该企业已被暂停",
    "reason.role_not_allowed": "该企业的角色不允许这一业务步骤",
    "reason.proof_invalid": "默克尔证明对不上它的根（证明被调换或改动）",
    "reason.root_not_anchored": "默克尔根不在链上",
    "reason.anchor_mismatch": "证明包所说的上链信息与链上记录不符",
    "reason.event_after_anchor": "事件时间晚于上链时间",
    "reason.event_in_future": "事件时间在未来",
    "reason.not_anchored": "尚未上链",
    "reason.no_events": "证明包里没有事件",
    "reason.product_not_found": "没有事件提到该产品",
    "reason.malformed_master_data": "产品主数据格式错误",
    "reason.master_data_other_product": "产品主数据说的是另一个商品条码",
    "reason.master_data_hash_mismatch": "产品主数据被改动（重新计算的哈希不符）",
    "reason.not_gtin_owner": "产品主数据的签名企业在发布时不是该商品条码的所有者（或其授权代工方）",
    "reason.recognition_not_held": "产品主数据引用的绿色设计产品认定不属于该企业、该产品，或当时无效",
    "reason.published_after_anchor": "产品主数据的发布时间晚于上链时间",
    "reason.received_before_event": "平台所说的接收时间早于事件发生时间",
    "reason.received_after_anchor": "平台所说的接收时间晚于上链时间",
    "reason.duplicate_event": "同一事件在证明包中出现了不止一次",
    "reason.unrelated_event": "证明包中有与本产品无关的事件（例如同批其他序列号的事件）",
    "reason.event_before_origin": "事件时间早于该物品的生产（顺序颠倒）",
    "reason.received_not_shipped": "收货之前没有其他企业的发货记录（流转链断开）",
    "reason.sold_without_receipt": "销售企业没有收货记录（流转链断开）",
    "reason.origin_missing": "证明包中缺少某个物品的生产记录（上游事件缺失）",
    "reason.unpacked_never_packed": "物品从未装入的包装中被取出（装箱记录缺失）",
    "reason.event_dropped": "链上锚定的故事链接表明，平台从证明包中删掉了一条本产品的记录",
    "reason.link_missing": "一条已锚定的本产品记录没有对应的故事链接",
    "reason.link_invalid": "故事链接不成立（证明不通、顺序颠倒、或不属于该记录的批次）",
    "reason.event_not_shown": "故事链接中有一条已锚定的记录，证明包既未展示也未列出",
    "reason.links_not_covered": "部分记录不在证明包给出的故事链接范围内（例如锚定早于启用故事链接）",
    "reason.completeness_unproven": "旧版（第1版）证明包不含故事链接：无法证明没有记录被删掉",
    "reason.registry_not_pinned": "登记合约地址取自证明包本身，未经您指定：无法排除伪造的合约",
    # inputs that cannot be used
    "error.no_such_file": "找不到文件 {path}",
    "error.unreadable_file": "无法读取 {path}：{detail}",
    "error.not_an_input": "{path} 既不是证明包（JSON）也不是图片（PNG、JPEG）",
    "error.not_json": "{path} 不是有效的 JSON：{detail}",
    "error.not_a_bundle": "{where} 不是本扫描器可读的证明包（第 1 或第 2 版）：字段 {field}：{reason}",
    "error.not_an_image": "无法读取图片 {path}：{detail}",
    "error.no_qr_code": "图片 {path} 中没有找到二维码",
    "error.several_qr_codes": "图片 {path} 中有 {count} 个不同的二维码，请只拍一个",
    "error.not_a_digital_link": "{where} 不是 GS1 数字链接：{detail}",
    "error.not_a_product_code": "{uri} 不是产品（GTIN）的数字链接",
    "error.platform_unreachable": "无法连接平台 {url}：{detail}",
    "error.platform_timeout": "平台 {url} 在 {seconds} 秒内没有回应",
    "error.not_issued": "{host} 说 {uri} 不是它发放的码（可能是假冒）：{detail}",
    "error.no_bundle": "平台没有该产品的证明包（{url}）：{detail}",
    "error.bundle_gone": "平台不再提供该证明包（{url}，410）：{detail}",
    "error.platform_refused": "平台拒绝了请求 {url}（HTTP {status}）：{detail}",
    "error.platform_not_json": "平台在 {url} 返回的不是 JSON（{content_type}）：{detail}",
    "error.bad_rpc": "无法使用区块链节点地址 {rpc}：{detail}",
    "error.node_unreachable": "无法连接区块链节点 {rpc}：{detail}",
    "error.bad_registry_option": "--registry 应为 0x 加 40 位十六进制地址，而不是 {value}",
    "error.no_registry": "链 {chain_id}（{rpc}）上地址 {address} 没有合约：请用 --rpc 指定证明包所在的链",
    "error.not_the_registry": "链 {chain_id}（{rpc}）上地址 {address} 的合约不是本版本的登记合约",
    "error.chain_read_failed": "读取链 {rpc} 失败：{detail}",
    "error.bad_trust_file": "可信登记合约文件 {path} 无法使用：{detail}",
    "error.other_node_chain": "节点 {rpc} 属于链 {chain_id}，而不是指定的链 {pinned}：请用 --rpc 指定该链的节点",
    # warnings
    "notice.registry_from_bundle": (
        "登记合约地址 {address} 取自证明包本身；请用 --registry（或环境变量 SCANNER_REGISTRY、可信登记合约文件）"
        "指定您信任的地址（由监管部门公布），以排除伪造的合约"
    ),
    "notice.recalled": "召回（平台所述）：{detail}",
    "notice.truncated": "平台截断了证明包（{url}），上游事件不完整",
    # green recognitions
    "kind.GREEN_FACTORY": "绿色工厂",
    "kind.GREEN_PRODUCT": "绿色设计产品",
    "kind.GREEN_PARK": "绿色园区",
    "kind.GREEN_SUPPLY_CHAIN": "绿色供应链管理企业",
    "level.CITY": "市级",
    "level.PROVINCIAL": "省级",
    "level.NATIONAL": "国家级",
}

_EN: dict[str, str] = {
    "verdict.verified": (
        "Verified: the content, signature, key, organisation and on-chain proof of all {count} events agree with the"
        " chain"
    ),
    "verdict.failed": "FAILED: {reasons}",
    "verdict.incomplete": "Not fully verified yet: {reasons} (what was checked holds; the rest is not checked yet)",
    "verdict.unpinned": (
        "NOT VERIFIED: no trusted registry was pinned, so a forged registry cannot be ruled out; {reasons}"
    ),
    "verdict.rest_passed": "every other check agrees with the registry the bundle names",
    "verdict.gaps": "Not fully verified: {reasons} (the story has gaps: an event may have been left out)",
    "verdict.trusts": "Trusting only the chain: chain {chain_id}, registry {registry} ({rpc})",
    "label.product": "Product",
    "label.source": "Source",
    "label.chain": "Chain",
    "label.registry": "Registry",
    "label.events": "Events",
    "label.warning": "Warning: ",
    "label.signature": "signature",
    "label.key": "key valid",
    "label.organisation": "organisation",
    "label.anchored": "anchored in block {block} at {time}",
    "label.not_anchored": "anchored",
    "label.recognitions": "green recognitions in force then: ",
    "label.no_recognition": "no green recognition in force then",
    "label.still_in_force": "still in force",
    "label.lapsed_since": "no longer in force",
    "label.bundle_checks": "Bundle",
    "label.summarised": "Events left out",
    "label.summarised.outside_custody": (
        "{count} events by organisations outside this product's chain of custody: not part of its record, not in the"
        " verification above"
    ),
    "label.summarised.too_many_identifiers": (
        "{count} events list too many identifiers and are only referenced: their content was not checked"
    ),
    "label.summarised_checks": (
        "Only the signature, key and on-chain proof of these references were checked; their type, time and count"
        " are what the platform says"
    ),
    "label.summarised_item": "{type} · {step} · {time} (as the platform says) · {org} · {count} identifiers",
    "label.summarised_more": "{count} more not listed",
    "label.timing": "Time: fetch {source_ms} ms, chain {chain_ms} ms, verification {verify_ms} ms",
    "label.source.image": "QR image {input} → {uri}",
    "label.source.uri": "Digital Link {uri}",
    "label.source.file": "bundle file {input}",
    "label.chain_value": "{rpc} · chain {chain_id} · latest block {block}",
    "label.content": "content intact",
    "label.recognition_item": "{kind} ({level}) #{id}",
    "label.list_separator": ", ",
    "label.name": "Product name",
    "label.signed_by": "{name} — signed by {org} (the owner's product master data, version {version})",
    "label.master_data": "Product master data",
    "label.green_product": "green design product recognition #{id}",
    "reason.other_chain": "the bundle is from another chain",
    "reason.other_registry": "the bundle is from another registry",
    "reason.other_product": "the bundle is about another product than the one scanned",
    "reason.malformed_envelope": "the signed envelope is malformed",
    "reason.malformed_event": "not a valid EPCIS 2.0 event",
    "reason.hash_mismatch": "the event was edited (its recomputed hash differs)",
    "reason.bad_signature": "the signature is not valid",
    "reason.key_not_registered": "the signing key is not registered to this organisation on chain",
    "reason.key_not_yet_valid": "the signing key was not yet valid at the event time",
    "reason.key_revoked": "the signing key was revoked before the event time",
    "reason.key_compromised": "the signing key was revoked as compromised and this signature was anchored only after "
    "that (whoever stole the key could have made it)",
    "reason.organisation_not_registered": "the organisation was not registered at the event time",
    "reason.organisation_suspended": "the organisation was suspended at the event time",
    "reason.role_not_allowed": "the organisation's roles did not allow this business step",
    "reason.proof_invalid": "the Merkle proof does not lead to its root (a swapped or altered proof)",
    "reason.root_not_anchored": "the Merkle root is not on chain",
    "reason.anchor_mismatch": "the anchor the bundle claims differs from the chain",
    "reason.event_after_anchor": "the event time is after its anchoring",
    "reason.event_in_future": "the event time is in the future",
    "reason.not_anchored": "not anchored yet",
    "reason.no_events": "the bundle holds no event",
    "reason.product_not_found": "no event names the product",
    "reason.malformed_master_data": "the product master data is malformed",
    "reason.master_data_other_product": "the product master data is about another GTIN",
    "reason.master_data_hash_mismatch": "the product master data was altered (its recomputed hash differs)",
    "reason.not_gtin_owner": (
        "the product master data was signed by an organisation that did not own the GTIN (nor make it for its owner)"
        " when it was published"
    ),
    "reason.recognition_not_held": (
        "the green design product recognition the master data cites is not the signer's, not this product's, or was"
        " not in force"
    ),
    "reason.published_after_anchor": "the product master data's publication time is after its anchoring",
    "reason.received_before_event": "the platform says it received the event before it happened",
    "reason.received_after_anchor": "the platform says it received the event after it was anchored",
    "reason.duplicate_event": "an event is listed more than once",
    "reason.unrelated_event": "an event is not part of this product's story (e.g. a sibling serial's)",
    "reason.event_before_origin": "an event is dated before the item was made (out of order)",
    "reason.received_not_shipped": "a receipt follows no shipment by another organisation (a gap in the custody chain)",
    "reason.sold_without_receipt": "the seller never received the product (a gap in the custody chain)",
    "reason.origin_missing": "no event of the bundle made an item of the story (an upstream event is missing)",
    "reason.unpacked_never_packed": "an item was taken out of a container it was never put in (a packing is missing)",
    "reason.event_dropped": "the anchored story links show an event of this product was left out of the bundle",
    "reason.link_missing": "an anchored event of this product has no story link",
    "reason.link_invalid": "a story link does not hold (bad proof, out of order, or not in its event's batch)",
    "reason.event_not_shown": "the story links name an anchored event the bundle neither shows nor lists",
    "reason.links_not_covered": "some events are not covered by the bundle's story links (e.g. anchored before links)",
    "reason.completeness_unproven": "a version-1 bundle has no story links: that no event was left out is not proven",
    "reason.registry_not_pinned": (
        "the registry address is the bundle's own word, not one you pinned: a forged registry cannot be ruled out"
    ),
    "error.no_such_file": "no such file: {path}",
    "error.unreadable_file": "cannot read {path}: {detail}",
    "error.not_an_input": "{path} is neither a proof bundle (JSON) nor an image (PNG, JPEG)",
    "error.not_json": "{path} is not valid JSON: {detail}",
    "error.not_a_bundle": "{where} is not a proof bundle this scanner reads (version 1 or 2): field {field}: {reason}",
    "error.not_an_image": "cannot read the image {path}: {detail}",
    "error.no_qr_code": "no QR code found in the image {path}",
    "error.several_qr_codes": "{count} different QR codes in the image {path}: photograph one",
    "error.not_a_digital_link": "{where} is not a GS1 Digital Link: {detail}",
    "error.not_a_product_code": "{uri} is not the Digital Link of a product (GTIN)",
    "error.platform_unreachable": "cannot reach the platform at {url}: {detail}",
    "error.platform_timeout": "the platform at {url} did not answer within {seconds} s",
    "error.not_issued": "{host} says it never issued {uri} (possibly counterfeit): {detail}",
    "error.no_bundle": "the platform has no proof bundle for this product ({url}): {detail}",
    "error.bundle_gone": "the platform no longer serves this bundle ({url}, 410): {detail}",
    "error.platform_refused": "the platform refused {url} (HTTP {status}): {detail}",
    "error.platform_not_json": "the platform answered {url} with something that is not JSON ({content_type}): {detail}",
    "error.bad_rpc": "cannot use the node URL {rpc}: {detail}",
    "error.node_unreachable": "cannot reach the chain node at {rpc}: {detail}",
    "error.bad_registry_option": "--registry takes 0x and 40 hex digits, not {value}",
    "error.no_registry": (
        "no contract at {address} on chain {chain_id} ({rpc}): pass --rpc of the chain the bundle was anchored on"
    ),
    "error.not_the_registry": (
        "the contract at {address} on chain {chain_id} ({rpc}) is not this version of the registry"
    ),
    "error.chain_read_failed": "reading the chain at {rpc} failed: {detail}",
    "error.bad_trust_file": "cannot use the trusted registries file {path}: {detail}",
    "error.other_node_chain": (
        "the node at {rpc} is on chain {chain_id}, not on the pinned chain {pinned}: pass --rpc of a node of that chain"
    ),
    "notice.registry_from_bundle": (
        "the registry address {address} was taken from the bundle itself: pin the address you trust (published by"
        " the regulator) with --registry, SCANNER_REGISTRY or a trusted registries file to rule out a forged registry"
    ),
    "notice.recalled": "RECALLED (as the platform says): {detail}",
    "notice.truncated": "the platform truncated the bundle ({url}): upstream events are missing",
    "kind.GREEN_FACTORY": "green factory",
    "kind.GREEN_PRODUCT": "green design product",
    "kind.GREEN_PARK": "green industrial park",
    "kind.GREEN_SUPPLY_CHAIN": "green supply-chain enterprise",
    "level.CITY": "city",
    "level.PROVINCIAL": "provincial",
    "level.NATIONAL": "national",
}

_TABLES: dict[str, dict[str, str]] = {"zh": _ZH, "en": _EN}


def keys(lang: Lang) -> frozenset[str]:
    """Every key with a sentence in ``lang``."""
    return frozenset(_TABLES[lang])


def has(lang: Lang, key: str) -> bool:
    """Whether ``key`` has a sentence."""
    return key in _TABLES[lang]


def text(lang: Lang, key: str, **params: Any) -> str:
    """The sentence ``key`` in ``lang`` with ``params`` filled in (the key itself when there is none)."""
    template = _TABLES[lang].get(key)
    if template is None:
        return key
    return template.format(**params)
