"""Lapse notices of a product: its inputs whose makers' green recognitions are now suspended or revoked.

For every input of the product's green share, at every level (:func:`~supplychain.green.green_share`), each green
recognition of its maker that covers it and is suspended or revoked *now* gives a notice, telling whether it lapsed

* ``after`` the input was supplied: it was in force then, so the input still counts as green, but its maker has
  been delisted or suspended since; or
* ``before``: it had already lapsed when the input was supplied (and has stayed so), so the input does not count.

Recognitions issued after the supply, or expired at the time, give no notice.
"""

from __future__ import annotations

from dataclasses import dataclass

from supplychain.green._recognition import GREEN_KINDS, covers, location_of, maker_of
from supplychain.green._share import GreenShare
from supplychain.registry import RecognitionState, RecognitionStatus, RegistryMirror, StatusChange
from supplychain.trace import TraceIndex

__all__ = ["LapseNotice", "lapse_notices"]


@dataclass(frozen=True, slots=True)
class LapseNotice:
    """An input whose maker's recognition is now suspended or revoked.

    Attributes:
        recognition: The recognition.
        change: The suspension or revocation in effect now.
        input: The input (node).
        supplier: Its maker, the recognition's holder.
        supplied_at: When it was supplied (seconds).
        lapsed: ``after`` or ``before`` the supply (see the module docstring).
    """

    recognition: RecognitionState
    change: StatusChange
    input: str
    supplier: str
    supplied_at: int
    lapsed: str

    @property
    def counted_green(self) -> bool:
        """Whether the input counts as green in the share (the recognition was in force when it was supplied)."""
        return self.lapsed == "after"


def lapse_notices(index: TraceIndex, mirror: RegistryMirror, share: GreenShare) -> tuple[LapseNotice, ...]:
    """The lapse notices of ``share``'s inputs, all levels down (rule in the module docstring).

    Args:
        index: The trace graph the share was computed on.
        mirror: The registry as replayed from the chain.
        share: The product's green share.
    """
    notices: dict[tuple[int, str], LapseNotice] = {}
    pending = [share]
    while pending:
        current = pending.pop()
        for item in (*current.inputs, *current.incomparable):
            if item.rolled_up is not None:
                pending.append(item.rolled_up)
            origin = maker_of(index, item.identifier)
            if item.supplier is None or item.supplied_at is None or origin is None:
                continue
            where = location_of(index, origin)
            for recognition in mirror.recognitions_of(item.supplier):
                if (
                    recognition.terms.kind not in GREEN_KINDS
                    or recognition.status is RecognitionStatus.ACTIVE
                    or not covers(recognition, item.identifier, where)
                ):
                    continue
                if recognition.in_force_at(item.supplied_at):
                    lapsed = "after"
                elif recognition.status_at(item.supplied_at) in (
                    RecognitionStatus.SUSPENDED,
                    RecognitionStatus.REVOKED,
                ):
                    lapsed = "before"
                else:
                    continue
                key = (recognition.recognition_id, item.identifier)
                notices.setdefault(
                    key,
                    LapseNotice(
                        recognition, recognition.changes[-1], item.identifier, item.supplier, item.supplied_at, lapsed
                    ),
                )
    return tuple(sorted(notices.values(), key=lambda n: (n.recognition.recognition_id, n.input)))
