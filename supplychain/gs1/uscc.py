"""The unified social credit code of Chinese organisations (统一社会信用代码, GB 32100-2015).

Eighteen characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S, V, Z): the registration authority
(登记管理部门码, 1 character), the organisation type (机构类别码, 1), the administrative division (登记管理机关
行政区划码, 6 digits), the organisation code (主体标识码, 9) and a check character over the first 17.
"""

from __future__ import annotations

from typing import Final

from supplychain.errors import InvalidUsccError

__all__ = ["USCC_CHARSET", "USCC_ORGANISATION_TYPES", "parse_uscc", "uscc_check_char"]

USCC_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE: Final = {c: i for i, c in enumerate(USCC_CHARSET)}
_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

USCC_ORGANISATION_TYPES: Final[dict[str, dict[str, str]]] = {
    "1": {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},  # 机构编制
    "2": {"1": "外国常驻新闻机构", "9": "其他"},  # 外交
    "3": {
        "1": "律师执业机构",
        "2": "公证处",
        "3": "基层法律服务所",
        "4": "司法鉴定机构",
        "5": "仲裁委员会",
        "9": "其他",
    },
    "4": {"1": "外国在华文化中心", "9": "其他"},  # 文化
    "5": {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"},  # 民政
    "6": {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    "7": {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"},  # 宗教
    "8": {"1": "基层工会", "9": "其他"},  # 工会
    "9": {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"},  # 工商 / 市场监管
    "A": {"1": "军队事业单位", "9": "其他"},  # 中央军委改革和编制办公室
    "N": {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},  # 农业
    "Y": {"1": "其他"},  # 其他
}
"""Registration authority code -> organisation type code -> meaning (GB 32100-2015 and its amendments)."""


def _check(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_check_char(first17: str) -> str:
    """Return the check character for the first 17 characters of a unified social credit code.

    Raises:
        InvalidUsccError: ``first17`` is not 17 characters of the USCC character set.
    """
    if len(first17) != 17:
        raise InvalidUsccError("USCC", first17, f"length {len(first17)}, expected the first 17 characters")
    _require_charset(first17)
    return _check(first17)


def _require_charset(text: str) -> None:
    for i, c in enumerate(text):
        if c not in _VALUE:
            hint = " (lower case is not allowed)" if c.upper() in _VALUE else ""
            raise InvalidUsccError("USCC", text, f"character {c!r} at position {i + 1} is not in {USCC_CHARSET}{hint}")


def parse_uscc(text: str) -> str:
    """Validate a unified social credit code and return it.

    Checks the length, the character set, the registration authority and organisation type codes, the six-digit
    administrative division code and the check character.

    Raises:
        InvalidUsccError: Saying what is wrong and where.
    """
    if len(text) != 18:
        raise InvalidUsccError("USCC", text, f"length {len(text)}, expected 18 characters")
    _require_charset(text)
    types = USCC_ORGANISATION_TYPES.get(text[0])
    if types is None:
        known = ", ".join(USCC_ORGANISATION_TYPES)
        raise InvalidUsccError("USCC", text, f"registration authority code {text[0]!r} is not one of {known}")
    if text[1] not in types:
        known = ", ".join(types)
        raise InvalidUsccError(
            "USCC", text, f"organisation type {text[1]!r} is not one of {known} for authority {text[0]!r}"
        )
    if not text[2:8].isdigit():
        raise InvalidUsccError("USCC", text, f"administrative division code {text[2:8]!r} is not six digits")
    expected = _check(text[:17])
    if text[17] != expected:
        raise InvalidUsccError("USCC", text, f"check character expected {expected}, got {text[17]}")
    return text
