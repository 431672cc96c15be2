"""Product master data against the registry: the signer's key and authority over the GTIN when it published."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from supplychain.errors import (
    HashIdMismatchError,
    InvalidGs1KeyError,
    MasterDataFormatError,
    SignatureVerificationError,
)
from supplychain.gs1 import identifier_node
from supplychain.masterdata import SignedMasterData, parse_signed, verify_signed
from supplychain.registry import RecognitionKind, RegistryMirror, gtin14
from supplychain.verify._bundle import BundleMasterData
from supplychain.verify._checks import anchor_claim_checks, key_check
from supplychain.verify._verdict import Check, MasterDataVerdict

__all__ = ["authority_check", "master_data_checks", "product_gtin", "verify_master_data"]

_DL_GTIN = re.compile(r"/01/(\d{14})(?:/|$)")


def product_gtin(product: str) -> str | None:
    """The GTIN (14 digits) of a product identifier (EPC URI or GS1 Digital Link), or ``None`` when it has none."""
    found = _DL_GTIN.search(identifier_node(product))
    return found[1] if found else None


def authority_check(mirror: RegistryMirror, gtin: str, org: str, t: int) -> Check:
    """Whether ``org`` could speak for ``gtin`` at ``t``: it owned it (held its company prefix) or was a delegate
    of its owner then (``not_gtin_owner`` otherwise, naming the owner then)."""
    if mirror.may_speak_for_gtin_at(gtin, org, t):
        owner = mirror.gtin_owner_at(gtin, t)
        how = "owned" if owner == org else f"was a delegate of its owner {owner} for"
        return Check("owner", True, f"{org} {how} GTIN {gtin} at {t}")
    owner = mirror.gtin_owner_at(gtin, t)
    if owner is None:
        detail = f"{org} may not speak for GTIN {gtin} at {t}: nobody held its company prefix then"
    else:
        prefix = mirror.company_prefix_at(gtin, t)
        detail = f"{org} may not speak for GTIN {gtin} at {t}: its owner then was {owner} (company prefix {prefix})"
    return Check("owner", False, detail, "not_gtin_owner")


def _organisation_check(mirror: RegistryMirror, org: str, t: int) -> Check:
    state = mirror.organisations.get(org)
    if state is None or t < state.registered_at:
        return Check("organisation", False, f"{org} was not registered at {t}", "organisation_not_registered")
    if not state.active_at(t):
        return Check("organisation", False, f"{org} was suspended at {t}", "organisation_suspended")
    return Check("organisation", True, f"{org} was registered and active at {t}")


def _recognition_check(mirror: RegistryMirror, signed: SignedMasterData, t: int) -> Check | None:
    cited = signed.product.green_product_recognition
    if cited is None:
        return None
    rec = mirror.recognitions.get(cited)
    org, gtin = signed.organisation_id, signed.product.gtin
    wrong = None
    if rec is None:
        wrong = "is not in the registry"
    elif rec.terms.kind is not RecognitionKind.GREEN_PRODUCT:
        wrong = f"is a {rec.terms.kind.name} recognition, not GREEN_PRODUCT (绿色设计产品)"
    elif rec.terms.holder != org:
        wrong = f"is held by {rec.terms.holder}, not by {org}"
    elif not _same_gtin(rec.terms.subject, gtin):
        wrong = f"recognises {rec.terms.subject!r:.40}, not GTIN {gtin}"
    elif not rec.in_force_at(t):
        wrong = f"was not in force at {t}"
    if wrong is not None:
        return Check("recognition", False, f"green product recognition {cited} {wrong}", "recognition_not_held")
    return Check("recognition", True, f"green product recognition {cited} of {org} for {gtin} was in force at {t}")


def _same_gtin(subject: str, gtin: str) -> bool:
    try:
        return gtin14(subject) == gtin
    except InvalidGs1KeyError:
        return False


def master_data_checks(
    envelope: Mapping[str, Any], mirror: RegistryMirror, *, gtin: str | None = None
) -> tuple[SignedMasterData | None, list[Check]]:
    """The checks of a signed master data envelope on its own, judged at its ``sc:validFrom`` (publication).

    In order, each a :class:`Check` with a stable code when it fails: the envelope and its document
    (``malformed_master_data``); the product is ``gtin`` when given (``master_data_other_product``); the document
    hash recomputed (``master_data_hash_mismatch``); the Ed25519 signature (``bad_signature``); the key registered to
    the signer and valid then (``key_not_registered``, ``key_not_yet_valid``, ``key_revoked``); the signer registered
    and active then (``organisation_not_registered``, ``organisation_suspended``); the signer owned the GTIN or was a
    delegate of its owner then (``not_gtin_owner``); a cited green product recognition is the signer's, for this
    GTIN, and was in force then (``recognition_not_held``).

    Returns:
        The parsed envelope (``None`` when malformed) and the checks.
    """
    try:
        signed = parse_signed(envelope)
    except MasterDataFormatError as exc:
        return None, [Check("envelope", False, str(exc), "malformed_master_data")]
    product = signed.product
    checks = [Check("envelope", True, f"a version-1 signed gs1:Product of GTIN {product.gtin}, v{product.version}")]
    if gtin is not None:
        if gtin == product.gtin:
            checks.append(Check("product", True, f"the master data is about GTIN {gtin}"))
        else:
            detail = f"the master data is about GTIN {product.gtin}, not the product's GTIN {gtin}"
            checks.append(Check("product", False, detail, "master_data_other_product"))
    try:
        verify_signed(signed, bytes.fromhex(signed.key_id[2:]))
        checks.append(Check("signature", True, f"{signed.hash_hex} signed by key {signed.key_id}"))
    except HashIdMismatchError as exc:
        checks.append(Check("signature", False, str(exc), "master_data_hash_mismatch"))
    except SignatureVerificationError as exc:
        checks.append(Check("signature", False, str(exc), "bad_signature"))
    t, org = product.valid_from, signed.organisation_id
    checks.append(key_check(mirror, signed.key_id, org, t, "the publication"))
    checks.append(_organisation_check(mirror, org, t))
    checks.append(authority_check(mirror, product.gtin, org, t))
    recognition = _recognition_check(mirror, signed, t)
    if recognition is not None:
        checks.append(recognition)
    return signed, checks


def verify_master_data(
    item: BundleMasterData, mirror: RegistryMirror, *, gtin: str | None, now: int | None
) -> MasterDataVerdict:
    """A bundle's master data: :func:`master_data_checks`, then its Merkle proof and anchor (``proof_invalid``,
    ``root_not_anchored``, ``anchor_mismatch``; ``not_anchored`` while it has none) and that it was published before
    its anchoring (``published_after_anchor``)."""
    signed, checks = master_data_checks(item.signed, mirror, gtin=gtin)
    if signed is None:
        return MasterDataVerdict(None, None, None, {}, None, tuple(checks))
    if item.root is None or item.proof is None or item.anchor is None:
        checks.append(Check("anchor", None, "not anchored yet: the bundle has no proof for it", "not_anchored"))
    else:
        label = f"master data {signed.hash_hex}"
        anchored, anchor = anchor_claim_checks(
            mirror, item.root, item.proof, item.anchor, value=signed.document_hash, label=label
        )
        checks += anchored
        if anchor is not None:
            published = signed.product.valid_from
            if published > anchor.anchored_at:
                detail = f"published at {published}, after its anchoring at {anchor.anchored_at}"
                checks.append(Check("chronology", False, detail, "published_after_anchor"))
            else:
                checks.append(Check("chronology", True, f"published before its anchoring at {anchor.anchored_at}"))
    product = signed.product
    in_force_now = None
    if product.green_product_recognition is not None and now is not None:
        in_force_now = mirror.recognition_in_force_at(product.green_product_recognition, now)
    return MasterDataVerdict(
        product.gtin,
        signed.organisation_id,
        product.version,
        dict(product.names),
        product.valid_from,
        tuple(checks),
        product.green_product_recognition,
        in_force_now,
    )
