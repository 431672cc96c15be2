"""Exceptions of the pure core: one root, one subclass family per concern.

Callers catch :class:`TraceError` for anything raised by ``supplychain``; built-in bases are mixed in where
callers expect them (``ValueError`` for bad input). Helpers extend this file by adding their classes below.

Tree::

    TraceError
    ├── EpcisError
    │   ├── EpcisValidationError (ValueError)       problems: list[Problem]
    │   ├── EpcisSyntaxError (ValueError)           not JSON / XML, or not an object
    │   ├── EpcisMediaTypeError (ValueError)        media type not JSON-LD / JSON / XML
    │   ├── UnknownCbvTermError (ValueError)        vocabulary, value, suggestion
    │   └── EpcisLimitError (ValueError)            limit_name, limit, actual, path
    │       ├── DocumentTooLargeError
    │       ├── TooManyEventsError
    │       ├── NestingTooDeepError
    │       ├── ListTooLongError
    │       └── StringTooLongError
    ├── RegistryHistoryError (ValueError)          registry events out of order or inconsistent
    ├── MerkleError
    │   └── MerkleValueError (ValueError)           empty / duplicate values, sizes, indices, dumps
    ├── MalformedHashIdError (ValueError)           hash_id, reason
    ├── EventHashError (ValueError)                 where, reason: an event cannot be hashed
    ├── DocumentError (ValueError)                  source, reason: not a readable EPCIS document
    └── SignatureError
        ├── SignatureVerificationError              which check failed:
        │   ├── SignatureEncodingError              not base64url without padding
        │   ├── SignatureLengthError                not 64 bytes
        │   ├── KeyIdMismatchError                  keyId is not the given public key
        │   ├── HashIdMismatchError                 eventHashId is not the recomputed hash
        │   └── InvalidSignatureError               the Ed25519 check failed
        ├── EnvelopeFormatError (ValueError)        field, reason
        ├── PublicKeyFormatError (ValueError)
        └── KeystoreError
            ├── KeystoreFormatError (ValueError)    unknown format, or corrupted
            ├── WrongPassphraseError
            └── EmptyPassphraseError (ValueError)
    TraceError (continued)
    └── Gs1Error
        └── Gs1ValueError (ValueError)              kind, value, reason
            ├── InvalidGs1KeyError                  length, characters, check digit
            ├── InvalidUsccError                    unified social credit code
            ├── EpcUriError                         EPC URI syntax or conversion
            └── DigitalLinkError                    Digital Link path, qualifiers, query
    TraceError (continued)
    ├── GreenRuleError
    │   └── UnknownRecognitionError (LookupError)   recognition_id: not in the registry mirror
    ├── ProofBundleError
    │   └── ProofBundleFormatError (ValueError)     field, reason: not a version-1 proof bundle
    └── MasterDataError
        └── MasterDataFormatError (ValueError)      field, reason: not a version-1 product master data document
            └── MasterDataLimitError                limit_name, maximum, actual: beyond a size bound
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class TraceError(Exception):
    """Root of every exception raised by the pure core."""


# --- EPCIS (supplychain.epcis) ---


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an EPCIS document.

    Attributes:
        index: Position of the event in the document's event list, or ``None`` for a document-level problem.
        event_id: The event's ``eventID`` when it has a usable one, else ``None``.
        path: JSON-pointer-like location, e.g. ``epcisBody.eventList[3].quantityList[0].quantity``.
        message: What is wrong and what was expected.
    """

    index: int | None
    event_id: str | None
    path: str
    message: str

    def __str__(self) -> str:
        """Render as ``event 3 (eventID x) at path: message``."""
        where = "document" if self.index is None else f"event {self.index}"
        if self.event_id is not None:
            where += f" (eventID {self.event_id})"
        return f"{where} at {self.path or '<root>'}: {self.message}"


class EpcisError(TraceError):
    """Anything wrong with EPCIS input."""


class EpcisSyntaxError(EpcisError, ValueError):
    """The input is not well-formed JSON / XML, or not an EPCIS document at all."""

    def __init__(self, media_type: str, detail: str) -> None:
        """Build the message from the format tried and the decoder's complaint."""
        self.media_type = media_type
        self.detail = detail
        super().__init__(f"cannot read EPCIS input as {media_type}: {detail}")


class EpcisValidationError(EpcisError, ValueError):
    """The document is well-formed but breaks EPCIS 2.0 / CBV 2.0 rules; ``problems`` lists each one."""

    def __init__(self, problems: Sequence[Problem], *, truncated: bool = False) -> None:
        """Keep all problems; the message shows the first few."""
        self.problems: list[Problem] = list(problems)
        self.truncated = truncated
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = len(self.problems) - 5
        tail = f"; and {more} more" if more > 0 else ""
        cap = " (stopped at the cap)" if truncated else ""
        super().__init__(f"{len(self.problems)} problem(s) in EPCIS input{cap}: {shown}{tail}")


