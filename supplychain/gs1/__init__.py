"""GS1 identifiers: check digits, keys, EPC URIs, GS1 Digital Link, and Chinese unified social credit codes.

Pure functions on strings, no I/O. :func:`canonical_dl` is the constrained canonical Digital Link used by the
CBV 2.0 Event Hash ID (see :mod:`supplychain.gs1.canonical`); :class:`DigitalLink` and
:func:`parse_digital_link` are for QR codes; :func:`identifier_node` is one item's one identity in traces
(:mod:`supplychain.gs1.node`); :func:`org_id_bytes32` is how organisation ids are kept on chain.
"""

from supplychain.gs1.canonical import canonical_dl
from supplychain.gs1.checkdigit import gs1_check_digit, has_valid_check_digit
from supplychain.gs1.digital_link import KEY_QUALIFIERS, DigitalLink, parse_digital_link
from supplychain.gs1.epc import dl_to_epc_uri, epc_uri_to_dl, parse_epc_uri
from supplychain.gs1.keys import (
    AI_SPECS,
    AiSpec,
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
from supplychain.gs1.node import identifier_node
from supplychain.gs1.orgid import org_id_bytes32, org_id_from_bytes32, parse_org_id
from supplychain.gs1.uscc import USCC_CHARSET, parse_uscc, uscc_check_char

__all__ = [
    "AI_SPECS",
    "KEY_QUALIFIERS",
    "USCC_CHARSET",
    "AiSpec",
    "DigitalLink",
    "canonical_dl",
    "dl_to_epc_uri",
    "epc_uri_to_dl",
    "gs1_check_digit",
    "has_valid_check_digit",
    "identifier_node",
    "org_id_bytes32",
    "org_id_from_bytes32",
    "parse_ai",
    "parse_cpid",
    "parse_digital_link",
    "parse_epc_uri",
    "parse_gcn",
    "parse_gdti",
    "parse_giai",
    "parse_ginc",
    "parse_gln",
    "parse_grai",
    "parse_gsin",
    "parse_gsrn",
    "parse_gsrnp",
    "parse_gtin",
    "parse_itip",
    "parse_org_id",
    "parse_pgln",
    "parse_sscc",
    "parse_upui",
    "parse_uscc",
    "uscc_check_char",
]
