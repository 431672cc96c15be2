"""The words a green-recognition credential uses: schemes, standards, levels, grades, statuses and reasons.

Labels come in English and Chinese (zh-CN) so that every reader of a verdict can render it; the machine-readable
values are the registry's enum names.
"""

from __future__ import annotations

from dataclasses import dataclass

from supplychain.registry import Grade, Level, ReasonCode, RecognitionKind

__all__ = [
    "CREDENTIALS_CONTEXT",
    "REASON_LABELS",
    "SCHEMES",
    "SCHEME_BASE",
    "STATUS_TYPE",
    "UNTP_DCC_CONTEXT",
    "VC_V2_CONTEXT",
    "Scheme",
    "grade_label",
    "level_label",
    "reason_label",
    "standard_title",
]

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
"""The W3C Verifiable Credentials Data Model 2.0 context (always first)."""

UNTP_DCC_CONTEXT = "https://test.uncefact.org/vocabulary/untp/dcc/0.6.0/"
"""The UN Transparency Protocol Digital Conformity Credential context the attestation's terms come from."""

CREDENTIALS_CONTEXT = "https://ns.supplychain.dev/credentials/v1"
"""Our own terms: ``greenRecognition`` and the ``SupplychainRegistryStatus`` status type (never fetched)."""

STATUS_TYPE = "SupplychainRegistryStatus"
"""``credentialStatus.type``: the status is the recognition's status in the on-chain registry."""

SCHEME_BASE = "https://ns.supplychain.dev/green/"


@dataclass(frozen=True, slots=True)
class Scheme:
    """A recognition kind as a conformity-assessment scheme (绿色制造体系).

    Attributes:
        slug: The last segment of the scheme's id.
        zh: The name on the published lists.
        en: The English name.
    """

    slug: str
    zh: str
    en: str

    @property
    def id(self) -> str:
        """The scheme's URI."""
        return SCHEME_BASE + self.slug


SCHEMES: dict[RecognitionKind, Scheme] = {
    RecognitionKind.GREEN_FACTORY: Scheme("green-factory", "绿色工厂", "Green factory"),
    RecognitionKind.GREEN_PRODUCT: Scheme("green-design-product", "绿色设计产品", "Green design product"),
    RecognitionKind.GREEN_PARK: Scheme("green-industrial-park", "绿色园区", "Green industrial park"),
    RecognitionKind.GREEN_SUPPLY_CHAIN: Scheme(
        "green-supply-chain-enterprise", "绿色供应链管理企业", "Green supply-chain management enterprise"
    ),
}

# The evaluation standards docs/overview.md names, by number (any edition): (Chinese title, English title).
_STANDARDS = {
    "GB/T 36132": ("绿色工厂评价通则", "General principles for assessment of green factories"),
    "GB/T 32161": ("生态设计产品评价通则", "General principles for eco-design product assessment"),
    "GB/T 32163": ("生态设计产品评价规范", "Specification for eco-design product assessment"),
    "GB/T 33635": (
        "绿色制造 制造企业绿色供应链管理 导则",
        "Green manufacturing - Green supply chain management of manufacturing enterprises - Guideline",
    ),
}

_LEVELS = {
    Level.CITY: ("市级", "city"),
    Level.PROVINCIAL: ("省级", "provincial"),
    Level.NATIONAL: ("国家级", "national"),
}
_GRADES = {Grade.NONE: "", Grade.B: "B", Grade.A: "A", Grade.A_PLUS: "A+"}

REASON_LABELS: dict[ReasonCode, tuple[str, str]] = {
    ReasonCode.SPOT_CHECK_FAILED: ("抽查不合格", "spot check failed"),
    ReasonCode.DATA_FALSIFIED: ("数据造假", "data falsified"),
    ReasonCode.REFUSED_TO_REPORT: ("拒不报送", "refused to report"),
    ReasonCode.SAFETY_INCIDENT: ("安全事故", "safety incident"),
    ReasonCode.QUALITY_INCIDENT: ("质量事故", "quality incident"),
    ReasonCode.ENVIRONMENTAL_INCIDENT: ("环境事件", "environmental incident"),
    ReasonCode.HOLDER_REQUEST: ("持有单位申请", "at the holder's request"),
    ReasonCode.ISSUED_IN_ERROR: ("误发", "issued in error"),
    ReasonCode.KEY_COMPROMISED: ("密钥泄露", "key compromised"),
    ReasonCode.KEY_ROTATION: ("密钥轮换", "key rotation"),
    ReasonCode.RECTIFIED: ("已整改", "rectified"),
    ReasonCode.DISSOLVED: ("已注销", "dissolved"),
    ReasonCode.LICENCE_LAPSED: ("厂商识别代码证书未续展", "GS1 licence lapsed"),
    ReasonCode.CONTRACT_ENDED: ("委托生产合同终止", "manufacturing contract ended"),
}


def standard_title(standard_ref: str) -> tuple[str, str] | None:
    """(Chinese, English) title of a standard that docs/overview.md names, by number.

    ``GB/T 36132-2018`` → 绿色工厂评价通则.
    """
    for number, titles in _STANDARDS.items():
        rest = standard_ref[len(number) :]
        if standard_ref.startswith(number) and (not rest or rest[0] in "-.— "):
            return titles
    return None


def level_label(level: Level) -> tuple[str, str]:
    """(Chinese, English) name of a level: (省级, provincial)."""
    return _LEVELS[level]


def grade_label(grade: Grade) -> str:
    """``A+``, ``A``, ``B``, or ``""`` for no grade."""
    return _GRADES[grade]


def reason_label(code: int) -> tuple[str, str] | None:
    """(Chinese, English) label of a registry reason code; ``None`` for a code the registry does not define."""
    try:
        return REASON_LABELS.get(ReasonCode(code))
    except ValueError:
        return None
