"""The registry's vocabulary as typed values: roles, recognition kinds, levels, grades, scopes, statuses, reasons.

The numbers are the ones the Solidity registry (``contracts/``) stores and emits; changing one breaks the reading of
history already on chain.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

__all__ = [
    "BusinessRole",
    "Grade",
    "Level",
    "ReasonCode",
    "RecognitionKind",
    "RecognitionStatus",
    "Scope",
    "bytes32_text",
    "text_bytes32",
]


class BusinessRole(IntFlag):
    """Business roles of an organisation (a bit set on chain)."""

    MANUFACTURER = 1
    SUPPLIER = 2
    LOGISTICS = 4
    RETAILER = 8

    @classmethod
    def parse(cls, names: str) -> BusinessRole:
        """``"manufacturer,supplier"`` → ``MANUFACTURER | SUPPLIER``; raises ``ValueError`` naming unknown roles."""
        value = cls(0)
        for raw in names.split(","):
            name = raw.strip().upper()
            if not name:
                continue
            if name not in cls.__members__:
                known = ", ".join(m.lower() for m in cls.__members__)
                raise ValueError(f"unknown business role {raw.strip()!r}; expected one of: {known}")
            value |= cls[name]
        if not value:
            raise ValueError("at least one business role is required")
        return value

    def names(self) -> list[str]:
        """Lower-case names of the roles in this set, in bit order."""
        return [m.name.lower() for m in BusinessRole if m in self and m.name]


class RecognitionKind(IntEnum):
    """The four kinds of green recognition (绿色制造体系)."""

    GREEN_FACTORY = 1  # 绿色工厂
    GREEN_PRODUCT = 2  # 绿色设计产品
    GREEN_PARK = 3  # 绿色园区
    GREEN_SUPPLY_CHAIN = 4  # 绿色供应链管理企业

    @property
    def label_zh(self) -> str:
        """Chinese name as used on the published lists."""
        return _KIND_ZH[self]


_KIND_ZH = {
    RecognitionKind.GREEN_FACTORY: "绿色工厂",
    RecognitionKind.GREEN_PRODUCT: "绿色设计产品",
    RecognitionKind.GREEN_PARK: "绿色园区",
    RecognitionKind.GREEN_SUPPLY_CHAIN: "绿色供应链管理企业",
}


class Level(IntEnum):
    """Recognition levels, climbed one by one (逐级申报)."""

    CITY = 1  # 市级
    PROVINCIAL = 2  # 省级
    NATIONAL = 3  # 国家级


class Grade(IntEnum):
    """MIIT grades of national green factories."""

    NONE = 0
    B = 1
    A = 2
    A_PLUS = 3


class Scope(IntEnum):
    """What a recognition covers: the enterprise, one facility (by GLN) or one product (by GTIN)."""

    ENTERPRISE = 0
    FACILITY = 1
    PRODUCT = 2


class RecognitionStatus(IntEnum):
    """Status of a recognition; ``REVOKED`` (摘牌) is final."""

    ACTIVE = 1
    SUSPENDED = 2
    REVOKED = 3


class ReasonCode(IntEnum):
    """Reason codes of suspensions, reinstatements, revocations and key revocations (0 is refused on chain)."""

    SPOT_CHECK_FAILED = 1
    DATA_FALSIFIED = 2
    REFUSED_TO_REPORT = 3
    SAFETY_INCIDENT = 4
    QUALITY_INCIDENT = 5
    ENVIRONMENTAL_INCIDENT = 6
    HOLDER_REQUEST = 7
    ISSUED_IN_ERROR = 8
    KEY_COMPROMISED = 9
    KEY_ROTATION = 10
    RECTIFIED = 11
    DISSOLVED = 12
    LICENCE_LAPSED = 13  # a GS1 Company Prefix not renewed (系统成员证书未续展)
    CONTRACT_ENDED = 14  # a GTIN delegation's manufacturing contract ended


def text_bytes32(text: str) -> bytes:
    """ASCII text left-aligned and zero-padded into 32 bytes (how ids, subjects and standards are stored on chain).

    Raises:
        ValueError: the text is empty, not printable ASCII, or longer than 32 characters.
    """
    if not text or not text.isascii() or not text.isprintable():
        raise ValueError(f"{text!r} is not a non-empty printable ASCII text")
    raw = text.encode("ascii")
    if len(raw) > 32:
        raise ValueError(f"{text!r} is {len(raw)} characters long; at most 32 fit in a bytes32")
    return raw.ljust(32, b"\0")


def bytes32_text(value: bytes) -> str:
    """The inverse of :func:`text_bytes32`; the zero value gives ``""``.

    Raises:
        ValueError: the value is not 32 bytes of ASCII followed by zero padding.
    """
    if len(value) != 32:
        raise ValueError(f"expected 32 bytes, got {len(value)}")
    text = value.rstrip(b"\0")
    if b"\0" in text or not text.isascii():
        raise ValueError(f"0x{value.hex()} is not left-aligned ASCII text")
    return text.decode("ascii")
