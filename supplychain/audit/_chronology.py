"""Impossible orders across events: shipped before produced, sold before received, one serial at two places at once.

Events arrive in the platform's storage order, not in time order, so each check keeps, per identifier key (64 bits,
see :func:`~supplychain.audit._facts.identifier_key`), only what it needs:

* ``produced``: key -> earliest production time (ms); ``received``: retailer-scoped key -> earliest receipt time;
* ``places``: serial key -> its latest sighting with a place, packed as ``time_ms << 20 | place index`` (places are
  few and kept once, in ``place_names``);
* ``awaiting_production`` / ``awaiting_receipt``: the earliest shipment (sale) of an identifier with no production
  (receipt) seen yet, with its evidence, until one comes: the things shipped that are never commissioned on the
  platform (cases and pallets, goods made elsewhere) stay here, one entry each.

So memory grows with the number of distinct identifiers (about 100-150 bytes per entry in CPython dicts of ints), not
with the number of events. A shipment is judged against the production known when both have been seen; a second,
earlier production of the same identifier stored later does not withdraw a finding already made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from supplychain.audit._facts import PLACED, PRODUCED, RECEIVED, SHIPPED, SOLD, Fact
from supplychain.audit._findings import Finding, finding

__all__ = ["Chronology"]

_PLACE_BITS = 20
_PLACE_MASK = (1 << _PLACE_BITS) - 1
Pending = tuple[int, str, str, int | None]  # time (ms), event hash, organisation, event id
_WORDS = {
    PRODUCED: ("chronology_shipped_before_produced", "shipped", "produced"),
    RECEIVED: ("chronology_sold_before_received", "sold", "received"),
}


class Chronology:
    """The chronology checks' state; feed it each event's facts with :meth:`add`."""

    def __init__(self, window_ms: int = 60_000) -> None:
        self.window_ms = window_ms
        self.produced: dict[int, int] = {}
        self.received: dict[int, int] = {}
        self.places: dict[int, int] = {}
        self.place_names: list[str] = []
        self._place_index: dict[str, int] = {}
        self.awaiting_production: dict[int, Pending] = {}
        self.awaiting_receipt: dict[int, Pending] = {}

    def add(self, facts: Iterable[Fact], event: Pending) -> list[Finding]:
        """Fold one event's facts; ``event`` is (event time in ms, hash, organisation, record id)."""
        out: list[Finding] = []
        for kind, key, place in facts:
            if kind == PLACED:
                self._placed(key, place or "", event, out)
            elif kind in (PRODUCED, RECEIVED):
                self._first(kind, key, event[0], out)
            elif kind in (SHIPPED, SOLD):
                self._later(kind, key, event, out)
        return out

    def _first(self, kind: str, key: int, t: int, out: list[Finding]) -> None:
        firsts, awaiting = (self.produced, self.awaiting_production) if kind == PRODUCED else _receipts(self)
        known = firsts.get(key)
        if known is None or t < known:
            firsts[key] = t
        pending = awaiting.pop(key, None)
        if pending is not None and pending[0] < t:
            code, did, before = _WORDS[kind]
            message = f"{did} at {pending[0]} ms, {before} only at {t} ms"
            out.append(finding(code, pending[2], message, event_hash=pending[1], event_id=pending[3]))

    def _later(self, kind: str, key: int, event: Pending, out: list[Finding]) -> None:
        firsts, awaiting = (self.produced, self.awaiting_production) if kind == SHIPPED else _receipts(self)
        first = firsts.get(key)
        if first is None:
            earlier = awaiting.get(key)
            if earlier is None or event[0] < earlier[0]:
                awaiting[key] = event
        elif event[0] < first:
            code, did, before = _WORDS[PRODUCED if kind == SHIPPED else RECEIVED]
            message = f"{did} at {event[0]} ms, {before} only at {first} ms"
            out.append(finding(code, event[2], message, event_hash=event[1], event_id=event[3]))

    def _placed(self, key: int, place: str, event: Pending, out: list[Finding]) -> None:
        t = event[0]
        index = self._place_index.get(place)
        if index is None:
            index = self._place_index[place] = len(self.place_names) & _PLACE_MASK
            self.place_names.append(place)
        last = self.places.get(key)
        if last is not None:
            last_t, last_index = last >> _PLACE_BITS, last & _PLACE_MASK
            if last_index != index and abs(t - last_t) < self.window_ms:
                message = (
                    f"at {place} at {t} ms and at {self.place_names[last_index]} at {last_t} ms "
                    f"(less than {self.window_ms // 1000} s apart)"
                )
                code = "chronology_two_places_at_once"
                out.append(finding(code, event[2], message, event_hash=event[1], event_id=event[3]))
            if t < last_t:
                return
        self.places[key] = t << _PLACE_BITS | index

    # --- state ---

    def to_json(self) -> dict[str, Any]:
        """The state as JSON data (flat lists of integers)."""
        return {
            "windowMs": self.window_ms,
            "produced": _flat(self.produced),
            "received": _flat(self.received),
            "places": _flat(self.places),
            "placeNames": list(self.place_names),
            "awaitingProduction": [[k, *v] for k, v in self.awaiting_production.items()],
            "awaitingReceipt": [[k, *v] for k, v in self.awaiting_receipt.items()],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Chronology:
        """Read what :meth:`to_json` wrote (``KeyError`` / ``TypeError`` / ``ValueError`` when it is not that)."""
        chronology = cls(int(data["windowMs"]))
        chronology.produced = _unflat(data["produced"])
        chronology.received = _unflat(data["received"])
        chronology.places = _unflat(data["places"])
        chronology.place_names = [str(p) for p in data["placeNames"]]
        chronology._place_index = {p: i for i, p in enumerate(chronology.place_names)}
        chronology.awaiting_production = {int(k): (int(t), h, o, i) for k, t, h, o, i in data["awaitingProduction"]}
        chronology.awaiting_receipt = {int(k): (int(t), h, o, i) for k, t, h, o, i in data["awaitingReceipt"]}
        return chronology


def _receipts(chronology: Chronology) -> tuple[dict[int, int], dict[int, Pending]]:
    return chronology.received, chronology.awaiting_receipt


def _flat(mapping: Mapping[int, int]) -> list[int]:
    out: list[int] = []
    for key, value in mapping.items():
        out += (key, value)
    return out


def _unflat(values: list[int]) -> dict[int, int]:
    if len(values) % 2:
        raise ValueError("a flat map needs an even number of integers")
    return {int(values[i]): int(values[i + 1]) for i in range(0, len(values), 2)}