class EpcisLimitError(EpcisError, ValueError):
    """The input exceeds one of the parser's resource limits (``supplychain.epcis.Limits``)."""

    what = "value"

    def __init__(self, limit_name: str, limit: int, actual: int, path: str = "") -> None:
        """Name the limit, its value and the actual value (and where, when known)."""
        self.limit_name = limit_name
        self.limit = limit
        self.actual = actual
        self.path = path
        where = f" at {path}" if path else ""
        super().__init__(f"{self.what} {actual}{where} exceeds the limit {limit_name}={limit}")


class DocumentTooLargeError(EpcisLimitError):
    """The document has more bytes than ``Limits.max_document_bytes``."""

    what = "document size in bytes"


class TooManyEventsError(EpcisLimitError):
    """The document has more events than ``Limits.max_events``."""

    what = "number of events"


class NestingTooDeepError(EpcisLimitError):
    """Objects / arrays are nested deeper than ``Limits.max_depth``."""

    what = "nesting depth"


class ListTooLongError(EpcisLimitError):
    """One list has more items than ``Limits.max_list_length``."""

    what = "list length"


class StringTooLongError(EpcisLimitError):
    """One string (value or key) has more characters than ``Limits.max_string_length``."""

    what = "string length"


# --- Merkle trees (supplychain.merkle) ---


class MerkleError(TraceError):
    """Anything wrong with a Merkle tree, proof or dump."""


class MerkleValueError(MerkleError, ValueError):
    """Bad input to the Merkle code: empty or duplicate values, wrong sizes, unknown indices, bad dumps."""


class MalformedHashIdError(TraceError, ValueError):
    """A string is not an Event Hash ID of the form ``ni:///sha-256;<64 lowercase hex>?ver=CBV2.0``."""

    def __init__(self, hash_id: object, reason: str) -> None:
        """Keep the offending value (shortened in the message) and say what is wrong with it."""
        self.hash_id = hash_id
        self.reason = reason
        shown = repr(hash_id)
        if len(shown) > 100:
            shown = shown[:97] + "..."
        super().__init__(f"malformed Event Hash ID {shown}: {reason}")


# --- Event Hash IDs (supplychain.eventhash) ---


class EventHashError(TraceError, ValueError):
    """An event cannot be turned into a CBV 2.0 pre-hash string (not an object, no event type, ...)."""

    def __init__(self, where: str, reason: str) -> None:
        """Say which event (e.g. ``event 3``) and what is wrong with it."""
        self.where = where
        self.reason = reason
        super().__init__(f"cannot hash {where}: {reason}")


class DocumentError(TraceError, ValueError):
    """Bytes are not a readable EPCIS 2.0 document (malformed JSON / XML, unsafe XML, too deep, no events)."""

    def __init__(self, source: str, reason: str) -> None:
        """Name the input format tried (``JSON``, ``XML``, ``input``) and what is wrong."""
        self.source = source
        self.reason = reason
        super().__init__(f"not a readable EPCIS document ({source}): {reason}")


# --- Signatures and keys (supplychain.signing) ---


class SignatureError(TraceError):
    """Anything wrong with an event signature, a signed envelope or a signing key."""


class SignatureVerificationError(SignatureError):
    """A signed envelope or signature does not verify; the subclass says which check failed."""


class SignatureEncodingError(SignatureVerificationError):
    """The signature is not base64url without padding (or not its canonical form)."""


class SignatureLengthError(SignatureVerificationError):
    """The decoded signature is not 64 bytes long."""


class KeyIdMismatchError(SignatureVerificationError):
    """The envelope's ``keyId`` is not the public key it is verified against."""


class HashIdMismatchError(SignatureVerificationError):
    """The envelope's ``eventHashId`` differs from the hash recomputed from its event."""


class InvalidSignatureError(SignatureVerificationError):
    """The Ed25519 signature does not verify for this key and Event Hash ID."""


class EnvelopeFormatError(SignatureError, ValueError):
    """A signed envelope is missing a field, has an unknown one, or one of the wrong type or form."""

    def __init__(self, field: str, reason: str) -> None:
        """Name the field (``<envelope>`` for the whole object) and what is wrong with it."""
        self.field = field
        self.reason = reason
        super().__init__(f"signed envelope field {field!r}: {reason}")


class PublicKeyFormatError(SignatureError, ValueError):
    """A public key or key id is not 32 bytes / ``0x`` + 64 hex digits."""


class KeystoreError(SignatureError):
    """An encrypted private key file cannot be written or opened."""


class KeystoreFormatError(KeystoreError, ValueError):
    """The data is not a keystore of a known version, or it was corrupted (integrity check failed)."""


