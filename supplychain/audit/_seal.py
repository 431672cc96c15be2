"""Seals: what an audit saw of each settled event, kept so that a later run can prove it is still served unchanged.

An incremental audit checks in full only the events it has not seen; without more, a platform could edit, delete or
back-date events right after an audit and the next run would never look. So the audit keeps, for every event it
settled (checked in full, and its root judged on chain or its record unreadable), a *seal*: the first
:data:`PRINT_BYTES` bytes of the SHA-256 of the event's export record, byte for byte as served (its hash ID,
signature, key, organisation, times, recognition, batch, root, leaf index, proof and document: every field of the
record). The seals are kept in id order (:class:`Seals`: an ``array`` of ids and one ``bytearray`` of prints, 24
bytes per event; ids as runs in the state file, prints as base64: about 22 MB per million events).

A continued run reads the export from the first id again. Each record is hashed (no parsing, no signature check: a
few microseconds) and walked against the seals in id order (:meth:`Seals.served`):

* a sealed id whose record hashes to another print: ``audited_event_changed``;
* a sealed id the export no longer serves: ``audited_event_missing`` (reported when the walk passes it, or at the
  end, :meth:`Seals.unserved`);
* an id at or below the last id audited that was neither sealed nor left unsettled:
  ``event_inserted_into_audited_range`` (ids are given in increasing order as events are stored; an event that
  appears below them was put there later).

The seals of what was audited are never replaced by what is served now: a changed or deleted event is reported again
by every later run until the platform serves the audited record again (or the audit starts over with ``--fresh``).
Events left unsettled are not sealed (their records gain a batch, root and proof when they are batched); they are read
again in full anyway. The cost of a continued run is one pass over the export and one SHA-256 per record (no
parsing, no signature check: about a tenth of a full check; ``supplychain bench audit`` measures both).

The print is of the record's bytes, the strictest reading of "served unchanged": an export whose record format
changes between two runs (a platform upgrade adding a field) reads as every event changed; audit it once with
``--fresh`` after such an upgrade.
"""

from __future__ import annotations

import base64
import hashlib
from array import array
from collections.abc import Container, Iterator
from typing import Any

__all__ = ["PRINT_BYTES", "Seals", "record_print"]

PRINT_BYTES = 16


def record_print(line: bytes) -> bytes:
    """The seal of one export record: the first :data:`PRINT_BYTES` bytes of the SHA-256 of its bytes as served."""
    return hashlib.sha256(line).digest()[:PRINT_BYTES]


class Seals:
    """The seals of the settled events, in id order, and the walk of one run over the export against them."""

    def __init__(self) -> None:
        self.ids: array[int] = array("q")
        self.prints = bytearray()
        self.compared = 0
        self._at = 0
        self._new_ids: array[int] = array("q")
        self._new_prints = bytearray()

    def __len__(self) -> int:
        return len(self.ids)

    def served(
        self, event_id: int, print_: bytes, *, audited_up_to: int, unsettled: Container[int]
    ) -> tuple[str, list[int]]:
        """Walk to the record ``event_id`` served now (records come in id order).

        Returns:
            What the record is, ``"same"``, ``"changed"``, ``"inserted"`` or ``"unsealed"`` (new, or left unsettled:
            to be checked; its print is kept until :meth:`seal`), and the sealed ids passed without being served.
        """
        missing: list[int] = []
        ids, at = self.ids, self._at
        while at < len(ids) and ids[at] < event_id:
            missing.append(ids[at])
            at += 1
        if at < len(ids) and ids[at] == event_id:
            self._at = at + 1
            self.compared += 1
            same = self.prints[at * PRINT_BYTES : (at + 1) * PRINT_BYTES] == print_
            return ("same" if same else "changed"), missing
        self._at = at
        if event_id <= audited_up_to and event_id not in unsettled:
            return "inserted", missing
        if not self._new_ids or event_id > self._new_ids[-1]:  # a repeated or out-of-order id is not sealed
            self._new_ids.append(event_id)
            self._new_prints += print_
        return "unsealed", missing

    def unserved(self) -> list[int]:
        """The sealed ids after the last record served (the end of the walk)."""
        rest = self.ids[self._at :].tolist()
        self._at = len(self.ids)
        return rest

    def seal(self, unsettled: Container[int]) -> None:
        """Add the prints of this run's records that are settled now (not in ``unsettled``); start a new walk."""
        ids: array[int] = array("q")
        prints = bytearray()
        old = iter(range(len(self.ids)))
        new = (k for k, i in enumerate(self._new_ids) if i not in unsettled)
        for source, k in _merge(self.ids, old, self._new_ids, new):
            ids.append((self.ids, self._new_ids)[source][k])
            prints += (self.prints, self._new_prints)[source][k * PRINT_BYTES : (k + 1) * PRINT_BYTES]
        self.ids, self.prints = ids, prints
        self._at, self._new_ids, self._new_prints = 0, array("q"), bytearray()

    def to_json(self) -> dict[str, Any]:
        """``ids`` as ``[first, last]`` runs of consecutive ids, ``prints`` as base64."""
        runs: list[list[int]] = []
        for event_id in self.ids:
            if runs and runs[-1][1] == event_id - 1:
                runs[-1][1] = event_id
            else:
                runs.append([event_id, event_id])
        return {"ids": runs, "prints": base64.b64encode(bytes(self.prints)).decode()}

    @classmethod
    def from_json(cls, data: Any) -> Seals:
        """The seals :meth:`to_json` wrote.

        Raises:
            ValueError: Not such seals (their ids not increasing, or not one print per id).
        """
        seals = cls()
        for first, last in data["ids"]:
            if int(first) > int(last) or (seals.ids and int(first) <= seals.ids[-1]):
                raise ValueError(f"seal ids not in increasing order at {first}..{last}")
            seals.ids.extend(range(int(first), int(last) + 1))
        seals.prints = bytearray(base64.b64decode(data["prints"], validate=True))
        if len(seals.prints) != PRINT_BYTES * len(seals.ids):
            raise ValueError(f"{len(seals.ids)} sealed ids but {len(seals.prints)} bytes of prints")
        return seals


def _merge(
    left: array[int], left_keys: Iterator[int], right: array[int], right_keys: Iterator[int]
) -> Iterator[tuple[int, int]]:
    """Merge two index streams into sorted arrays by their ids (no id is in both): ``(0, k)`` for ``left[k]``,
    ``(1, k)`` for ``right[k]``."""
    a, b = next(left_keys, None), next(right_keys, None)
    while a is not None or b is not None:
        if b is None or (a is not None and left[a] < right[b]):
            yield 0, a  # type: ignore[misc] # a is not None here
            a = next(left_keys, None)
        else:
            yield 1, b
            b = next(right_keys, None)
