"""Signed product master data: the gs1:Product form, RFC 8785 canonicalisation, the envelope, and its verification
against the registry (the signer's key and its authority over the GTIN at publication) and the chain (its anchor)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplychain.errors import MasterDataFormatError, MasterDataLimitError
from supplychain.gs1 import gs1_check_digit
from supplychain.masterdata import (
    CONTEXT,
    MAX_DEPTH,
    MAX_SIGNED_BYTES,
    ProductMasterData,
    build_product,
    canonical_json,
    decode_json,
    document_hash,
    master_data_message,
    parse_product,
    parse_signed,
    product_time,
    read_signed,
    sign_master_data,
    verify_signed,
)
from supplychain.merkle import MerkleTree
from supplychain.registry import BusinessRole, RecognitionKind, RegistryMirror, Scope
from supplychain.registry.events import GtinsDelegated, LogPosition, PrefixAssigned, PrefixTransferred, RootAnchored
from supplychain.signing import SigningKey, encode_signature, sign_hash_id
from supplychain.verify import (
    BundleMasterData,
    ProofBundle,
    VerdictStatus,
    authority_check,
    master_data_checks,
    product_gtin,
    verify_bundle,
    verify_master_data,
)
from tests.supplychain.factories import ANCHORER, CHAIN_ID, DAY, REGISTRY, T0, ChainBuilder, Org, sgtin


def gtin(body: str) -> str:
    """A GTIN-14 of indicator 0 and 12 digits (check digit computed)."""
    return "0" + body + gs1_check_digit("0" + body)


GTIN = gtin("690123400010")  # under prefix 6901234
OTHER = gtin("692345600020")  # under prefix 6923456
NAMES = {"zh-CN": "绿源 充电模块", "en": "Charging module"}


def product(**changes: Any) -> ProductMasterData:
    fields: dict[str, Any] = {"gtin": GTIN, "names": NAMES, "version": 1, "valid_from": T0 + DAY}
    return ProductMasterData(**(fields | changes))


def full() -> ProductMasterData:
    return product(
        valid_until=T0 + 400 * DAY,
        brand={"zh-CN": "绿源"},
        net_content=("1.5", "KGM"),
        images=("https://example.cn/module.png",),
        country="CN",
        green_product_recognition=1,
    )


# --- the document ---


def test_build_and_parse_round_trip() -> None:
    data = full()
    doc = build_product(data)
    assert doc["@context"] == dict(CONTEXT) and doc["@type"] == "gs1:Product"
    assert doc["gs1:productName"] == [
        {"@value": "绿源 充电模块", "@language": "zh-CN"},
        {"@value": "Charging module", "@language": "en"},
    ]
    assert doc["sc:validFrom"] == product_time(T0 + DAY) == "2023-11-15T22:13:20Z"
    assert parse_product(doc) == data == parse_product(json.loads(json.dumps(doc)))
    assert data.to_json() == doc
    assert data.name("zh") == "绿源 充电模块" and data.name("en") == "Charging module"
    assert data.brand_name("en") == "绿源"  # only in Chinese: the other language
    assert product().brand_name("zh") is None
    assert data.valid_at(T0 + DAY) and not data.valid_at(T0) and not data.valid_at(T0 + 400 * DAY)
    assert product().valid_at(T0 + 10_000 * DAY)
    minimal = build_product(product(names={"en": "Module"}))
    assert set(minimal) == {"@context", "@type", "gs1:gtin", "gs1:productName", "sc:version", "sc:validFrom"}
    single = dict(minimal, **{"gs1:productName": {"@value": "模块", "@language": "zh-CN"}})
    assert parse_product(single).name("en") == "模块"
    one_image = dict(minimal, **{"gs1:image": {"@id": "https://example.cn/a.png"}})
    assert parse_product(one_image).images == ("https://example.cn/a.png",)


def _with(**changes: Any) -> dict[str, Any]:
    doc = build_product(full())
    for key, value in changes.items():
        name = key.replace("__", ":").replace("_AT_", "@")
        if value is None:
            del doc[name]
        else:
            doc[name] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "field", "reason"),
    [
        ([], "<document>", "expected a JSON object, got a list"),
        (_with(gs1__gtin=None), "gs1:gtin", "missing"),
        ({**_with(), "gs1:price": 1}, "gs1:price", "unknown field"),
        (_with(_AT_context={"gs1": "https://evil.example/"}), "@context", "expected exactly"),
        (_with(_AT_type="gs1:Offer"), "@type", "expected 'gs1:Product'"),
        (_with(gs1__gtin="6901234000104"), "gs1:gtin", "14 digits"),
        (_with(gs1__gtin="06901234000109"), "gs1:gtin", "check digit"),
        (_with(gs1__gtin=6901234000108), "gs1:gtin", "14 digits"),
        (_with(gs1__productName=[]), "gs1:productName", "give at least one name"),
        (_with(gs1__productName="模块"), "gs1:productName", "expected a JSON object, got a string"),
        (_with(gs1__productName=[{"@value": "x", "@language": "fr"}]), "gs1:productName[0].@language", "one of"),
        (
            _with(gs1__productName=[{"@value": "a", "@language": "en"}, {"@value": "b", "@language": "en"}]),
            "gs1:productName[1].@language",
            "twice",
        ),
        (_with(gs1__productName={"@value": "", "@language": "en"}), "gs1:productName.@value", "empty"),
        (_with(gs1__productName={"@value": 5, "@language": "en"}), "gs1:productName.@value", "got an integer"),
        (_with(gs1__productName={"@value": None, "@language": "en"}), "gs1:productName.@value", "got null"),
        (_with(gs1__productName={"@value": True, "@language": "en"}), "gs1:productName.@value", "got a boolean"),
        (_with(gs1__productName={"@value": "x" * 201, "@language": "en"}), "gs1:productName.@value", "at most 200"),
        (_with(gs1__productName={"@value": " x", "@language": "en"}), "gs1:productName.@value", "blanks"),
        (_with(gs1__productName={"@value": "a\u202eb", "@language": "en"}), "gs1:productName.@value", "U+202E at 1"),
        (_with(gs1__productName={"@value": "a\x07", "@language": "en"}), "gs1:productName.@value", "U+0007 at 1"),
        (_with(gs1__productName={"@value": "a\x85b", "@language": "en"}), "gs1:productName.@value", "U+0085"),
        (_with(gs1__brand={"@type": "gs1:Brand"}), "gs1:brand.gs1:brandName", "missing"),
        (_with(gs1__brand={"@type": "Brand", "gs1:brandName": "x"}), "gs1:brand.@type", "expected 'gs1:Brand'"),
        (
            _with(gs1__netContent={"@type": "gs1:QuantitativeValue", "gs1:value": 1.5, "gs1:unitCode": "KGM"}),
            "gs1:netContent.gs1:value",
            "",
        ),
        (
            _with(gs1__netContent={"@type": "gs1:QuantitativeValue", "gs1:value": "1,5", "gs1:unitCode": "KGM"}),
            "gs1:netContent.gs1:value",
            "decimal",
        ),
        (
            _with(gs1__netContent={"@type": "gs1:QuantitativeValue", "gs1:value": "1", "gs1:unitCode": "kg"}),
            "gs1:netContent.gs1:unitCode",
            "Rec. 20",
        ),
        (_with(gs1__image=[]), "gs1:image", "give 1 to 4 images, got 0"),
        (_with(gs1__image=[{"@id": "https://a.cn/x"}] * 5), "gs1:image", "got 5"),
        (_with(gs1__image=[{"@id": "http://a.cn/x"}]), "gs1:image[0].@id", "https URL"),
        (_with(gs1__image={"@id": "javascript:alert(1)"}), "gs1:image.@id", "https URL"),
        (
            _with(gs1__countryOfOrigin={"@type": "gs1:Country", "gs1:countryCode": "CHN"}),
            "gs1:countryOfOrigin.gs1:countryCode",
            "alpha-2",
        ),
        (_with(sc__version=0), "sc:version", "from 1"),
        (_with(sc__version=True), "sc:version", "from 1"),
        (_with(sc__version=2**53), "sc:version", ""),
        (_with(sc__validFrom="2026-11-21 08:00:00"), "sc:validFrom", "RFC 3339"),
        (_with(sc__validFrom="2026-02-30T08:00:00Z"), "sc:validFrom", "not a date"),
        (_with(sc__validFrom="1969-12-31T23:59:59Z"), "sc:validFrom", "before 1970"),
        (_with(sc__validUntil=product_time(T0)), "sc:validUntil", "after sc:validFrom"),
        (_with(sc__greenProductRecognition="1"), "sc:greenProductRecognition", "integer"),
        ({**_with(), "gs1:gtin": {1: 2}}, "gs1:gtin", "member names are strings"),
    ],
)
def test_a_malformed_document_is_refused_naming_the_field(doc: Any, field: str, reason: str) -> None:
    with pytest.raises(MasterDataFormatError) as caught:
        parse_product(doc)
    assert caught.value.field == field and reason in caught.value.reason, caught.value


def test_a_document_over_16_kib_is_refused() -> None:
    doc = _with(gs1__image=[{"@id": "https://a.cn/" + "x" * 480}] * 4)
    parse_product(doc)  # 4 long images fit
    doc["sc:padding"] = "x" * 20_000  # unknown, but the size is judged first
    with pytest.raises(MasterDataLimitError) as caught:
        parse_product(doc)
    assert caught.value.limit_name == "max_document_bytes" and caught.value.actual > 16 * 1024


def test_build_checks_what_it_builds() -> None:
    with pytest.raises(MasterDataFormatError, match="gs1:productName"):
        build_product(product(names={}))


# --- canonical JSON (RFC 8785) ---


def test_canonical_json_follows_rfc_8785() -> None:
    assert canonical_json({"b": [1, True, None, False], "a": "x"}) == b'{"a":"x","b":[1,true,null,false]}'
    # escapes: only ", \\ and the controls below U+0020; the rest written as itself
    text = 'q"b\\\b\t\n\f\r\x01\x1f\x7f é €'
    assert canonical_json(text) == '"q\\"b\\\\\\b\\t\\n\\f\\r\\u0001\\u001f\x7f é €"'.encode()
    # member names sorted by UTF-16 code units: U+FB33 (one unit) after U+1F600 (surrogates D83D..)
    assert canonical_json({"\ufb33": 1, "\U0001f600": 2, "a": 3}) == '{"a":3,"😀":2,"דּ":1}'.encode()
    assert canonical_json({}) == b"{}" and canonical_json([]) == b"[]" and canonical_json(-7) == b"-7"
    nested: Any = []
    for _ in range(5000):  # no recursion: any depth (callers bound it before decoding)
        nested = [nested]
    assert canonical_json(nested) == b"[" * 5001 + b"]" * 5001


@pytest.mark.parametrize(
    ("value", "field", "reason"),
    [
        ({"a": [1.5]}, "a[0]", "floating-point"),
        ({"a": 2**53}, "a", "at most"),
        ({"a": "\ud800"}, "a", "lone surrogate"),
        ({"a": b"x"}, "a", "bytes has no place"),
        ({1: "x"}, "<document>", "member names are strings"),
    ],
)
def test_canonical_json_refuses_what_jcs_cannot_carry(value: Any, field: str, reason: str) -> None:
    with pytest.raises(MasterDataFormatError) as caught:
        canonical_json(value)
    assert caught.value.field == field and reason in caught.value.reason


@given(st.dictionaries(st.text(max_size=8), st.one_of(st.integers(-1000, 1000), st.text(max_size=20)), max_size=6))
def test_canonical_json_is_json_with_the_same_content(value: dict[str, Any]) -> None:
    assert json.loads(canonical_json(value)) == value
    assert canonical_json(json.loads(canonical_json(value))) == canonical_json(value)


# --- decoding untrusted JSON ---


def test_decode_json_bounds_size_depth_and_duplicates() -> None:
    assert decode_json(b'{"a": [1]}', max_bytes=100) == {"a": [1]}
    with pytest.raises(MasterDataLimitError) as large:
        decode_json(b" " * 101, max_bytes=100)
    assert (large.value.limit_name, large.value.maximum, large.value.actual) == ("max_bytes", 100, 101)
    with pytest.raises(MasterDataLimitError) as deep:
        decode_json(b"[" * 100_000 + b"]" * 100_000, max_bytes=10**6)
    assert deep.value.limit_name == "max_depth" and deep.value.maximum == MAX_DEPTH
    assert decode_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, max_bytes=100) is not None
    for bad, reason in (
        (b'{"a": 1, "a": 2}', "appears twice"),
        (b"\xff{}", "not UTF-8: byte 0 is 0xff"),
        (b"{", "not JSON"),
        (b"[NaN]", "NaN is not JSON"),
        (b"[" + b"9" * 5000 + b"]", "not JSON"),
        (b"[[[", "not JSON"),  # unbalanced but within the bound: the decoder says what is wrong
    ):
        with pytest.raises(MasterDataFormatError) as caught:
            decode_json(bad, max_bytes=10**6)
        assert reason in str(caught.value), (bad[:20], caught.value)


# --- the signed envelope ---

KEY = SigningKey.from_private_bytes(b"\x07" * 32)
OWNER = "6901234000016"


def signed(data: ProductMasterData | None = None, key: SigningKey = KEY, org: str = OWNER) -> dict[str, Any]:
    return sign_master_data(key, org, build_product(data or full()))


def test_sign_and_verify() -> None:
    envelope = signed()
    assert list(envelope) == ["type", "version", "document", "documentHash", "organisationId", "keyId", "signature"]
    doc = envelope["document"]
    digest = hashlib.sha256(canonical_json(doc)).digest()
    assert envelope["documentHash"] == "0x" + digest.hex() and document_hash(doc) == digest
    assert master_data_message(digest) == b"supplychain/master-data-signature/v1\n0x" + digest.hex().encode()
    parsed = parse_signed(envelope)
    assert parsed.product == full() and parsed.hash_hex == envelope["documentHash"]
    assert parsed.to_json() == envelope
    verify_signed(parsed, KEY.public_key_bytes)
    raw = json.dumps(envelope, ensure_ascii=False).encode()
    assert read_signed(raw) == parsed
    # the key order and spacing of the document do not matter: the hash is over the canonical form
    shuffled = dict(reversed(list(doc.items())))
    assert document_hash(shuffled) == digest


def test_an_event_signature_does_not_pass_for_a_master_data_signature() -> None:
    envelope = signed()
    digest = bytes.fromhex(envelope["documentHash"][2:])
    as_event = "ni:///sha-256;" + digest.hex() + "?ver=CBV2.0"
    forged = dict(envelope, signature=encode_signature(sign_hash_id(KEY, as_event)))
    with pytest.raises(Exception, match="does not verify"):
        verify_signed(parse_signed(forged), KEY.public_key_bytes)


def test_verify_signed_names_what_failed() -> None:
    envelope = signed()
    other = SigningKey.from_private_bytes(b"\x08" * 32)
    with pytest.raises(Exception, match="is not the given public key"):
        verify_signed(parse_signed(envelope), other.public_key_bytes)
    changed = json.loads(json.dumps(envelope))
    changed["document"]["gs1:productName"][0]["@value"] = "冒名 模块"
    with pytest.raises(Exception, match="differs from the document's hash"):
        verify_signed(parse_signed(changed), KEY.public_key_bytes)
    with pytest.raises(Exception, match="base64url"):
        verify_signed(parse_signed(dict(envelope, signature="!")), KEY.public_key_bytes)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda e: [], "<envelope>", "expected a JSON object"),
        (lambda e: {k: v for k, v in e.items() if k != "keyId"}, "keyId", "missing"),
        (lambda e: e | {"extra": 1}, "extra", "unknown field"),
        (lambda e: e | {"type": "SignedEpcisEvent"}, "type", "expected 'SignedProductMasterData'"),
        (lambda e: e | {"version": 2}, "version", "unsupported version 2"),
        (lambda e: e | {"version": True}, "version", "unsupported version"),
        (lambda e: e | {"document": e["document"] | {"gs1:gtin": "1"}}, "document.gs1:gtin", "14 digits"),
        (lambda e: e | {"document": "x"}, "document", "expected a JSON object"),
        (lambda e: e | {"documentHash": "0xAB"}, "documentHash", "64 lowercase hex"),
        (lambda e: e | {"organisationId": "ACME"}, "organisationId", "GLN"),
        (lambda e: e | {"keyId": 1}, "keyId", "64 lowercase hex"),
        (lambda e: e | {"signature": 1}, "signature", "expected a string"),
    ],
)
def test_a_malformed_envelope_is_refused_naming_the_field(
    change: Callable[[dict[str, Any]], Any], field: str, reason: str
) -> None:
    with pytest.raises(MasterDataFormatError) as caught:
        parse_signed(change(signed()))
    assert caught.value.field == field and reason in caught.value.reason, caught.value


def test_sign_refuses_a_malformed_organisation_or_document() -> None:
    with pytest.raises(MasterDataFormatError, match="organisationId"):
        sign_master_data(KEY, "ACME", build_product(full()))
    with pytest.raises(MasterDataFormatError, match="sc:version"):
        sign_master_data(KEY, OWNER, {**build_product(full()), "sc:version": 0})


def test_read_signed_is_bounded() -> None:
    with pytest.raises(MasterDataLimitError):
        read_signed(b" " * (MAX_SIGNED_BYTES + 1))


# --- verification against the registry and the chain ---


class World:
    """A registry with the owner (prefix 6901234), a delegate, a supplier (prefix 6923456) and anchored leaves."""

    def __init__(self) -> None:
        self.builder = ChainBuilder()
        self.owner = self.builder.org("owner", "6901234", BusinessRole.MANUFACTURER, org_id=OWNER)
        self.delegate = self.builder.org("delegate", "6955555", BusinessRole.MANUFACTURER)
        self.supplier = self.builder.org("supplier", "6923456", BusinessRole.SUPPLIER)
        self.green = self.builder.recognise(
            self.owner, RecognitionKind.GREEN_PRODUCT, scope=Scope.PRODUCT, subject=GTIN[1:]
        )
        self.factory = self.builder.recognise(self.owner)
        self.extra: list[Any] = []
        self.block = 1000

    def at(self) -> LogPosition:
        self.block += 1
        return LogPosition(self.block, 0, f"0x{self.block:064x}")

    def assign(self, prefix: str, org: Org, t: int = T0) -> None:
        self.extra.append(PrefixAssigned(self.at(), t, prefix, org.org_id, ANCHORER, None))

    def anchor(self, values: list[bytes], t: int) -> MerkleTree:
        tree = MerkleTree.build(values)
        self.extra.append(RootAnchored(self.at(), t, tree.root, 1, ANCHORER, len(values)))
        return tree

    def mirror(self) -> RegistryMirror:
        return self.builder.mirror().apply_all(self.extra)


def sign_as(org: Org, data: ProductMasterData | None = None) -> dict[str, Any]:
    return sign_master_data(org.key, org.org_id, build_product(data or full()))


def codes(checks: Any) -> list[str | None]:
    return [c.code for c in checks if c.passed is not True]


def test_the_owner_may_publish_and_others_may_not() -> None:
    world = World()
    world.assign("6901234", world.owner)
    world.assign("6923456", world.supplier)
    mirror = world.mirror()
    good, checks = master_data_checks(sign_as(world.owner), mirror, gtin=GTIN)
    assert good is not None and codes(checks) == []
    assert [c.name for c in checks] == [
        "envelope", "product", "signature", "key", "organisation", "owner", "recognition",
    ]  # fmt: skip
    assert f"{OWNER} owned GTIN {GTIN}" in checks[5].detail
    # the supplier signs a name for the maker's GTIN with its own key: the renaming hole, closed here
    _, checks = master_data_checks(sign_as(world.supplier, product()), mirror)
    owner = next(c for c in checks if c.name == "owner")
    assert owner.code == "not_gtin_owner" and world.supplier.org_id in owner.detail
    assert f"its owner then was {OWNER} (company prefix 6901234)" in owner.detail
    # nobody holds the prefix of OTHER's neighbour
    lone = gtin("699999900001")
    check = authority_check(mirror, lone, OWNER, T0 + DAY)
    assert check.code == "not_gtin_owner" and "nobody held its company prefix" in check.detail


def test_a_delegate_may_publish_while_delegated() -> None:
    world = World()
    world.assign("6901234", world.owner)
    item = int(GTIN[8:13])
    delegate, until = world.delegate.org_id, T0 + 2 * DAY
    delegation = (1, OWNER, delegate, "6901234", item, item, T0, until, b"\1" * 32, ANCHORER)
    world.extra.append(GtinsDelegated(world.at(), T0, *delegation))
    mirror = world.mirror()
    check = authority_check(mirror, GTIN, world.delegate.org_id, T0 + DAY)
    assert check.passed and f"was a delegate of its owner {OWNER}" in check.detail
    assert authority_check(mirror, GTIN, world.delegate.org_id, T0 + 3 * DAY).code == "not_gtin_owner"


def test_authority_is_judged_at_publication() -> None:
    world = World()
    world.assign("6901234", world.owner)
    world.extra.append(PrefixTransferred(world.at(), T0 + 5 * DAY, "6901234", OWNER, world.supplier.org_id, ANCHORER))
    mirror = world.mirror()
    _, before = master_data_checks(sign_as(world.owner, product(green_product_recognition=None)), mirror)
    assert codes(before) == []  # published on day 1, while it held the prefix
    later = product(version=2, valid_from=T0 + 6 * DAY)
    _, after = master_data_checks(sign_as(world.owner, later), mirror)
    assert codes(after) == ["not_gtin_owner"]


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("unknown_key", ["key_not_registered"]),
        ("revoked_key", ["key_revoked"]),
        ("early", ["key_not_yet_valid", "organisation_not_registered", "not_gtin_owner", "recognition_not_held"]),
        ("other_product", ["master_data_other_product"]),
        ("tampered", ["master_data_hash_mismatch"]),
        ("bad_signature", ["bad_signature"]),
        ("malformed", ["malformed_master_data"]),
        ("foreign_key", ["key_not_registered"]),
    ],
)
def test_what_fails_is_named(setup: str, expected: list[str]) -> None:
    world = World()
    world.assign("6901234", world.owner)
    if setup == "revoked_key":
        world.builder.revoke_key(world.owner, T0 + DAY // 2)
    mirror = world.mirror()
    data = product(valid_from=T0 - DAY, green_product_recognition=world.green) if setup == "early" else product()
    envelope = sign_as(world.owner, data)
    gtin_asked = GTIN
    match setup:
        case "unknown_key":
            envelope = sign_master_data(SigningKey.from_private_bytes(b"\x09" * 32), OWNER, envelope["document"])
        case "other_product":
            gtin_asked = OTHER
        case "tampered":
            envelope["document"]["sc:version"] = 9
        case "bad_signature":
            envelope["signature"] = signed()["signature"]
        case "malformed":
            envelope["document"]["sc:version"] = "9"
        case "foreign_key":
            envelope = sign_master_data(world.supplier.key, OWNER, envelope["document"])
    _, checks = master_data_checks(envelope, mirror, gtin=gtin_asked)
    assert codes(checks) == expected, [c.detail for c in checks]


def test_a_suspended_signer_fails() -> None:
    from supplychain.registry.events import OrganisationSuspended

    world = World()
    world.assign("6901234", world.owner)
    world.extra.append(OrganisationSuspended(world.at(), T0 + DAY // 2, OWNER, 1))
    _, checks = master_data_checks(sign_as(world.owner, product()), world.mirror())
    assert codes(checks) == ["organisation_suspended"]


@pytest.mark.parametrize(
    ("recognition", "wrong"),
    [
        (99, "is not in the registry"),
        ("factory", "is a GREEN_FACTORY recognition, not GREEN_PRODUCT"),
        ("supplier", "is held by"),
        ("other_gtin", "recognises"),
        ("expired", "was not in force"),
    ],
)
def test_the_green_product_recognition_must_be_the_owners_for_this_gtin(recognition: Any, wrong: str) -> None:
    world = World()
    world.assign("6901234", world.owner)
    ids = {
        "factory": world.factory,
        "supplier": world.builder.recognise(world.supplier, RecognitionKind.GREEN_PRODUCT, subject=GTIN),
        "other_gtin": world.builder.recognise(world.owner, RecognitionKind.GREEN_PRODUCT, subject="not a gtin"),
        "expired": world.builder.recognise(
            world.owner, RecognitionKind.GREEN_PRODUCT, subject=GTIN, valid_until=T0 + DAY // 2
        ),
    }
    cited = ids.get(recognition, recognition)
    _, checks = master_data_checks(sign_as(world.owner, product(green_product_recognition=cited)), world.mirror())
    (failed,) = [c for c in checks if c.passed is False]
    assert failed.code == "recognition_not_held" and wrong in failed.detail


def _bundle_with(world: World, item: BundleMasterData | None, product_uri: str) -> ProofBundle:
    return ProofBundle(CHAIN_ID, REGISTRY, product_uri, (), item)


def test_a_bundles_master_data_is_verified_with_its_anchor() -> None:
    world = World()
    world.assign("6901234", world.owner)
    envelope = sign_as(world.owner)
    digest = bytes.fromhex(envelope["documentHash"][2:])
    other = b"\x42" * 32  # an event's digest in the same batch
    tree = world.anchor([other, digest], T0 + 2 * DAY)
    mirror = world.mirror()
    anchor = mirror.anchors[tree.root]
    from supplychain.verify import AnchorClaim

    claim = AnchorClaim(1, anchor.position.block_number, anchor.position.tx_hash, T0 + 2 * DAY)
    item = BundleMasterData(envelope, tuple(tree.proof(digest)), tree.root, claim)
    uri = f"https://id.gs1.org/01/{GTIN}/21/1"
    bundle = _bundle_with(world, item, uri)
    again = ProofBundle.from_json(json.loads(json.dumps(bundle.to_json())))
    assert again == bundle and again.to_json()["masterData"]["signed"] == envelope
    verdict = verify_master_data(item, mirror, gtin=GTIN, now=T0 + 3 * DAY)
    assert verdict.status is VerdictStatus.VERIFIED, verdict.to_json()
    assert verdict.name("en") == "Charging module" and verdict.name("zh") == "绿源 充电模块"
    assert verdict.recognition == world.green and verdict.recognition_in_force_now is True
    assert verdict.to_json()["organisationId"] == OWNER and verdict.version == 1
    whole = verify_bundle(bundle, mirror, chain_id=CHAIN_ID, registry_address=REGISTRY, now=T0 + 3 * DAY)
    assert whole.master_data == verdict and whole.to_json()["masterData"]["status"] == "verified"
    assert whole.status is VerdictStatus.INCOMPLETE  # no event: incomplete, but nothing failed
    # a wrong proof, a root not anchored, a claim that differs, publication after anchoring
    wrong = verify_master_data(BundleMasterData(envelope, (b"\0" * 32,), tree.root, claim), mirror, gtin=GTIN, now=None)
    assert codes(wrong.checks) == ["proof_invalid"] and wrong.recognition_in_force_now is None
    lost = verify_master_data(BundleMasterData(envelope, (), b"\1" * 32, claim), mirror, gtin=GTIN, now=None)
    assert codes(lost.checks) == ["proof_invalid", "root_not_anchored"]
    lying = BundleMasterData(envelope, tuple(tree.proof(digest)), tree.root, AnchorClaim(7, 1, "0x" + "0" * 64, 1))
    assert codes(verify_master_data(lying, mirror, gtin=GTIN, now=None).checks) == ["anchor_mismatch"]
    late_doc = sign_as(world.owner, product(valid_from=T0 + 2 * DAY + 1))
    late_digest = bytes.fromhex(late_doc["documentHash"][2:])
    late_tree = world.anchor([late_digest], T0 + 2 * DAY)
    mirror = world.mirror()
    late_anchor = mirror.anchors[late_tree.root]
    late_claim = AnchorClaim(1, late_anchor.position.block_number, late_anchor.position.tx_hash, T0 + 2 * DAY)
    late = BundleMasterData(late_doc, tuple(late_tree.proof(late_digest)), late_tree.root, late_claim)
    assert codes(verify_master_data(late, mirror, gtin=GTIN, now=None).checks) == ["published_after_anchor"]


def test_unanchored_and_malformed_master_data_in_a_bundle() -> None:
    world = World()
    world.assign("6901234", world.owner)
    mirror = world.mirror()
    unanchored = BundleMasterData(sign_as(world.owner), None, None, None)
    doc = _bundle_with(world, unanchored, "urn:x").to_json()
    assert doc["masterData"]["root"] is None and ProofBundle.from_json(doc).master_data == unanchored
    pending = verify_master_data(unanchored, mirror, gtin=GTIN, now=1)
    assert pending.status is VerdictStatus.INCOMPLETE and codes(pending.checks) == ["not_anchored"]
    broken = verify_master_data(BundleMasterData({"type": "x"}, None, None, None), mirror, gtin=GTIN, now=1)
    assert broken.status is VerdictStatus.FAILED and broken.gtin is None and broken.name("zh") is None
    bundle = _bundle_with(world, BundleMasterData({"type": "x"}, None, None, None), f"https://id.gs1.org/01/{GTIN}")
    verdict = verify_bundle(bundle, mirror, chain_id=CHAIN_ID, registry_address=REGISTRY)
    assert "malformed_master_data" in verdict.failures
    assert (
        verify_bundle(
            _bundle_with(world, None, "urn:x"), mirror, chain_id=CHAIN_ID, registry_address=REGISTRY
        ).to_json()["masterData"]
        is None
    )


@pytest.mark.parametrize(
    ("master", "field"),
    [
        ([], "masterData"),
        ({"signed": {}, "proof": None, "root": None}, "masterData.anchor"),
        ({"signed": [], "proof": None, "root": None, "anchor": None}, "masterData.signed"),
        ({"signed": {}, "proof": None, "root": "0x" + "0" * 64, "anchor": None}, "masterData"),
    ],
)
def test_a_bundles_master_data_must_be_well_formed(master: Any, field: str) -> None:
    from supplychain.errors import ProofBundleFormatError

    doc = _bundle_with(World(), None, "urn:x").to_json() | {"masterData": master}
    with pytest.raises(ProofBundleFormatError) as caught:
        ProofBundle.from_json(doc)
    assert caught.value.field == field


def test_product_gtin() -> None:
    assert product_gtin(f"https://id.gs1.org/01/{GTIN}/21/1") == GTIN
    assert product_gtin(sgtin("6901234", "000010", "7")) == GTIN
    assert product_gtin("urn:epc:id:sscc:6901234.0000000011") is None
    assert product_gtin("not a uri") is None


# --- the regulator's audit ---


def test_the_audit_counts_master_data_leaves_and_checks_them_once() -> None:
    from supplychain.audit import Auditor

    world = World()
    world.assign("6901234", world.owner)
    world.assign("6923456", world.supplier)
    good = sign_as(world.owner)
    forged = sign_as(world.supplier, product(version=2, names={"zh-CN": "冒名产品"}, green_product_recognition=None))
    digests = [bytes.fromhex(e["documentHash"][2:]) for e in (good, forged)]
    tree = world.anchor(digests, T0 + 2 * DAY)
    mirror = world.mirror()
    root = "0x" + tree.root.hex()

    def record(i: int, envelope: dict[str, Any], proof: list[bytes] | None = None) -> dict[str, Any]:
        siblings = tree.proof(digests[i - 1]) if proof is None else proof
        return {"id": i, "signed": envelope, "root": root, "proof": ["0x" + p.hex() for p in siblings]}

    auditor = Auditor()
    auditor.add_master_data(record(1, good), mirror)
    auditor.add_master_data(record(2, forged), mirror)
    assert auditor.root_counts == {root: 2} and [f.code for f in auditor.findings] == ["master_data_invalid"]
    (found,) = auditor.findings
    assert found.organisation == world.supplier.org_id and "may not speak for GTIN" in found.message
    # a second run (from the saved state) reads them again: nothing counted or reported twice
    again = Auditor.from_json(json.loads(json.dumps(auditor.to_json())))
    again.add_master_data(record(1, good), mirror)
    again.add_master_data(record(2, forged), mirror)
    assert again.root_counts == {root: 2} and again.findings == []
    # a proof that leads elsewhere, an unreadable record, one not batched yet
    other = Auditor()
    other.add_master_data(record(1, good, proof=[b"\0" * 32]), mirror)
    other.add_master_data({"id": "x", "signed": good}, mirror)
    other.add_master_data({"id": 4, "signed": "x"}, mirror)
    other.add_master_data({"id": 3, "signed": good, "root": None, "proof": None}, mirror)
    assert [f.code for f in other.findings] == ["proof_invalid", "record_unreadable", "record_unreadable"]
    assert other.root_counts == {root: 1} and other.master_checked == {1, 3}
