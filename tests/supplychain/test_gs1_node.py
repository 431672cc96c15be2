"""One identity per item (``identifier_node``): the forms an item is written in, in events and on QR codes, meet."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.gs1 import DigitalLink, canonical_dl, dl_to_epc_uri, identifier_node, parse_digital_link
from supplychain.trace import lots_of

GTIN = "06901234000108"
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
values = st.text(alphabet=CSET82, min_size=1, max_size=20)


def forms(ai: str, value: str) -> list[str]:
    """The ways an event, a QR code or a scan may write the item."""
    link = DigitalLink("01", GTIN, ((ai, value),))
    return [
        link.to_uri(),  # id.gs1.org, everything escaped
        link.to_uri("http://qr.example.cn:8000/p"),  # the platform's own QR link, on its host
        "https://example.com/01/6901234000108/" + ai + "/" + quote(value, safe="!'()*+,:;=@"),  # sub-delims raw
        dl_to_epc_uri(link, 7),  # the EPC URN (pure identity or lot class), GS3A3 escapes
    ]


@settings(max_examples=300, deadline=None)
@given(value=values, ai=st.sampled_from(["10", "21"]))
def test_every_form_of_a_lot_or_serial_is_one_node(value: str, ai: str) -> None:
    nodes = {identifier_node(form) for form in forms(ai, value)}
    assert len(nodes) == 1, nodes
    node = nodes.pop()
    assert node.startswith(f"https://id.gs1.org/01/{GTIN}/{ai}/")
    assert identifier_node(node) == node  # idempotent
    assert parse_digital_link(node).qualifier(ai) == value  # the value itself, not a lookalike


def test_plain_canonical_links_are_kept_as_canonical_dl_gives_them() -> None:
    for uri in (
        f"https://id.gs1.org/01/{GTIN}/21/S-1.a_b",
        f"https://id.gs1.org/01/{GTIN}/10/L'1;x=2",
        "urn:epc:id:sgtin:6901234.000108.S1",
        "urn:epc:id:sscc:6901234.0000000001",
        "urn:epc:id:sgln:6901234.00004.0",
    ):
        assert identifier_node(uri) == canonical_dl(uri)


@pytest.mark.parametrize(
    ("written", "node"),
    [
        (f"https://id.gs1.org/01/{GTIN}/10/2026%2F11", f"https://id.gs1.org/01/{GTIN}/10/2026%2F11"),
        (f"https://id.gs1.org/01/{GTIN}/10/2026%2f11", f"https://id.gs1.org/01/{GTIN}/10/2026%2F11"),
        (f"https://shop.example/01/{GTIN}/22/V1/10/L%26M/21/S%3C1", f"https://id.gs1.org/01/{GTIN}/21/S%3C1"),
        (f"https://id.gs1.org/01/{GTIN}/22/V1/10/L%26M", f"https://id.gs1.org/01/{GTIN}/10/L%26M"),
        (f'https://id.gs1.org/01/{GTIN}/21/A"B', f"https://id.gs1.org/01/{GTIN}/21/A%22B"),
        (f"https://id.gs1.org/gtin/{GTIN}/lot/A!B?17=261231", f"https://id.gs1.org/01/{GTIN}/10/A%21B"),
    ],
)
def test_escapes_cases_variants_and_attributes(written: str, node: str) -> None:
    assert identifier_node(written) == node


@pytest.mark.parametrize(
    "other",
    [
        "urn:uuid:9f2c7a3e-0000-4000-8000-000000000001",
        "https://example.com/not/a/digital/link",
        f"https://id.gs1.org/01/{GTIN}/21/bad%ZZ",  # a broken escape
        f"https://id.gs1.org/01/{GTIN}/21/{'x' * 21}%21",  # a serial longer than 20 characters
        "urn:epc:id:sgtin:not-an-epc",
        "",
    ],
)
def test_what_is_no_gs1_identifier_stays_as_written(other: str) -> None:
    assert identifier_node(other) == other


@pytest.mark.parametrize("lot", ["2026/11", "50%", "A?B=C", "L<b>&\"'1"])
def test_the_lot_an_ilmd_names_is_the_node_of_its_qr_link(lot: str) -> None:
    serial = f"https://id.gs1.org/01/{GTIN}/21/S1"
    lots = lots_of([serial], {"cbvmda:lotNumber": lot})
    qr_link = DigitalLink("01", GTIN, (("10", lot),)).to_uri("https://qr.example.cn")
    assert lots == {identifier_node(qr_link): [serial]}
