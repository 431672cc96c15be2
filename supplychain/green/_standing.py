"""A recognition's standing at a time, its spot-check record, and the region its holder is registered in.

The region of a holder comes from its unified social credit code (统一社会信用代码): characters 3 to 8 are the
administrative division code of the registration authority (GB/T 2260), whose first two digits name the province.
A GLN carries no region: its holder's region is ``unknown``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from supplychain.errors import InvalidUsccError
from supplychain.gs1 import parse_uscc
from supplychain.registry import RecognitionState, RecognitionStatus, StatusChange

__all__ = [
    "DAY",
    "PROVINCES",
    "UNKNOWN_REGION",
    "YEAR",
    "Region",
    "Standing",
    "change_at",
    "days_until",
    "parse_region_filter",
    "passes_in_a_row",
    "region_matches",
    "region_of",
    "standing_at",
]

DAY = 86_400
YEAR = 365 * DAY
_PASSES_FOR_EXEMPTION = 3  # RecognitionRegistry.PASSES_FOR_EXEMPTION


class Standing(StrEnum):
    """Where a recognition stands at a time."""

    IN_FORCE = "in_force"  # within its validity period, active
    SUSPENDED = "suspended"  # 暂停
    REVOKED = "revoked"  # 摘牌 (final)
    EXPIRED = "expired"  # past its validity, never suspended or revoked then
    NOT_YET_VALID = "not_yet_valid"  # before it was issued or before its validity begins


def change_at(recognition: RecognitionState, t: int) -> StatusChange | None:
    """The last status change of ``recognition`` at or before ``t``, if any."""
    found = None
    for change in recognition.changes:
        if change.timestamp > t:
            break
        found = change
    return found


def standing_at(recognition: RecognitionState, t: int) -> Standing:
    """The standing of ``recognition`` at ``t`` (seconds); a suspension or revocation wins over an expiry."""
    status = recognition.status_at(t)
    if status is None:
        return Standing.NOT_YET_VALID
    if status is RecognitionStatus.REVOKED:
        return Standing.REVOKED
    if status is RecognitionStatus.SUSPENDED:
        return Standing.SUSPENDED
    terms = recognition.terms
    if t < terms.valid_from:
        return Standing.NOT_YET_VALID
    if terms.valid_until is not None and t >= terms.valid_until:
        return Standing.EXPIRED
    return Standing.IN_FORCE


def days_until(t: int, until: int) -> int:
    """Whole days from ``t`` to ``until``, rounded up (0 when ``until`` is not later)."""
    return max(0, math.ceil((until - t) / DAY))


def passes_in_a_row(recognition: RecognitionState, t: int) -> int:
    """Spot checks passed in a row up to ``t``, counted as the registry counts them.

    A failure resets the count; the third pass in a row earns an exemption and resets it too.
    """
    count = 0
    for check in recognition.spot_checks:
        if check.timestamp > t:
            break
        count = count + 1 if check.passed else 0
        if count == _PASSES_FOR_EXEMPTION:
            count = 0
    return count


PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京市", "Beijing"), "12": ("天津市", "Tianjin"), "13": ("河北省", "Hebei"), "14": ("山西省", "Shanxi"),
    "15": ("内蒙古自治区", "Inner Mongolia"), "21": ("辽宁省", "Liaoning"), "22": ("吉林省", "Jilin"),
    "23": ("黑龙江省", "Heilongjiang"), "31": ("上海市", "Shanghai"), "32": ("江苏省", "Jiangsu"),
    "33": ("浙江省", "Zhejiang"), "34": ("安徽省", "Anhui"), "35": ("福建省", "Fujian"), "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"), "41": ("河南省", "Henan"), "42": ("湖北省", "Hubei"), "43": ("湖南省", "Hunan"),
    "44": ("广东省", "Guangdong"), "45": ("广西壮族自治区", "Guangxi"), "46": ("海南省", "Hainan"),
    "50": ("重庆市", "Chongqing"), "51": ("四川省", "Sichuan"), "52": ("贵州省", "Guizhou"),
    "53": ("云南省", "Yunnan"), "54": ("西藏自治区", "Tibet"), "61": ("陕西省", "Shaanxi"), "62": ("甘肃省", "Gansu"),
    "63": ("青海省", "Qinghai"), "64": ("宁夏回族自治区", "Ningxia"), "65": ("新疆维吾尔自治区", "Xinjiang"),
    "71": ("台湾省", "Taiwan"), "81": ("香港特别行政区", "Hong Kong"), "82": ("澳门特别行政区", "Macao"),
}  # fmt: skip
"""Province-level divisions by the first two digits of their GB/T 2260 code: (Chinese name, English name)."""


@dataclass(frozen=True, slots=True)
class Region:
    """Where an organisation is registered, as far as its id tells.

    Attributes:
        division: The six-digit administrative division code (from a USCC), ``None`` when unknown.
        name_zh: The province's Chinese name, ``未知`` when unknown.
        name_en: Its English name, ``unknown`` when unknown.
    """

    division: str | None
    name_zh: str
    name_en: str

    @property
    def province(self) -> str | None:
        """The two-digit province code."""
        return self.division[:2] if self.division else None

    @property
    def known(self) -> bool:
        """Whether the id told the region."""
        return self.division is not None


UNKNOWN_REGION = Region(None, "未知", "unknown")


def region_of(org_id: str) -> Region:
    """The region of an organisation: from its USCC's division code; ``unknown`` for a GLN (or anything else)."""
    try:
        parse_uscc(org_id)
    except InvalidUsccError:
        return UNKNOWN_REGION
    division = org_id[2:8]
    zh, en = PROVINCES.get(division[:2], (f"行政区划 {division}", f"division {division}"))
    return Region(division, zh, en)


def parse_region_filter(text: str) -> str:
    """Validate a region filter: ``unknown``, 2 to 6 digits of a division code, or a province's name.

    Returns the filter as :func:`region_matches` takes it.

    Raises:
        ValueError: Saying what is accepted.
    """
    value = text.strip()
    if value.lower() in ("unknown", "未知"):
        return "unknown"
    if value.isascii() and value.isdigit() and 2 <= len(value) <= 6:
        return value
    for zh, en in PROVINCES.values():
        if value.lower() == en.lower() or (len(value) >= 2 and zh.startswith(value)):
            return zh
    raise ValueError(
        f"unknown region {text!r:.40}: give 2 to 6 digits of an administrative division code (32, 3202, 320200), "
        "a province's name (江苏, Jiangsu) or 'unknown'"
    )


def region_matches(region: Region, wanted: str) -> bool:
    """Whether ``region`` matches a filter returned by :func:`parse_region_filter`."""
    if wanted == "unknown":
        return not region.known
    if wanted.isdigit():
        return region.division is not None and region.division.startswith(wanted)
    return region.name_zh == wanted
