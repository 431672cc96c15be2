"""Unified social credit codes (GB 32100-2015) and organisation ids as bytes32."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplychain.errors import Gs1ValueError, InvalidGs1KeyError, InvalidUsccError
from supplychain.gs1 import (
    USCC_CHARSET,
    org_id_bytes32,
    org_id_from_bytes32,
    parse_org_id,
    parse_uscc,
    uscc_check_char,
)
from supplychain.gs1.uscc import USCC_ORGANISATION_TYPES

WEIGHTS = [pow(3, i, 31) for i in range(17)]


def reference_check(first17: str) -> str:
    """The standard's formula, written independently of the module: C18 = 31 - (sum mod 31), 31 -> 0."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def test_weights_are_powers_of_three_mod_31() -> None:
    assert WEIGHTS == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def test_known_public_code() -> None:
    assert parse_uscc("91350100M000100Y43") == "91350100M000100Y43"
    assert uscc_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize("first17", ["91110000600037341", "52100000500018476", "12100000400000398", "Y1440300MA5D0000"])
def test_computed_codes(first17: str) -> None:
    first17 = first17.ljust(17, "0")
    code = first17 + reference_check(first17)
    assert uscc_check_char(first17) == code[-1]
    assert parse_uscc(code) == code


_BODY = st.text(alphabet=USCC_CHARSET, min_size=9, max_size=9)
_AUTHORITY_TYPE = st.sampled_from([a + t for a, types in USCC_ORGANISATION_TYPES.items() for t in types])
_DIVISION = st.text(alphabet="0123456789", min_size=6, max_size=6)


@given(_AUTHORITY_TYPE, _DIVISION, _BODY)
def test_generated_codes_validate_and_any_one_change_is_caught(head: str, division: str, body: str) -> None:
    first17 = head + division + body
    code = first17 + uscc_check_char(first17)
    assert code[-1] == reference_check(first17)
    assert parse_uscc(code) == code
    wrong = code[:-1] + USCC_CHARSET[(USCC_CHARSET.index(code[-1]) + 1) % 31]
    with pytest.raises(InvalidUsccError, match=f"check character expected {code[-1]}, got {wrong[-1]}"):
        parse_uscc(wrong)
    assert org_id_from_bytes32(org_id_bytes32(code)) == code


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("91350100M000100Y4", "length 17, expected 18 characters"),
        ("91350100M000100I43", "character 'I' at position 16 is not in"),
        ("91350100m000100Y43", "lower case is not allowed"),
        ("B1350100M000100Y43", "registration authority code 'B' is not one of"),
        ("94350100M000100Y43", "organisation type '4' is not one of 1, 2, 3 for authority '9'"),
        ("9135A100M000100Y43", "administrative division code '35A100' is not six digits"),
        ("91350100M000100Y44", "check character expected 3, got 4"),
    ],
)
def test_invalid_codes(text: str, message: str) -> None:
    with pytest.raises(InvalidUsccError, match=message) as info:
        parse_uscc(text)
    assert isinstance(info.value, ValueError)


def test_check_char_input_errors() -> None:
    with pytest.raises(InvalidUsccError, match="length 16, expected the first 17"):
        uscc_check_char("9135010000000000")
    with pytest.raises(InvalidUsccError, match="character 'O'"):
        uscc_check_char("91350100M0O0100Y4")


def test_org_id_bytes32_layout() -> None:
    assert org_id_bytes32("4012345000054") == b"4012345000054" + b"\0" * 19
    assert org_id_bytes32("91350100M000100Y43") == b"91350100M000100Y43" + b"\0" * 14
    assert org_id_from_bytes32(b"4012345000054".ljust(32, b"\0")) == "4012345000054"
    assert parse_org_id("4012345000054") == "4012345000054"


@pytest.mark.parametrize(
    ("org_id", "error", "message"),
    [
        ("4012345000055", InvalidGs1KeyError, "check digit expected 4, got 5"),
        ("91350100M000100Y44", InvalidUsccError, "check character"),
        ("401234500005", Gs1ValueError, "length 12: expected a GLN"),
        ("", Gs1ValueError, "length 0"),
        ("401234500005\u0665", Gs1ValueError, "length 13: expected a GLN"),
    ],
)
def test_org_id_invalid(org_id: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        org_id_bytes32(org_id)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"4012345000054", "length 13 bytes, expected 32"),
        (b"4012345\x00000054".ljust(32, b"\0"), "zero byte inside the id"),
        ("40123450000é".encode().ljust(32, b"\0"), "not ASCII"),
        (b"\0" * 32, "length 0"),
        (b"4012345000055".ljust(32, b"\0"), "check digit"),
    ],
)
def test_org_id_from_bytes32_invalid(raw: bytes, message: str) -> None:
    with pytest.raises(Gs1ValueError, match=message):
        org_id_from_bytes32(raw)
