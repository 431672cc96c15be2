"""Signed product master data: a GTIN's owner names its product in the GS1 Web Vocabulary, signs it and anchors it.

Pure (no I/O). The platform stores and anchors what owners publish (``POST /products/{gtin}/master-data``); the
scanner verifies it from the proof bundle (:func:`supplychain.verify.verify_master_data`). This docstring is a
contract with everyone who signs or verifies master data.

Document (JSON-LD, ``gs1:Product``), version 1
-----------------------------------------------
::

    {
      "@context": {"gs1": "https://ref.gs1.org/voc/", "sc": "https://ns.supplychain.dev/epcis/"},
      "@type": "gs1:Product",
      "gs1:gtin": "06901234000108",
      "gs1:productName": [{"@value": "绿源 充电模块", "@language": "zh-CN"},
                          {"@value": "Charging module", "@language": "en"}],
      "gs1:brand": {"@type": "gs1:Brand", "gs1:brandName": [{"@value": "绿源", "@language": "zh-CN"}]},
      "gs1:netContent": {"@type": "gs1:QuantitativeValue", "gs1:value": "1", "gs1:unitCode": "H87"},
      "gs1:image": [{"@id": "https://example.cn/module.png"}],
      "gs1:countryOfOrigin": {"@type": "gs1:Country", "gs1:countryCode": "CN"},
      "sc:version": 1,
      "sc:validFrom": "2026-11-21T08:00:00Z",
      "sc:validUntil": "2027-11-21T08:00:00Z",
      "sc:greenProductRecognition": 12
    }

Terms of the GS1 Web Vocabulary (https://ref.gs1.org/voc/): ``gs1:gtin`` (14 digits, check digit verified),
``gs1:productName`` (one value or a list; languages ``zh-CN`` and ``en``, each at most once, at least one name),
``gs1:brand`` / ``gs1:brandName`` (likewise), ``gs1:netContent`` (``gs1:value`` a decimal string, ``gs1:unitCode`` a
UN/ECE Recommendation 20 code), ``gs1:image`` (1 to 4 ``https`` URLs), ``gs1:countryOfOrigin`` /
``gs1:countryCode`` (ISO 3166-1 alpha-2). Ours, in the platform's namespace: ``sc:version`` (1, 2, ...: the version
of this GTIN's master data; the highest published is the current one), ``sc:validFrom`` (when it is published and
holds from, RFC 3339 UTC to the second: the time its signer's key and authority are judged at), ``sc:validUntil``
(optional, after ``sc:validFrom``), ``sc:greenProductRecognition`` (optional: the registry id of the product's
绿色设计产品 recognition, which must be the signer's, for this GTIN, in force at ``sc:validFrom``). Required:
``@context`` (exactly as above: no term can be redefined), ``@type``, ``gs1:gtin``, ``gs1:productName``,
``sc:version``, ``sc:validFrom``; nothing else is allowed. Names are at most 200 characters, without leading or
trailing blanks, control characters, bidirectional controls or invisible characters. Numbers are integers only.
The canonical form (RFC 8785, :func:`canonical_json`) is at most 16 KiB.

Signed envelope (JSON), version 1
---------------------------------
::

    {"type": "SignedProductMasterData", "version": 1, "document": {...},
     "documentHash": "0x<64 lowercase hex>", "organisationId": "<GLN | USCC>",
     "keyId": "0x<64 lowercase hex>", "signature": "<base64url, no padding, of 64 bytes>"}

``documentHash`` = SHA-256 of the RFC 8785 (JCS) canonical UTF-8 form of ``document``; it is also the value of the
document's Merkle leaf (OpenZeppelin StandardMerkleTree, ``bytes32``), anchored in the same batches as events. The
signature is Ed25519 (the organisation's event-signing key, registered on chain) over
``b"supplychain/master-data-signature/v1\\n" + documentHash.encode("ascii")``: the domain prefix keeps master data
and event signatures apart. The envelope's JSON text is at most 64 KiB and nests at most 8 deep; member names
appear once per object.

Who may publish: the organisation that owns the GTIN (holds its GS1 Company Prefix on chain) or a delegate of its
owner, at ``sc:validFrom`` (:func:`supplychain.verify.authority_check`).
"""

from supplychain.errors import MasterDataError, MasterDataFormatError, MasterDataLimitError
from supplychain.masterdata._canonical import MAX_SAFE_INTEGER, canonical_json
from supplychain.masterdata._document import (
    CONTEXT,
    GS1_VOCABULARY,
    LANGUAGES,
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    ProductMasterData,
    build_product,
    decode_json,
    parse_product,
    product_time,
)
from supplychain.masterdata._signed import (
    MASTER_DATA_DOMAIN,
    MAX_SIGNED_BYTES,
    SIGNED_TYPE,
    SIGNED_VERSION,
    SignedMasterData,
    document_hash,
    master_data_message,
    parse_signed,
    read_signed,
    sign_master_data,
    verify_signed,
)

__all__ = [
    "CONTEXT",
    "GS1_VOCABULARY",
    "LANGUAGES",
    "MASTER_DATA_DOMAIN",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_SAFE_INTEGER",
    "MAX_SIGNED_BYTES",
    "SIGNED_TYPE",
    "SIGNED_VERSION",
    "MasterDataError",
    "MasterDataFormatError",
    "MasterDataLimitError",
    "ProductMasterData",
    "SignedMasterData",
    "build_product",
    "canonical_json",
    "decode_json",
    "document_hash",
    "master_data_message",
    "parse_product",
    "parse_signed",
    "product_time",
    "read_signed",
    "sign_master_data",
    "verify_signed",
]
