"""GS1 check digits and keys: every key type valid and invalid (length, characters, check digit)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplychain.errors import Gs1ValueError, InvalidGs1KeyError, TraceError
from supplychain.gs1 import (
    AI_SPECS,
    gs1_check_digit,
    has_valid_check_digit,
    parse_ai,
    parse_cpid,
    parse_gcn,
    parse_gdti,
    parse_giai,
    parse_ginc,
    parse_gln,
    parse_grai,
    parse_gsin,
    parse_gsrn,
    parse_gsrnp,
    parse_gtin,
    parse_itip,
    parse_pgln,
    parse_sscc,
    parse_upui,
)


@pytest.mark.parametrize(
    ("body", "digit"),
    [
        ("978034541891", "3"),  # ISBN-13 as GTIN-13
        ("0401234512345", "6"),
        ("1234567", "0"),  # GTIN-8 12345670
        ("04012345000000011", "5"),  # SSCC 040123450000000115 (GS1 vector)
        ("34012345111111111", "1"),  # SSCC 340123451111111111 (GS1 vector)
        ("", "0"),
    ],
)
def test_check_digit_known_values(body: str, digit: str) -> None:
    assert gs1_check_digit(body) == digit


def test_check_digit_refuses_non_digits() -> None:
    with pytest.raises(ValueError, match="ASCII digits only"):
        gs1_check_digit("12a4")


@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_check_digit_makes_weighted_sum_a_multiple_of_ten(body: str) -> None:
    key = body + gs1_check_digit(body)
    weights = [*[3 if i % 2 == 0 else 1 for i in range(len(key) - 1)][::-1], 1]
    assert sum(int(c) * w for c, w in zip(key, weights, strict=True)) % 10 == 0
    assert has_valid_check_digit(key)
    wrong = key[:-1] + str((int(key[-1]) + 1) % 10)
    assert not has_valid_check_digit(wrong)


def test_has_valid_check_digit_on_junk() -> None:
    assert not has_valid_check_digit("7")
    assert not has_valid_check_digit("12x4")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12345670", "00000012345670"),
        ("001122334455", "00001122334455"),
        ("9780345418913", "09780345418913"),
        ("04012345123456", "04012345123456"),
    ],
)
def test_gtin_valid_lengths_are_padded(text: str, expected: str) -> None:
    assert parse_gtin(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("123456789", "invalid GTIN '123456789': length 9, expected 8, 12, 13 or 14 digits"),
        ("", "length 0"),
        ("97803454189a3", "character 'a' at position 12 is not a digit"),
        ("9780345418914", "check digit expected 3, got 4"),
        ("97803111", "check digit expected 9, got 1"),
    ],
)
def test_gtin_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidGs1KeyError, match=message) as info:
        parse_gtin(text)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TraceError)
    assert info.value.kind == "GTIN"
    assert info.value.value == text


# (parser, valid value, bad length, bad character, bad check digit or other, expected message fragment of the last)
KEYS: list[tuple[Callable[[str], str], str, str, str, str, str]] = [
    (parse_gln, "4012345000054", "401234500005", "40123450000x4", "4012345000055", "check digit expected 4, got 5"),
    (parse_pgln, "4226350800008", "42263508000081", "4226350800O08", "4226350800009", "check digit expected 8"),
    (parse_sscc, "340123453111111115", "34012345311111111", "3401234531111111a5", "340123453111111116", "expected 5"),
    (parse_grai, "03870585000552987", "0387058500055", "0387058500055x", "03870585000553", "check digit expected 2"),
    (parse_gsrn, "385888700111111111", "38588870011111111", "38588870011111111A", "385888700111111112", "expected 1"),
    (parse_gsrnp, "440018922222222226", "4400189222222222261", "44001892222222222.", "440018922222222227", "got 7"),
    (parse_gdti, "4602443000331XYZ", "460244300033", "4602443000331 YZ", "4602443000332", "expected 1, got 2"),
    (parse_gsin, "40123452223334442", "4012345222333444", "4012345222333444-", "40123452223334441", "expected 2"),
    (parse_gcn, "0811625999996554433", "081162599999", "0811625999996A", "0811625999997", "expected 6, got 7"),
    (parse_itip, "040123451234560102", "0401234512345601", "04012345123456010x", "040123451234570102", "expected 6"),
    (parse_giai, "0180451111ABC987", "0" * 31, "4012345 ABC", "401ABC", "GS1 Company Prefix"),
    (parse_ginc, "0614141xyz47/11", "0" * 31, "0614141\u00e9", "06ABC", "GS1 Company Prefix"),
    (parse_cpid, "061414111111111111111-A#/", "0" * 31, "0614141abc", "AB12", "GS1 Company Prefix"),
]


@pytest.mark.parametrize("case", KEYS, ids=[k[0].__name__ for k in KEYS])
def test_every_key_type(case: tuple[Callable[[str], str], str, str, str, str, str]) -> None:
    parse, valid, bad_length, bad_char, bad_other, message = case
    assert parse(valid) == valid
    with pytest.raises(InvalidGs1KeyError, match="length"):
        parse(bad_length)
    with pytest.raises(InvalidGs1KeyError, match=r"character .* at position \d+ is not"):
        parse(bad_char)
    with pytest.raises(InvalidGs1KeyError, match=message):
        parse(bad_other)


def test_grai_needs_filler_zero() -> None:
    with pytest.raises(InvalidGs1KeyError, match="first digit must be the filler 0, got 1"):
        parse_grai("1" + "4012345000220"[:-1] + gs1_check_digit("1" + "4012345000220"[:-1]))


@pytest.mark.parametrize(("piece_total", "ok"), [("0102", True), ("9999", True), ("0000", False), ("0302", False)])
def test_itip_piece_and_total(piece_total: str, ok: bool) -> None:
    value = "04012345123456" + piece_total
    if ok:
        assert parse_itip(value) == value
    else:
        with pytest.raises(InvalidGs1KeyError, match="expected 01 <= piece <= total"):
            parse_itip(value)


def test_upui() -> None:
    assert parse_upui("1234567987651", "51qIgY)<&Jp3*j7SDB") == ("01234567987651", "51qIgY)<&Jp3*j7SDB")
    with pytest.raises(InvalidGs1KeyError, match="TPX"):
        parse_upui("1234567987651", "x" * 29)


@pytest.mark.parametrize(
    ("ai", "value", "message"),
    [
        ("17", "261231", None),
        ("17", "260200", None),  # day 00: end of month
        ("17", "261331", "not a date YYMMDD"),
        ("15", "260230", "not a date YYMMDD"),
        ("3103", "000500", None),
        ("3103", "00500", "length 5, expected 6"),
        ("10", "", "length 0, expected 1 to 20"),
        ("10", "ABC-1/2", None),
        ("21", "a b", "character ' ' at position 2 is not in GS1 character set 82"),
        ("8011", "0123456789012", "length 13"),
        ("99", "x" * 90, None),
        ("8008", "2601011230", None),
        ("8006", "040123451234560102", None),
        ("123", "x", "not a GS1 Application Identifier known here"),
    ],
)
def test_parse_ai(ai: str, value: str, message: str | None) -> None:
    if message is None:
        assert parse_ai(ai, value) == value
    else:
        with pytest.raises(Gs1ValueError, match=message):
            parse_ai(ai, value)


def test_ai_table_names_short_names_once() -> None:
    shorts = [s.short_name for s in AI_SPECS.values() if s.short_name]
    assert len(shorts) == len(set(shorts))
    assert AI_SPECS["01"].short_name == "gtin"
    assert AI_SPECS["3103"].fmt == "N6"


def test_long_values_are_shortened_in_messages() -> None:
    from supplychain.errors import InvalidGs1KeyError
    from supplychain.gs1 import parse_gtin

    with pytest.raises(InvalidGs1KeyError) as info:
        parse_gtin("9" * 500)
    assert len(str(info.value)) < 250
    assert "..." in str(info.value)
