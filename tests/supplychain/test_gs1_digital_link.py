"""GS1 Digital Link parsing and building for QR codes, and EPC URI <-> Digital Link conversion."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplychain.errors import DigitalLinkError, EpcUriError
from supplychain.gs1 import (
    DigitalLink,
    canonical_dl,
    dl_to_epc_uri,
    epc_uri_to_dl,
    gs1_check_digit,
    parse_digital_link,
    parse_epc_uri,
)

CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


def test_parse_any_host_short_names_qualifiers_attributes_and_params() -> None:
    uri = "https://brand.example/p/gtin/9780345418913/cpv/A1/lot/L%2F1/ser/S1/?3103=000500&17=261231&linkType=gs1:pip"
    dl = parse_digital_link(uri)
    assert dl == DigitalLink(
        "01",
        "09780345418913",
        (("22", "A1"), ("10", "L/1"), ("21", "S1")),
        (("17", "261231"), ("3103", "000500")),
        (("linkType", "gs1:pip"),),
    )
    assert dl.qualifier("10") == "L/1"
    assert dl.qualifier("235") is None
    assert dl.attribute("17") == "261231"
    assert dl.attribute("15") is None
    assert dl.to_uri() == (
        "https://id.gs1.org/01/09780345418913/22/A1/10/L%2F1/21/S1?17=261231&3103=000500&linkType=gs1%3Apip"
    )
    assert dl.to_uri("https://qr.example.cn/d/") == (
        "https://qr.example.cn/d/01/09780345418913/22/A1/10/L%2F1/21/S1?17=261231&3103=000500&linkType=gs1%3Apip"
    )


@pytest.mark.parametrize(
    ("uri", "key_ai", "qualifiers"),
    [
        ("https://id.gs1.org/414/4280000000002/254/12", "414", (("254", "12"),)),
        ("https://id.gs1.org/8006/040123451234560102/22/AB/21/443322", "8006", (("22", "AB"), ("21", "443322"))),
        ("https://id.gs1.org/8010/0628165987/8011/9876", "8010", (("8011", "9876"),)),
        ("https://id.gs1.org/8018/385888700111111111/8019/12", "8018", (("8019", "12"),)),
        ("http://x.example/00/340123453111111115?10=L1", "00", ()),
        ("https://x.example/party/4226350800008", "417", ()),
        ("https://x.example/01/01234567987651/235/51qIgY%29", "01", (("235", "51qIgY)"),)),
    ],
)
def test_parse_other_keys(uri: str, key_ai: str, qualifiers: tuple[tuple[str, str], ...]) -> None:
    dl = parse_digital_link(uri)
    assert (dl.key_ai, dl.qualifiers) == (key_ai, qualifiers)
    assert parse_digital_link(dl.to_uri()) == dl


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("ftp://x.example/01/09780345418913", "expected an http or https URI with a host"),
        ("https:///01/09780345418913", "expected an http or https URI with a host"),
        ("https://[x/01/09780345418913", "not a URI"),
        ("https://x.example/99/12", "no primary key AI"),
        ("https://x.example/01/09780345418913/21", "no primary key AI"),
        (
            "https://x.example/01/9780345418914",
            "primary key AI 01: invalid GTIN '9780345418914': check digit expected 3, got 4",
        ),
        (
            "https://x.example/01/9780345418913/21/x/10/y",
            "qualifiers 21/10 of AI 01: expected in order 22/10/21 or 235",
        ),
        ("https://x.example/01/9780345418913/21/x/21/y", "qualifiers 21/21 of AI 01"),
        ("https://x.example/00/340123453111111115/21/x", "qualifiers 21 of AI 00: expected in order none"),
        ("https://x.example/01/9780345418913/foo/x", "path segment 3: 'foo' is not a GS1 Application Identifier"),
        ("https://x.example/01/9780345418913/21/a%zz", r"path segment 4 \(AI 21\): '%' not followed by two hex digits"),
        ("https://x.example/01/9780345418913/21/%C3%28", "not UTF-8"),
        ("https://x.example/01/9780345418913/21/%C3%A9", "qualifier AI 21: invalid serial number"),
        ("https://x.example/01/9780345418913?17=261332", "data attribute AI 17: invalid expiry date"),
        ("https://x.example/01/9780345418913?17=261231&17=261230", "data attribute AI 17 given twice"),
        ("https://x.example/01/9780345418913?21=1", "AI 21 is a primary key or a qualifier of AI 01"),
        ("https://x.example/01/9780345418913?414=4280000000002", "AI 414 is a primary key"),
        ("https://x.example/01/9780345418913?7777=1", "query parameter '7777' is not a GS1 Application Identifier"),
        ("https://x.example/01/9780345418913?=1", "query parameter names must be non-empty"),
    ],
)
def test_bad_links_say_what_and_where(uri: str, message: str) -> None:
    with pytest.raises(DigitalLinkError, match=message) as info:
        parse_digital_link(uri)
    assert info.value.value == uri
    assert isinstance(info.value, ValueError)


def test_direct_construction_validates() -> None:
    with pytest.raises(DigitalLinkError, match="not a primary key AI"):
        DigitalLink("21", "x")
    with pytest.raises(DigitalLinkError, match="not all digits"):
        DigitalLink("01", "9780345418913", params=(("17", "x"),))
    assert DigitalLink("01", "12345670").key == "00000012345670"
    link = DigitalLink("01", "9780345418913", attributes=(("3103", "000500"), ("17", "261231")))
    assert link.attributes == (("17", "261231"), ("3103", "000500"))
    assert link.to_uri() == "https://id.gs1.org/01/09780345418913?17=261231&3103=000500"


# --- round trips (Hypothesis) ---

_DIGITS = st.text(alphabet=string.digits, min_size=1, max_size=1)


def _with_check(body: str) -> str:
    return body + gs1_check_digit(body)


_GTIN14 = st.text(alphabet=string.digits, min_size=13, max_size=13).map(_with_check)
_X20 = st.text(alphabet=CSET82, min_size=1, max_size=20)
_DATE = st.dates().map(lambda d: d.strftime("%y%m%d"))


@st.composite
def digital_links(draw: st.DrawFn) -> DigitalLink:
    kind = draw(st.sampled_from(["01", "8006", "414", "00", "8003"]))
    if kind in ("01", "8006"):
        key = draw(_GTIN14)
        if kind == "8006":
            total = draw(st.integers(1, 99))
            key += f"{draw(st.integers(1, total)):02d}{total:02d}"
        chosen = [ai for ai in ("22", "10", "21") if draw(st.booleans())]
        qualifiers = tuple((ai, draw(_X20)) for ai in chosen)
    elif kind == "414":
        key = _with_check(draw(st.text(alphabet=string.digits, min_size=12, max_size=12)))
        qualifiers = (("254", draw(_X20)),) if draw(st.booleans()) else ()
    elif kind == "00":
        key, qualifiers = _with_check(draw(st.text(alphabet=string.digits, min_size=17, max_size=17))), ()
    else:
        body = "0" + draw(st.text(alphabet=string.digits, min_size=12, max_size=12))
        key = _with_check(body) + draw(st.text(alphabet=CSET82, max_size=16))
        qualifiers = ()
    attributes = tuple((ai, draw(_DATE)) for ai in ("11", "15", "17") if draw(st.booleans()))
    if draw(st.booleans()):
        attributes += (("3103", draw(st.text(alphabet=string.digits, min_size=6, max_size=6))),)
    params = (("linkType", draw(st.text(min_size=0, max_size=10))),) if draw(st.booleans()) else ()
    return DigitalLink(kind, key, qualifiers, attributes, params)


@given(digital_links(), st.sampled_from(["https://id.gs1.org", "https://qr.example.cn/p", "http://localhost:8000/"]))
def test_digital_link_round_trip(link: DigitalLink, base: str) -> None:
    uri = link.to_uri(base)
    assert parse_digital_link(uri) == link
    assert parse_digital_link(uri).to_uri(base) == uri


@given(digital_links())
def test_to_uri_agrees_with_canonical_dl_when_values_need_no_escaping(link: DigitalLink) -> None:
    plain = all(set(v) <= set(string.ascii_letters + string.digits + "-.") for _, v in link.qualifiers)
    plain = plain and set(link.key) <= set(string.ascii_letters + string.digits + "-.")
    bare = DigitalLink(link.key_ai, link.key, link.qualifiers)
    if plain and len(link.key) < 30:
        # canonical_dl keeps only the finest level: serial over lot, no CPV, no query.
        finest = {q: v for q, v in link.qualifiers if q != "22"}
        if "21" in finest:
            finest.pop("10", None)
        expected: str | None = DigitalLink(link.key_ai, link.key, tuple(finest.items())).to_uri()
        uri = bare.to_uri("https://brand.example/x")
        if "/22/" in uri and len(uri.split("/22/", 1)[1]) > 20:
            expected = None  # GS1's normaliser refuses a CPV followed by more than 20 characters of path
        assert canonical_dl(uri) == expected


# --- EPC URIs ---


def test_epc_vectors_convert_like_canonical_dl(vectors_dir: Path) -> None:
    pairs = json.loads((vectors_dir / "gs1-digital-link" / "canonical-dl.json").read_text(encoding="utf-8"))
    tested = 0
    for pair in pairs:
        uri = pair["input"]
        if not uri.startswith("urn:epc:"):
            continue
        link = parse_epc_uri(uri)
        assert link.to_uri() == pair["canonical"], uri
        assert epc_uri_to_dl(uri) == pair["canonical"]
        prefix_length = len(uri.split(":")[4].split(".")[0])
        back = dl_to_epc_uri(link, prefix_length)
        # The UPUI id pattern has no serial left: it is the SGTIN pattern of the same GTIN.
        assert back == uri.replace("idpat:upui", "idpat:sgtin"), uri
        tested += 1
    assert tested == 28


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("urn:example:1", "expected 'urn:epc:id:'"),
        ("urn:epc:id:foo:1.2", "unsupported scheme id:foo"),
        ("urn:epc:id:sgtin:4012345.011111", "expected 3 dot-separated components after the scheme, got 2"),
        ("urn:epc:id:sgtin:40123.0111111.1", r"component 1 \(GS1 Company Prefix\) '40123': expected 6 to 12 digits"),
        (
            "urn:epc:id:sgtin:4012345.01111.1",
            r"component 2 \(indicator and item reference\) '01111': expected 6 digits",
        ),
        ("urn:epc:id:sgtin:4012345.011111.a#b", r"component 3 \(serial\) 'a#b': bad character or escape"),
        ("urn:epc:id:sgtin:4012345.011111.%41", "bad character or escape"),
        ("urn:epc:id:sgtin:4012345.011111." + "x" * 21, "is 21 characters, at most 20"),
        ("urn:epc:id:itip:4012345.011111.03.02.1", "expected 01 <= piece <= total"),
        ("urn:epc:idpat:sgtin:4012345.011111.1", r"component 3 of an id pattern must be .\*., got .1."),
        ("urn:epc:id:cpi:0614141.abc.1", "component/part reference"),
        ("urn:epc:id:sgcn:4012345.22222.1234567890123", "expected 1 to 12 digits"),
    ],
)
def test_bad_epc_uris(uri: str, message: str) -> None:
    with pytest.raises(EpcUriError, match=message) as info:
        parse_epc_uri(uri)
    assert isinstance(info.value, ValueError)


def test_epc_without_serial_becomes_an_id_pattern() -> None:
    assert dl_to_epc_uri("https://id.gs1.org/8003/04012345000221", 7) == "urn:epc:idpat:grai:4012345.00022.*"
    assert dl_to_epc_uri("https://id.gs1.org/253/4012345000092", 7) == "urn:epc:idpat:gdti:4012345.00009.*"
    assert dl_to_epc_uri("https://id.gs1.org/255/4012345222227", 7) == "urn:epc:idpat:sgcn:4012345.22222.*"
    assert dl_to_epc_uri("https://id.gs1.org/8010/4012345AB%2F", 7) == "urn:epc:idpat:cpi:4012345.AB%2F.*"
    assert dl_to_epc_uri("https://id.gs1.org/01/04012345123456/22/V1", 7) == "urn:epc:idpat:sgtin:4012345.012345.*"
    assert dl_to_epc_uri("https://id.gs1.org/01/04012345123456/10/L/21/S", 7) == "urn:epc:id:sgtin:4012345.012345.S"


def test_dl_to_epc_errors() -> None:
    with pytest.raises(EpcUriError, match="GS1 Company Prefix length 5: expected 6 to 12"):
        dl_to_epc_uri("https://id.gs1.org/01/04012345123456", 5)
    for uri in ("https://id.gs1.org/8004/0180451", "https://id.gs1.org/401/0180ABC", "https://id.gs1.org/8010/0180ABC"):
        with pytest.raises(EpcUriError, match="7-digit GS1 Company Prefix followed by a reference"):
            dl_to_epc_uri(uri, 7)
    with pytest.raises(DigitalLinkError):
        dl_to_epc_uri("https://id.gs1.org/01/04012345123457", 7)


_GS3A3_VALUE = st.text(alphabet=CSET82, min_size=1, max_size=20)


@st.composite
def epc_links(draw: st.DrawFn) -> tuple[DigitalLink, int]:
    n = draw(st.integers(6, 12))
    gtin = draw(_GTIN14)
    choice = draw(st.sampled_from(["sgtin", "lgtin", "upui", "itip", "sscc", "sgln", "grai", "giai", "gsrn", "cpi"]))
    digits = st.text(alphabet=string.digits, min_size=1, max_size=1)
    if choice == "sgtin":
        link = DigitalLink("01", gtin, (("21", draw(_GS3A3_VALUE)),))
    elif choice == "lgtin":
        link = DigitalLink("01", gtin, (("10", draw(_GS3A3_VALUE)),))
    elif choice == "upui":
        link = DigitalLink("01", gtin, (("235", draw(st.text(alphabet=CSET82, min_size=1, max_size=28))),))
    elif choice == "itip":
        link = DigitalLink("8006", gtin + "0102", (("21", draw(_GS3A3_VALUE)),))
    elif choice == "sscc":
        link = DigitalLink("00", _with_check("".join(draw(st.lists(digits, min_size=17, max_size=17)))))
    elif choice == "sgln":
        gln = _with_check("".join(draw(st.lists(digits, min_size=12, max_size=12))))
        link = DigitalLink("414", gln, (("254", draw(_GS3A3_VALUE.filter(lambda v: v != "0"))),))
    elif choice == "grai":
        grai = _with_check("0" + "".join(draw(st.lists(digits, min_size=12, max_size=12))))
        link = DigitalLink("8003", grai + draw(st.text(alphabet=CSET82, min_size=1, max_size=16)))
    elif choice == "giai":
        prefix = "".join(draw(st.lists(digits, min_size=n, max_size=n)))
        link = DigitalLink("8004", prefix + draw(st.text(alphabet=CSET82, min_size=1, max_size=30 - n)))
    elif choice == "gsrn":
        link = DigitalLink("8018", _with_check("".join(draw(st.lists(digits, min_size=17, max_size=17)))))
    else:
        prefix = "".join(draw(st.lists(digits, min_size=n, max_size=n)))
        ref = draw(st.text(alphabet="#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=30 - n))
        link = DigitalLink("8010", prefix + ref, (("8011", draw(st.from_regex(r"[0-9]{1,12}", fullmatch=True))),))
    return link, n


@given(epc_links())
def test_epc_round_trip(case: tuple[DigitalLink, int]) -> None:
    link, prefix_length = case
    urn = dl_to_epc_uri(link, prefix_length)
    assert parse_epc_uri(urn) == link
    assert dl_to_epc_uri(link.to_uri(), prefix_length) == urn
    assert epc_uri_to_dl(urn) == link.to_uri()


def test_epc_uris_for_each_remaining_scheme() -> None:
    cases = {
        "urn:epc:id:gsrnp:4012345.0000000007": "https://id.gs1.org/8017/401234500000000074",
        "urn:epc:id:gsin:4012345.222333444": "https://id.gs1.org/402/40123452223334442",
        "urn:epc:id:ginc:0614141.xyz47%2F11": "https://id.gs1.org/401/0614141xyz47%2F11",
        "urn:epc:id:pgln:4000001.00000": "https://id.gs1.org/417/4000001000005",
        "urn:epc:id:sgcn:4012345.22222.77": "https://id.gs1.org/255/401234522222777",
        "urn:epc:id:gdti:4012345.00009.PO-4711": "https://id.gs1.org/253/4012345000092PO-4711",
    }
    for urn, uri in cases.items():
        assert epc_uri_to_dl(urn) == uri
        assert dl_to_epc_uri(uri, len(urn.split(":")[4].split(".")[0])) == urn
