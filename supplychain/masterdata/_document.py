"""The ``gs1:Product`` document: build it, and read one strictly (see the package docstring for the form)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from supplychain.errors import InvalidGs1KeyError, MasterDataFormatError, MasterDataLimitError
from supplychain.gs1 import parse_gtin
from supplychain.jsondepth import nesting_depth, within_depth
from supplychain.masterdata._canonical import MAX_SAFE_INTEGER, canonical_json
from supplychain.text import char_name, first_spoofing

__all__ = [
    "CONTEXT",
    "GS1_VOCABULARY",
    "LANGUAGES",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "ProductMasterData",
    "build_product",
    "decode_json",
    "parse_product",
    "product_time",
]

GS1_VOCABULARY = "https://ref.gs1.org/voc/"
SC_NAMESPACE = "https://ns.supplychain.dev/epcis/"
CONTEXT: Mapping[str, str] = {"gs1": GS1_VOCABULARY, "sc": SC_NAMESPACE}
"""The one ``@context`` a document may have: the prefixes are fixed, so that no term can be redefined."""
LANGUAGES = ("zh-CN", "en")
"""The languages of names, in the order pages prefer them."""
MAX_DOCUMENT_BYTES = 16 * 1024
"""A document's canonical form is at most this long."""
MAX_DEPTH = 8
"""JSON text of a document or a signed envelope nests at most this deep (the form needs 4)."""
MAX_NAME_CHARS = 200
MAX_IMAGES = 4
MAX_URI_CHARS = 500

_TYPE = "gs1:Product"
_REQUIRED = ("@context", "@type", "gs1:gtin", "gs1:productName", "sc:version", "sc:validFrom")
_OPTIONAL = (
    "gs1:brand",
    "gs1:netContent",
    "gs1:image",
    "gs1:countryOfOrigin",
    "sc:validUntil",
    "sc:greenProductRecognition",
)
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_DECIMAL = re.compile(r"\d{1,12}(?:\.\d{1,6})?")
_UNIT = re.compile(r"[A-Z0-9]{2,3}")  # UN/ECE Recommendation 20 common codes (KGM, LTR, H87, ...)
_COUNTRY = re.compile(r"[A-Z]{2}")  # ISO 3166-1 alpha-2
_URI = re.compile(
    r"https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*)?(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*)?"
)


def _fail(field_: str, reason: str) -> MasterDataFormatError:
    return MasterDataFormatError(field_, reason)