class WrongPassphraseError(KeystoreError):
    """The passphrase does not open this keystore."""


class EmptyPassphraseError(KeystoreError, ValueError):
    """An empty passphrase was given; private keys are never stored unprotected."""


class UnknownCbvTermError(EpcisError, ValueError):
    """A value is in a CBV namespace (or bare) but is not a term of that CBV 2.0 vocabulary, nor a URI."""

    def __init__(self, vocabulary: str, value: str, suggestion: str | None = None) -> None:
        """Name the vocabulary, the value, and the closest term when one is close."""
        self.vocabulary = vocabulary
        self.value = value
        self.suggestion = suggestion
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        super().__init__(
            f"unknown {vocabulary} {value!r}{hint}: expected a CBV 2.0 term (short, CURIE, URN or web URI "
            "form) or a URI outside the CBV namespace"
        )


class EpcisMediaTypeError(EpcisError, ValueError):
    """The declared media type is not one the EPCIS parser reads."""

    def __init__(self, media_type: str, accepted: Sequence[str]) -> None:
        """Name the media type given and the accepted ones."""
        self.media_type = media_type
        self.accepted = tuple(accepted)
        super().__init__(f"unsupported media type {media_type!r}: expected one of {', '.join(self.accepted)}")


# --- GS1 identifiers (supplychain.gs1) ---


class Gs1Error(TraceError):
    """Anything wrong with a GS1 identifier, an EPC URI, a GS1 Digital Link or an organisation id."""


class Gs1ValueError(Gs1Error, ValueError):
    """A value is not a valid identifier of the kind expected; says which kind, which value and what is wrong."""

    def __init__(self, kind: str, value: object, reason: str) -> None:
        """Build the message from the kind of identifier (``GTIN``, ``EPC URI``...), the value and the reason."""
        self.kind = kind
        self.value = value
        self.reason = reason
        shown = repr(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"invalid {kind} {shown}: {reason}")


class InvalidGs1KeyError(Gs1ValueError):
    """A GS1 key (GTIN, GLN, SSCC, GRAI, ...) or AI value has a bad length, bad characters or check digit."""


class InvalidUsccError(Gs1ValueError):
    """A unified social credit code (GB 32100-2015) is malformed or its check character is wrong."""


class EpcUriError(Gs1ValueError):
    """An EPC URI (pure identity, class or id pattern) is malformed or cannot be converted."""


class DigitalLinkError(Gs1ValueError):
    """A GS1 Digital Link URI is malformed: bad path, key, qualifier order, query attribute or escape."""


# --- registry history (supplychain.registry) ---


class RegistryHistoryError(TraceError, ValueError):
    """Registry events were applied out of chain order, or refer to something no earlier event created."""


# --- green rules (supplychain.green) and proof bundles (supplychain.verify) ---


class GreenRuleError(TraceError):
    """Anything wrong with a question asked of the green rules."""


class UnknownRecognitionError(GreenRuleError, LookupError):
    """A recognition id is not in the registry mirror."""

    def __init__(self, recognition_id: int) -> None:
        """Name the recognition that was looked for."""
        self.recognition_id = recognition_id
        super().__init__(f"recognition {recognition_id} is not in the registry mirror (was it ever issued?)")


class ProofBundleError(TraceError):
    """Anything wrong with a proof bundle as a document (its verification results are a ``Verdict``)."""


class ProofBundleFormatError(ProofBundleError, ValueError):
    """A proof bundle's JSON is not version 1 of the documented form: a field is missing, unknown or malformed."""

    def __init__(self, field: str, reason: str) -> None:
        """Name the field (a JSON-pointer-like path, ``<bundle>`` for the whole) and what is wrong with it."""
        self.field = field
        self.reason = reason
        super().__init__(f"proof bundle field {field!r}: {reason}")


# --- product master data (supplychain.masterdata) ---


class MasterDataError(TraceError):
    """Anything wrong with a product master data document or its signed envelope."""


class MasterDataFormatError(MasterDataError, ValueError):
    """A master data document (or its envelope) is not version 1 of the documented form."""

    def __init__(self, field: str, reason: str) -> None:
        """Name the field (a JSON-pointer-like path, ``<document>`` for the whole) and what is wrong with it."""
        self.field = field
        self.reason = reason
        super().__init__(f"master data field {field!r}: {reason}")


class MasterDataLimitError(MasterDataFormatError):
    """A master data document is larger or deeper than its bounds allow."""

    def __init__(self, field: str, limit_name: str, maximum: int, actual: int) -> None:
        """Name the bound passed and by how much."""
        self.limit_name = limit_name
        self.maximum = maximum
        self.actual = actual
        super().__init__(field, f"{limit_name} is {maximum}, got {actual}")
