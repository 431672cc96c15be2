"""canonical_dl: GS1's reference vectors, and agreement with the reference normaliser on generated URIs."""

from __future__ import annotations

import json
import logging
import string
from pathlib import Path

import pytest
from epcis_event_hash_generator.dl_normaliser import normaliser as reference_normaliser
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.gs1 import canonical_dl

# GS1's normaliser logs at warning level for non-strings; keep its noise out of the test output.
logging.getLogger().setLevel(logging.ERROR)


def test_every_reference_vector(vectors_dir: Path) -> None:
    pairs = json.loads((vectors_dir / "gs1-digital-link" / "canonical-dl.json").read_text(encoding="utf-8"))
    tested = 0
    refused = 0
    for pair in pairs:
        assert canonical_dl(pair["input"]) == pair["canonical"], pair["input"]
        tested += 1
        refused += pair["canonical"] is None
    assert tested == 67
    assert refused == 8


@pytest.mark.parametrize("value", [None, 42, 4.5, b"urn:epc:id:sscc:4012345.0000000011", ["x"], {"a": "b"}])
def test_non_strings_are_refused(value: object) -> None:
    assert canonical_dl(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "urn:epc:id:sgtin",
        "urn:epc:id.sgtin",
        "urn:epc:id:unknown:4012345.011111.1",
        "urn:epc:id:sgtin:4012345.01111.1",  # item reference one digit short
        "urn:epc:id:sgtin:4012345.011111.",  # empty serial
        "urn:epc:id:sgtin:4012345.011111.%00",  # escape not allowed in GS3A3
        "urn:epcglobal:cbv:bizstep:shipping",
        "ftp://id.gs1.org/01/09780345418913",
        "https://id.gs1.org/01/09780345418913/21/a%2Fb",  # DL values with escapes are refused, as GS1's
        "https://id.gs1.org/01/09780345418913#frag",
        "2020-01-01T00:00:00.000+01:00",
    ],
)
def test_refused_inputs(value: str) -> None:
    assert canonical_dl(value) is None
    assert reference_normaliser(value) is None


def test_only_ascii_digits_count_as_digits() -> None:
    # Deliberate difference from the reference, whose \d also matches other scripts' digits.
    arabic_indic = "".join(chr(0x660 + int(c)) for c in "09780345418913")
    assert canonical_dl(f"https://id.gs1.org/01/{arabic_indic}") is None
    assert canonical_dl("https://id.gs1.org/01/09780345418913") == "https://id.gs1.org/01/09780345418913"


def test_other_hosts_that_look_like_id_gs1_org_are_moved() -> None:
    # Deliberate difference: the reference's unescaped dots keep this host as it is.
    assert reference_normaliser("https://idXgs1.org/01/09780345418913") == "https://idXgs1.org/01/09780345418913"
    assert canonical_dl("https://idXgs1.org/01/09780345418913") == "https://id.gs1.org/01/09780345418913"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("urn:epc:id:sgcn:4012345.22222.77", "https://id.gs1.org/255/401234522222777"),
        ("urn:epc:id:gdti:4012345.00009PO", "https://id.gs1.org/253/4012345000092O"),  # the reference's quirk
        ("urn:epc:id:grai:123456789012...5", "https://id.gs1.org/8003/01234567890128.5"),  # likewise
    ],
)
def test_schemes_beyond_the_vectors(value: str, expected: str) -> None:
    assert canonical_dl(value) == expected
    assert reference_normaliser(value) == expected


def test_serial_wins_over_lot_and_cpv_is_dropped() -> None:
    got = canonical_dl("https://brand.example/p/01/9780345418913/22/A1/10/L1/21/S1?17=261231&3103=000500")
    assert got == "https://id.gs1.org/01/09780345418913/21/S1"


# --- differential property: same answer as GS1's reference normaliser ---

