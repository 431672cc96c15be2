"""Impossible orders across events: shipped or sold before produced, sold before received, one serial at two places at
once.

The rules, with the clocks they are read by (every organisation stamps its events by its own clock):

* *shipped before produced*: an identifier shipped (``shipping`` / ``departing``) at a time before its earliest
  production (``commissioning`` / ``creating_class_instance``);
* *sold before received*: a retailer sells an identifier before that retailer's earliest receipt of it;
* *sold before produced*: an identifier sold more than ``tolerance_ms`` before its earliest production known when
  the sale is read (high: no clock explains it);
* *two places at once*: one serial seen at two distinct places (canonical ``bizLocation``: an SGLN URN and its Digital
  Link are one place) less than the travel window apart (``window_ms``, 60 s by default: no goods move between two
  sites that fast, and two sites' clocks agree far better than that). A move is *explained*, whatever its speed, when
  the later sighting is a recorded arrival at its place (``receiving``, ``accepting``, ``arriving``, or the
  ``unpacking`` of the container it came in): then the carrier's time on the road is the carrier's and the clocks'
  business, and the order is all that can be judged. "Later" allows for the two organisations' clocks: an arrival up
  to ``tolerance_ms`` (5 s by default) before the other sighting still counts as after it. So a maker's sub-second
  steps at its own site, and a handover recorded as a shipment and a receipt, are no findings; a serial inspected at
  two sites within the window, or seen back at the first site right after arriving at the second, is one.

Events arrive in the platform's storage order, not in time order, so each check keeps, per identifier key (64 bits,
see :func:`~supplychain.audit._facts.identifier_key`), only what it needs:

* ``produced``: key -> earliest production time (ms); ``received``: retailer-scoped key -> earliest receipt time;
* ``places``: serial key -> its latest sighting with a place and the latest recorded arrival at that place, packed
  in one integer as ``(time_ms << 40 | arrival delta) << 20 | place index`` (delta: 0 without an arrival, else the
  time since it + 1, in ms; places are few and kept once, in ``place_names``);
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

from supplychain.audit._facts import ARRIVED, PLACED, PRODUCED, RECEIVED, SHIPPED, SOLD, Fact, identifier_key
from supplychain.audit._findings import Finding, event_label, finding, iso_ms

__all__ = ["Chronology"]

_PLACE_BITS = 20
_PLACE_MASK = (1 << _PLACE_BITS) - 1
_DELTA_BITS = 40
_DELTA_MASK = (1 << _DELTA_BITS) - 1
PACKING = 2
"""The packing of ``places`` (1: ``time << 20 | index``, before arrivals were told apart)."""
Pending = tuple[int, str, str, int | None]  # time (ms), event hash, organisation, event id
_WORDS = {
    PRODUCED: ("chronology_shipped_before_produced", "shipped", "produced"),
    RECEIVED: ("chronology_sold_before_received", "sold", "received"),
}


class Chronology:
    """The chronology checks' state; feed it each event's facts with :meth:`add`."""

    def __init__(self, window_ms: int = 60_000, tolerance_ms: int = 5_000) -> None:
        self.window_ms = window_ms
        self.tolerance_ms = tolerance_ms
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
        for kind, key, place, item in facts:
            if kind in (PLACED, ARRIVED):
                self._placed(key, (place or "", kind == ARRIVED), item, event, out)
            elif kind in (PRODUCED, RECEIVED):
                self._first(kind, key, item, event, out)
            elif kind in (SHIPPED, SOLD):
                self._later(kind, key, item, event, out)
                if kind == SOLD:  # its key is scoped to the seller; production is the item's own
                    self._sold_before_produced(identifier_key(item), item, event, out)
        return out

    def _sold_before_produced(self, key: int, item: str, event: Pending, out: list[Finding]) -> None:
        """A sale dated before the item's production (known by then), beyond the clocks' tolerance."""
        produced = self.produced.get(key)
        if produced is not None and event[0] < produced - self.tolerance_ms:
            message = (
                f"{item}: sold at {iso_ms(event[0])} ({event_label(event[1], event[3])}, {event[2]}), produced only "
                f"at {iso_ms(produced)}"
            )
            out.append(
                finding(
                    "chronology_sold_before_produced",
                    event[2],
                    message,
                    event_hash=event[1],
                    event_id=event[3],
                    item=item,
                )
            )

    def _first(self, kind: str, key: int, item: str, event: Pending, out: list[Finding]) -> None:
        t = event[0]
        firsts, awaiting = (self.produced, self.awaiting_production) if kind == PRODUCED else _receipts(self)
        known = firsts.get(key)
        if known is None or t < known:
            firsts[key] = t
        pending = awaiting.pop(key, None)
        if pending is not None and pending[0] < t:
            code, did, before = _WORDS[kind]
            message = (
                f"{item}: {did} at {iso_ms(pending[0])} ({event_label(pending[1], pending[3])}, {pending[2]}), "
                f"{before} only at {iso_ms(t)} ({event_label(event[1], event[3])}, {event[2]})"
            )
            evidence = {"event_hash": pending[1], "event_id": pending[3], "item": item}
            out.append(finding(code, pending[2], message, **evidence))

    def _later(self, kind: str, key: int, item: str, event: Pending, out: list[Finding]) -> None:
        firsts, awaiting = (self.produced, self.awaiting_production) if kind == SHIPPED else _receipts(self)
        first = firsts.get(key)
        if first is None:
            earlier = awaiting.get(key)
            if earlier is None or event[0] < earlier[0]:
                awaiting[key] = event
        elif event[0] < first:
            code, did, before = _WORDS[PRODUCED if kind == SHIPPED else RECEIVED]
            message = (
                f"{item}: {did} at {iso_ms(event[0])} ({event_label(event[1], event[3])}, {event[2]}), "
                f"{before} only at {iso_ms(first)}"
            )
            out.append(finding(code, event[2], message, event_hash=event[1], event_id=event[3], item=item))

    def _placed(self, key: int, where: tuple[str, bool], item: str, event: Pending, out: list[Finding]) -> None:
        """One sighting of a serial: ``where`` is (the place, whether the event brings it there)."""
        (place, arrival), t = where, event[0]
        index = self._place_index.get(place)
        if index is None:
            index = self._place_index[place] = len(self.place_names) & _PLACE_MASK
            self.place_names.append(place)
        last = self.places.get(key)
        if last is None:
            self.places[key] = _pack(t, t if arrival else None, index)
            return
        last_t, arrived, last_index = _unpack(last)
        if last_index == index:  # the same place: the stay goes on (and may have its arrival now)
            if arrival and (arrived is None or t > arrived):
                arrived = t
            self.places[key] = _pack(max(t, last_t), arrived, index)
            return
        if abs(t - last_t) < self.window_ms:
            tolerance = self.tolerance_ms
            explained = (arrival and t >= last_t - tolerance) or (arrived is not None and arrived >= t - tolerance)
            if not explained:
                message = (
                    f"{item}: at {place} at {iso_ms(t)} ({event_label(event[1], event[3])}, {event[2]}) and at "
                    f"{self.place_names[last_index]} at {iso_ms(last_t)}, less than {self.window_ms // 1000} s "
                    "apart with no recorded arrival between"
                )
                evidence = {"event_hash": event[1], "event_id": event[3], "item": item}
                out.append(finding("chronology_two_places_at_once", event[2], message, **evidence))
        if t > last_t:
            self.places[key] = _pack(t, t if arrival else None, index)

    # --- state ---

    def to_json(self) -> dict[str, Any]:
        """The state as JSON data (flat lists of integers)."""
        return {
            "windowMs": self.window_ms,
            "toleranceMs": self.tolerance_ms,
            "packing": PACKING,
            "produced": _flat(self.produced),
            "received": _flat(self.received),
            "places": _flat_places(self.places),
            "placeNames": list(self.place_names),
            "awaitingProduction": [[k, *v] for k, v in self.awaiting_production.items()],
            "awaitingReceipt": [[k, *v] for k, v in self.awaiting_receipt.items()],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Chronology:
        """Read what :meth:`to_json` wrote (``KeyError`` / ``TypeError`` / ``ValueError`` when it is not that)."""
        chronology = cls(int(data["windowMs"]), int(data.get("toleranceMs", 5_000)))
        chronology.produced = _unflat(data["produced"])
        chronology.received = _unflat(data["received"])
        if data.get("packing", 1) == 1:  # a state written before arrivals were told apart: none was an arrival
            old = _unflat(data["places"])
            chronology.places = {k: _pack(v >> _PLACE_BITS, None, v & _PLACE_MASK) for k, v in old.items()}
        else:
            chronology.places = _unflat_places(data["places"])
        chronology.place_names = [str(p) for p in data["placeNames"]]
        chronology._place_index = {p: i for i, p in enumerate(chronology.place_names)}
        chronology.awaiting_production = {int(k): (int(t), h, o, i) for k, t, h, o, i in data["awaitingProduction"]}
        chronology.awaiting_receipt = {int(k): (int(t), h, o, i) for k, t, h, o, i in data["awaitingReceipt"]}
        return chronology


def _pack(t: int, arrived: int | None, index: int) -> int:
    delta = 0 if arrived is None else min(t - arrived + 1, _DELTA_MASK)
    return (t << _DELTA_BITS | delta) << _PLACE_BITS | index


def _unpack(packed: int) -> tuple[int, int | None, int]:
    """(latest time, latest arrival at that place or ``None``, place index)."""
    moment = packed >> _PLACE_BITS
    t, delta = moment >> _DELTA_BITS, moment & _DELTA_MASK
    return t, (None if delta == 0 else t - delta + 1), packed & _PLACE_MASK


def _receipts(chronology: Chronology) -> tuple[dict[int, int], dict[int, Pending]]:
    return chronology.received, chronology.awaiting_receipt


def _flat(mapping: Mapping[int, int]) -> list[int]:
    out: list[int] = []
    for key, value in mapping.items():
        out += (key, value)
    return out


_LOW = _DELTA_BITS + _PLACE_BITS


def _flat_places(places: Mapping[int, int]) -> list[int]:
    """``places`` as flat triples (key, time, delta << 20 | place index): every number within 64 bits, for JSON."""
    out: list[int] = []
    for key, value in places.items():
        out += (key, value >> _LOW, value & ((1 << _LOW) - 1))
    return out


def _unflat_places(values: list[int]) -> dict[int, int]:
    if len(values) % 3:
        raise ValueError("the places are triples of integers")
    return {int(values[i]): int(values[i + 1]) << _LOW | int(values[i + 2]) for i in range(0, len(values), 3)}


def _unflat(values: list[int]) -> dict[int, int]:
    if len(values) % 2:
        raise ValueError("a flat map needs an even number of integers")
    return {int(values[i]): int(values[i + 1]) for i in range(0, len(values), 2)}