def product_time(seconds: int) -> str:
    """A time as documents write it: RFC 3339 UTC to the second (``2026-11-21T08:00:00Z``)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class ProductMasterData:
    """A product's master data, as its owner signs it.

    Attributes:
        gtin: The GTIN, 14 digits.
        names: The product's name by language (``zh-CN``, ``en``); at least one.
        version: The document's version for this GTIN (1, 2, ...; a later one replaces an earlier one).
        valid_from: When it was published and holds from (s, UTC): the time its signer's authority is judged at.
        valid_until: When it stops holding (s), if it does.
        brand: The brand's name by language, if given.
        net_content: ``(value, unit)``: a decimal string and a UN/ECE Rec. 20 unit code, if given.
        images: ``https`` URLs of product images.
        country: ISO 3166-1 alpha-2 country of origin, if given.
        green_product_recognition: The registry id of its 绿色设计产品 recognition, if it has one.
    """

    gtin: str
    names: Mapping[str, str]
    version: int
    valid_from: int
    valid_until: int | None = None
    brand: Mapping[str, str] = field(default_factory=dict)
    net_content: tuple[str, str] | None = None
    images: tuple[str, ...] = ()
    country: str | None = None
    green_product_recognition: int | None = None

    def name(self, lang: str) -> str | None:
        """The name in ``lang`` (``zh``/``zh-CN`` or ``en``), else in the other language."""
        return _pick(self.names, lang)

    def brand_name(self, lang: str) -> str | None:
        """The brand in ``lang``, else in the other language, or ``None``."""
        return _pick(self.brand, lang)

    def valid_at(self, t: int) -> bool:
        """Whether it holds at ``t``: ``valid_from <= t < valid_until``."""
        return self.valid_from <= t and (self.valid_until is None or t < self.valid_until)

    def to_json(self) -> dict[str, Any]:
        """The JSON-LD document (:func:`build_product`)."""
        return build_product(self)


def _pick(values: Mapping[str, str], lang: str) -> str | None:
    wanted = "en" if lang.lower().startswith("en") else "zh-CN"
    return values.get(wanted) or next(iter(values.values()), None)


def _language_values(values: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"@value": values[lang], "@language": lang} for lang in LANGUAGES if lang in values]


def build_product(data: ProductMasterData) -> dict[str, Any]:
    """The ``gs1:Product`` JSON-LD document of ``data``, checked as :func:`parse_product` would check it.

    Raises:
        MasterDataFormatError: ``data`` breaks a rule of the form (an empty name, a bad GTIN, ...).
    """
    doc: dict[str, Any] = {
        "@context": dict(CONTEXT),
        "@type": _TYPE,
        "gs1:gtin": data.gtin,
        "gs1:productName": _language_values(data.names),
        "sc:version": data.version,
        "sc:validFrom": product_time(data.valid_from),
    }
    if data.brand:
        doc["gs1:brand"] = {"@type": "gs1:Brand", "gs1:brandName": _language_values(data.brand)}
    if data.net_content is not None:
        value, unit = data.net_content
        doc["gs1:netContent"] = {"@type": "gs1:QuantitativeValue", "gs1:value": value, "gs1:unitCode": unit}
    if data.images:
        doc["gs1:image"] = [{"@id": uri} for uri in data.images]
    if data.country is not None:
        doc["gs1:countryOfOrigin"] = {"@type": "gs1:Country", "gs1:countryCode": data.country}
    if data.valid_until is not None:
        doc["sc:validUntil"] = product_time(data.valid_until)
    if data.green_product_recognition is not None:
        doc["sc:greenProductRecognition"] = data.green_product_recognition
    parse_product(doc)
    return doc


def decode_json(data: bytes, *, max_bytes: int, what: str = "<document>") -> Any:
    """Decode untrusted JSON text of master data: at most ``max_bytes``, nesting at most :data:`MAX_DEPTH`, UTF-8,
    no duplicate member names (the decoder never recurses deeper than the bound).

    Raises:
        MasterDataLimitError: too large or too deep.
        MasterDataFormatError: not JSON.
    """
    if len(data) > max_bytes:
        raise MasterDataLimitError(what, "max_bytes", max_bytes, len(data))
    if not within_depth(data, MAX_DEPTH) and (depth := nesting_depth(data)) > MAX_DEPTH:
        raise MasterDataLimitError(what, "max_depth", MAX_DEPTH, depth)

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise _fail(what, f"member {key!r:.60} appears twice in one object")
            out[key] = value
        return out

    try:
        text = data.decode("utf-8")
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise _fail(what, f"not UTF-8: byte {exc.start} is {data[exc.start]:#04x}") from None
    except MasterDataFormatError:
        raise
    except ValueError as exc:  # JSONDecodeError, or an integer of over 4,300 digits
        raise _fail(what, f"not JSON: {str(exc)[:200]}") from None


def _no_constant(name: str) -> None:
    raise _fail("<document>", f"{name} is not JSON")


def _object(value: object, where: str, required: Sequence[str], optional: Sequence[str] = ()) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, f"expected a JSON object, got {_kind(value)}")
    for key in required:
        if key not in value:
            raise _fail(_join(where, key), "missing")
    for key in value:
        if key not in required and key not in optional:
            raise _fail(_join(where, str(key)[:60]), f"unknown field; expected {', '.join((*required, *optional))}")
    return value


def _join(where: str, key: str) -> str:
    return key if where == "<document>" else f"{where}.{key}"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "an integer", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _text(value: object, where: str, maximum: int) -> str:
    if not isinstance(value, str):
        raise _fail(where, f"expected a string, got {_kind(value)}")
    if not value.strip():
        raise _fail(where, "empty")
    if len(value) > maximum:
        raise _fail(where, f"at most {maximum} characters, got {len(value)}")
    if value != value.strip():
        raise _fail(where, "leading or trailing blanks")
    found = first_spoofing(value)
    if found is not None:
        raise _fail(
            where,
            f"{char_name(found[1])} at {found[0]}: bidirectional controls and invisible characters "
            "would make the name look like another",
        )
    for i, char in enumerate(value):
        if char < " " or "\x7f" <= char < "\xa0" or "\ud800" <= char <= "\udfff":
            raise _fail(where, f"control character {char_name(char)} at {i}")
    return value


def _languages(value: object, where: str) -> dict[str, str]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _fail(where, "an empty list: give at least one name")
    out: dict[str, str] = {}
    for i, item in enumerate(items):
        at = f"{where}[{i}]" if isinstance(value, list) else where
        entry = _object(item, at, ("@value", "@language"))
        language = entry["@language"]
        if language not in LANGUAGES:
            raise _fail(f"{at}.@language", f"expected one of {', '.join(LANGUAGES)}, got {language!r:.40}")
        if language in out:
            raise _fail(f"{at}.@language", f"{language} is given twice")
        out[language] = _text(entry["@value"], f"{at}.@value", MAX_NAME_CHARS)
    return {lang: out[lang] for lang in LANGUAGES if lang in out}


def _typed(value: object, where: str, kind: str, fields: Sequence[str]) -> Mapping[str, Any]:
    obj = _object(value, where, ("@type", *fields))
    if obj["@type"] != kind:
        raise _fail(f"{where}.@type", f"expected {kind!r}, got {obj['@type']!r:.60}")
    return obj


def _time(value: object, where: str) -> int:
    if not isinstance(value, str) or _TIME.fullmatch(value) is None:
        raise _fail(where, f"expected an RFC 3339 UTC time to the second (2026-11-21T08:00:00Z), got {value!r:.40}")
    try:
        seconds = int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
    except ValueError as exc:
        raise _fail(where, f"not a date and time: {exc}") from None
    if seconds < 0:
        raise _fail(where, f"{value} is before 1970")
    return seconds


def _positive(value: object, where: str) -> int:
    if type(value) is not int or not 1 <= value <= MAX_SAFE_INTEGER:
        raise _fail(where, f"expected an integer from 1 to {MAX_SAFE_INTEGER}, got {value!r:.40}")
    return value


def _gtin(value: object) -> str:
    if not isinstance(value, str) or len(value) != 14:
        raise _fail("gs1:gtin", f"expected a GTIN as 14 digits, got {value!r:.40}")
    try:
        return parse_gtin(value)
    except InvalidGs1KeyError as exc:
        raise _fail("gs1:gtin", str(exc)) from None


def _images(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not 1 <= len(items) <= MAX_IMAGES:
        raise _fail("gs1:image", f"give 1 to {MAX_IMAGES} images, got {len(items)}")
    uris = []
    for i, item in enumerate(items):
        at = f"gs1:image[{i}]" if isinstance(value, list) else "gs1:image"
        uri = _object(item, at, ("@id",))["@id"]
        if not isinstance(uri, str) or len(uri) > MAX_URI_CHARS or _URI.fullmatch(uri) is None:
            raise _fail(f"{at}.@id", f"expected an https URL of at most {MAX_URI_CHARS} characters, got {uri!r:.80}")
        uris.append(uri)
    return tuple(uris)


def parse_product(obj: object) -> ProductMasterData:
    """Read a ``gs1:Product`` document strictly (version 1 of the form in the package docstring).

    Raises:
        MasterDataLimitError: its canonical form is over :data:`MAX_DOCUMENT_BYTES`.
        MasterDataFormatError: anything else wrong; ``field`` names the first thing.
    """
    if isinstance(obj, Mapping) and (size := len(canonical_json(obj))) > MAX_DOCUMENT_BYTES:
        raise MasterDataLimitError("<document>", "max_document_bytes", MAX_DOCUMENT_BYTES, size)
    doc = _object(obj, "<document>", _REQUIRED, _OPTIONAL)
    if doc["@context"] != CONTEXT:
        expected = json.dumps(dict(CONTEXT))
        raise _fail("@context", f"expected exactly {expected}: the terms are those of the GS1 Web Vocabulary")
    if doc["@type"] != _TYPE:
        raise _fail("@type", f"expected {_TYPE!r}, got {doc['@type']!r:.60}")
    valid_from = _time(doc["sc:validFrom"], "sc:validFrom")
    valid_until = None
    if "sc:validUntil" in doc:
        valid_until = _time(doc["sc:validUntil"], "sc:validUntil")
        if valid_until <= valid_from:
            raise _fail("sc:validUntil", "must be after sc:validFrom")
    brand: dict[str, str] = {}
    if "gs1:brand" in doc:
        brand = _languages(
            _typed(doc["gs1:brand"], "gs1:brand", "gs1:Brand", ("gs1:brandName",))["gs1:brandName"],
            "gs1:brand.gs1:brandName",
        )
    net = None
    if "gs1:netContent" in doc:
        raw = _typed(doc["gs1:netContent"], "gs1:netContent", "gs1:QuantitativeValue", ("gs1:value", "gs1:unitCode"))
        value, unit = raw["gs1:value"], raw["gs1:unitCode"]
        if not isinstance(value, str) or _DECIMAL.fullmatch(value) is None:
            raise _fail("gs1:netContent.gs1:value", f'expected a decimal as a string ("1.5"), got {value!r:.40}')
        if not isinstance(unit, str) or _UNIT.fullmatch(unit) is None:
            raise _fail("gs1:netContent.gs1:unitCode", f"expected a UN/ECE Rec. 20 code (KGM, H87), got {unit!r:.40}")
        net = (value, unit)
    country = None
    if "gs1:countryOfOrigin" in doc:
        code = _typed(doc["gs1:countryOfOrigin"], "gs1:countryOfOrigin", "gs1:Country", ("gs1:countryCode",))
        country = code["gs1:countryCode"]
        if not isinstance(country, str) or _COUNTRY.fullmatch(country) is None:
            raise _fail("gs1:countryOfOrigin.gs1:countryCode", f"expected ISO 3166-1 alpha-2 (CN), got {country!r:.40}")
    recognition = None
    if "sc:greenProductRecognition" in doc:
        recognition = _positive(doc["sc:greenProductRecognition"], "sc:greenProductRecognition")
    return ProductMasterData(
        gtin=_gtin(doc["gs1:gtin"]),
        names=_languages(doc["gs1:productName"], "gs1:productName"),
        version=_positive(doc["sc:version"], "sc:version"),
        valid_from=valid_from,
        valid_until=valid_until,
        brand=brand,
        net_content=net,
        images=_images(doc["gs1:image"]) if "gs1:image" in doc else (),
        country=country,
        green_product_recognition=recognition,
    )