_DIGIT = st.sampled_from(string.digits)
_EPC_SCHEMES = {
    "id:sgtin": 13, "id:sscc": 17, "id:sgln": 12, "id:grai": 12, "id:giai": 0, "id:gsrn": 17, "id:gsrnp": 17,
    "id:gdti": 12, "id:cpi": 0, "id:sgcn": 12, "id:ginc": 0, "id:gsin": 16, "id:itip": 13, "id:upui": 13,
    "id:pgln": 12, "class:lgtin": 13, "idpat:sgtin": 13, "idpat:grai": 12, "idpat:gdti": 12, "idpat:sgcn": 12,
    "idpat:cpi": 0, "idpat:itip": 13, "idpat:upui": 13, "id:other": 12,
}  # fmt: skip
_TEXT = st.text(alphabet=string.ascii_letters + string.digits + "!'()*+,.:;=_-/\"<>#%? ", max_size=32)
_ESCAPE = st.builds(
    lambda a, b: f"%{a}{b}",
    st.sampled_from("0123456789ABCDEFabcdef"),
    st.sampled_from("0123456789ABCDEFabcdef"),
)
_TAIL = st.one_of(st.text(_DIGIT, min_size=1, max_size=14), st.just("*"), _ESCAPE, _TEXT)


@st.composite
def epc_uris(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(sorted(_EPC_SCHEMES)))
    total = _EPC_SCHEMES[scheme] or draw(st.integers(6, 14))
    prefix_len = draw(st.integers(6, 12))
    rest_len = max(0, total - prefix_len + draw(st.sampled_from([0, 0, 0, 1, -1])))
    body = draw(st.text(_DIGIT, min_size=prefix_len, max_size=prefix_len)) + "."
    body += draw(st.text(_DIGIT, min_size=rest_len, max_size=rest_len))
    for _ in range(draw(st.integers(0, 3))):
        body += draw(st.sampled_from([".", ".", ""])) + "".join(draw(st.lists(_TAIL, min_size=1, max_size=3)))
    return f"urn:epc:{scheme}:{body}"


_PRIMARY = (
    "01 gtin 8006 itip 8010 cpid 414 gln 417 party 8017 gsrnp 8018 gsrn 255 gcn 00 sscc 253 gdti"
    " 401 ginc 402 gsin 8003 grai 8004 giai"
)
_QUALIFIER = "22 cpv 10 lot 21 ser 254 235 8011 99 01 gtin"


@st.composite
def web_uris(draw: st.DrawFn) -> str:
    host = draw(
        st.sampled_from(
            [
                "https://id.gs1.org",
                "http://id.gs1.org",
                "https://example.com",
                "http://ex.de/a/b",
                "https://u@h:80",
                "https:",
            ]
        )
    )
    key_len = draw(st.sampled_from([8, 12, 13, 14, 17, 18, 4, 5, 20]))
    path = f"/{draw(st.sampled_from(_PRIMARY.split()))}/" + draw(st.text(_DIGIT, min_size=key_len, max_size=key_len))
    if draw(st.booleans()):
        path += draw(_TAIL)
    for _ in range(draw(st.integers(0, 3))):
        path += f"/{draw(st.sampled_from(_QUALIFIER.split()))}/{draw(_TAIL)}"
    path += draw(st.sampled_from(["", "", "/", f"?{draw(_TEXT)}", f"#{draw(_TEXT)}"]))
    return host + path


@settings(max_examples=1000)
@given(epc_uris())
def test_agrees_with_reference_on_epc_uris(uri: str) -> None:
    assert canonical_dl(uri) == reference_normaliser(uri)


@settings(max_examples=1000)
@given(web_uris())
def test_agrees_with_reference_on_web_uris(uri: str) -> None:
    assert canonical_dl(uri) == reference_normaliser(uri)


@given(st.text(max_size=80))
def test_never_raises_and_agrees_on_ascii_text(text: str) -> None:
    got = canonical_dl(text)
    if text.isascii() and "." in text:
        assert got == reference_normaliser(text)
    elif "." not in text:
        assert got is None
