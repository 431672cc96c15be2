"""Routes: the proof bundle of a product (everything needed to verify it offline against the chain)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from backend.api.deps import PlatformDep, SessionDep
from backend.api.routes.events import BAD_PARAMETER, INVALID_REQUEST, problem_doc
from backend.services.tracing import proof_bundle

__all__ = ["DAMAGED_HEADER", "TRUNCATED_HEADER", "router"]

router = APIRouter(prefix="/bundles", tags=["bundles"], responses={422: INVALID_REQUEST})

TRUNCATED_HEADER = "Supplychain-Bundle-Truncated"
DAMAGED_HEADER = "Supplychain-Bundle-Damaged"
DAMAGED_RECORDS_HEADER = "Supplychain-Bundle-Damaged-Records"
_LISTED_IN_HEADER = 20
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A proof bundle, version 2 (format: `supplychain.verify`, `docs/proof-bundle.md`).",
        "headers": {
            TRUNCATED_HEADER: {
                "description": "`true` when the event bound left events out",
                "schema": {"type": "string", "enum": ["true", "false"]},
            },
            DAMAGED_HEADER: {
                "description": "How many stored records of the story do not read (damaged storage): each is left "
                "out of `events` (an event whose document or columns do not read) or given as not anchored (a proof "
                "or batch that does not read), and listed by `/ready` (`checks.damagedRecords`)",
                "schema": {"type": "string", "pattern": "^[0-9]+$"},
            },
            DAMAGED_RECORDS_HEADER: {
                "description": "Which stored records do not read (the first 20, comma-separated): each as its table, "
                "its key (an Event Hash ID, a batch id, an identifier) and the column, space-separated, e.g. "
                "`batch 7 status`; printable ASCII, anything else as `?`. Empty when none.",
                "schema": {"type": "string"},
            },
        },
        "content": {
            "application/json": {
                "example": {
                    "type": "SupplychainProofBundle",
                    "version": 2,
                    "chainId": 31337,
                    "registryAddress": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
                    "product": "https://id.gs1.org/01/06904444400010/21/A-1",
                    "events": [
                        {
                            "envelope": {"type": "SignedEpcisEvent", "version": 1, "event": {}, "...": "..."},
                            "proof": ["0x" + "ab" * 32],
                            "root": "0x" + "cd" * 32,
                            "anchor": {
                                "sequence": 7,
                                "blockNumber": 1234,
                                "txHash": "0x" + "ef" * 32,
                                "timestamp": 1700000000,
                            },
                            "receiptTime": 1699999990,
                        }
                    ],
                    "links": [
                        {
                            "identifier": "https://id.gs1.org/01/06904444400010/21/A-1",
                            "omitted": 0,
                            "chain": [
                                {
                                    "eventHashId": "ni:///sha-256;" + "12" * 32 + "?ver=CBV2.0",
                                    "previous": None,
                                    "root": "0x" + "cd" * 32,
                                    "proof": ["0x" + "34" * 32],
                                }
                            ],
                        }
                    ],
                }
            }
        },
    },
    400: BAD_PARAMETER,
    404: problem_doc(404, "not-found", "Not found", "no stored event names https://id.gs1.org/01/06904444400010/21/X"),
    503: problem_doc(503, "chain-unavailable", "The chain cannot be reached", "connecting to http://127.0.0.1:8545"),
}


def _bundle(session: SessionDep, platform: PlatformDep, identifier: str) -> JSONResponse:
    deployment = platform.registry.deployment
    result = proof_bundle(session, identifier, chain_id=deployment.chain_id, registry_address=deployment.address)
    listed = ", ".join(f"{d.table} {d.key} {d.column}" for d in result.damaged[:_LISTED_IN_HEADER])
    headers = {
        TRUNCATED_HEADER: "true" if result.truncated else "false",
        DAMAGED_HEADER: str(len(result.damaged)),
        DAMAGED_RECORDS_HEADER: "".join(c if " " <= c <= "~" else "?" for c in listed),
    }
    # damaged records (left out, or given as not anchored) are counted in the header and listed by /ready: the
    # bundle format (supplychain.verify, version 2) has no member for them yet, and a verifier refuses unknown ones
    return JSONResponse(result.bundle.to_json(), headers=headers)


@router.get("", summary="Proof bundle of a serial or lot", responses=RESPONSES)
def get_bundle(
    session: SessionDep,
    platform: PlatformDep,
    identifier: Annotated[
        str,
        Query(alias="id", description="EPC URN or GS1 Digital Link", examples=["urn:epc:id:sgtin:6904444.040001.A-1"]),
    ],
) -> JSONResponse:
    """The product's proof bundle (``supplychain.verify.ProofBundle``, version 2): every event of its backward
    trace and its journey, each with its signed envelope and, once anchored, its Merkle proof, root and anchor
    (sequence, block, transaction, block time); ``null`` for all three while an event is pending; and ``links``, the
    anchored story links of the product's identifier (each event naming it commits one, naming the event before it),
    with which a verifier sees whether an event was left out (``docs/proof-bundle.md``). With the
    registry's chain id and address, a verifier needs nothing else but the chain
    (``supplychain.verify.verify_bundle``). ``product`` is the identifier's canonical GS1 Digital Link.
    """
    return _bundle(session, platform, identifier)


@router.get("/01/{path:path}", summary="Proof bundle by Digital Link path", responses=RESPONSES)
def get_bundle_by_path(session: SessionDep, platform: PlatformDep, path: str) -> JSONResponse:
    """The same bundle addressed by the Digital Link path: ``/bundles/01/{gtin}[/10/{lot}][/21/{serial}]``."""
    return _bundle(session, platform, "https://id.gs1.org/01/" + path)
