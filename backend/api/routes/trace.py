"""Routes: backward trace, forward trace (recall list) and journey of a serial or a lot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query

from backend.api.deps import SessionDep
from backend.api.routes.events import BAD_PARAMETER, INVALID_REQUEST, problem_doc
from backend.services.tracing import SubgraphLoader, backward_json, forward_json, journey_json, resolve_identifier

__all__ = ["router"]

router = APIRouter(prefix="/trace", tags=["trace"], responses={422: INVALID_REQUEST})

Identifier = Annotated[
    str,
    Query(
        alias="id",
        description="EPC URN or GS1 Digital Link of a serial, lot or logistic unit",
        examples=["urn:epc:id:sgtin:6904444.040001.A-1", "https://id.gs1.org/01/06904444400010/10/A-LOT1"],
    ),
]
NEVER_SEEN = problem_doc(
    404, "not-found", "Not found", "no stored event names https://id.gs1.org/01/06904444400010/21/X"
)
RESPONSES: dict[int | str, dict[str, Any]] = {400: BAD_PARAMETER, 404: NEVER_SEEN}


def _run(session: SessionDep, identifier: str, walk: Callable[[SubgraphLoader, str], dict[str, Any]]) -> dict[str, Any]:
    start = resolve_identifier(session, identifier)
    return walk(SubgraphLoader(session, custody=walk is not forward_json), start)  # a recall list misses nothing


@router.get("/backward", summary="Backward trace: what went into a product (来源可查询)", responses=RESPONSES)
def trace_backward(session: SessionDep, identifier: Identifier) -> dict[str, Any]:
    """The product's genealogy as a tree: inputs of the transformations that made it, packed contents, its lot,
    down to raw material, each node with the organisations that made it (`makers`), plus `suppliers` and
    `rawMaterials`.

    Only the events of the product's chain of custody are read (`custody`: the organisations that made what the
    walk traced, and those it was handed to; at most `maxEvents`; `truncated` says when a bound cut the walk short):
    events of other organisations naming it, and events naming more than 1,000 identifiers, are counted by reason in
    `summarised` (`outside_custody`, `too_many_identifiers`) and not followed. `events` summarises every event the
    answer rests on, by time: Event Hash ID, signer, type, bizStep, location and anchor (`{"status": "pending"}` or
    root, proof, sequence, transaction, block, block time). `problems` lists what could not be followed (cycles,
    missing links). `404` for an identifier no event names.
    """
    return _run(session, identifier, backward_json)


@router.get("/forward", summary="Forward trace: where an input lot went (去向可追踪, recall list)", responses=RESPONSES)
def trace_forward(session: SessionDep, identifier: Identifier) -> dict[str, Any]:
    """Everything the identifier reached: outputs made from it, containers it was packed in, serials of a lot
    (`reached.lots`, `.serials`, `.containers`), every event showing it (`sightings`), the locations and the
    organisations involved.

    Every event around the identifier is read, whoever signed it and however many identifiers it names (a recall
    list must miss nothing; at most `maxEvents`: `truncated` says when the bound cut the walk short). `events`
    summarises every event the answer rests on, by time: Event Hash ID, signer, type, bizStep, location and anchor
    (`{"status": "pending"}` or root, proof, sequence, transaction, block, block time). `problems` lists what could
    not be followed (cycles, missing links). `404` for an identifier no event names.
    """
    return _run(session, identifier, forward_json)


@router.get("/journey", summary="Journey: the product's events through its containers, by time", responses=RESPONSES)
def trace_journey(session: SessionDep, identifier: Identifier) -> dict[str, Any]:
    """The events of the identifier and of the containers it travelled in while inside them (`via`), in time
    order, each with its stage (production, logistics, retail), location and organisation; and the stays in
    containers (`containments`).

    Only the events of its chain of custody are read (`custody`, `summarised`: as for the backward trace; at most
    `maxEvents`; `truncated` says when a bound cut the walk short). `events` summarises every event the answer
    rests on, by time: Event Hash ID, signer, type, bizStep, location and anchor (`{"status": "pending"}` or root,
    proof, sequence, transaction, block, block time). `problems` lists what could not be followed (cycles, missing
    links). `404` for an identifier no event names.
    """
    return _run(session, identifier, journey_json)
