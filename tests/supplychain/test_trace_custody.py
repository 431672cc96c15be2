"""The chain of custody: who speaks for traced items, from who recorded what and when (supplychain.trace.custody)."""

from __future__ import annotations

from supplychain.trace import HANDOVER_CLOSES, HANDOVER_OPENS, Custody, Mention, custody

SERIAL, CASE, LOT = "serial", "case", "lot"
MAKER, CARRIER, SHOP, STRANGER, SUPPLIER = "maker", "carrier", "shop", "stranger", "supplier"


def m(event: int, node: str, org: str, t: int, step: str | None = None, *, origin: bool = False) -> Mention:
    return Mention(event, node, org, t, step, origin)


def story(*extra: Mention) -> Custody:
    """Made and packed by the maker, shipped in a case, carried, received by the shop, sold."""
    return custody(
        [
            m(1, SERIAL, MAKER, 10, "commissioning", origin=True),
            m(2, SERIAL, MAKER, 20, "packing"),
            m(2, CASE, MAKER, 20, "packing"),
            m(3, CASE, MAKER, 30, "shipping"),
            m(4, CASE, CARRIER, 40, "departing"),
            m(5, CASE, CARRIER, 50, "arriving"),
            m(6, CASE, SHOP, 60, "receiving"),
            m(7, SERIAL, SHOP, 70, "retail_selling"),
            *extra,
        ]
    )


def test_the_steps_that_hand_over() -> None:
    assert {"shipping", "departing"} == HANDOVER_OPENS
    assert {"receiving", "accepting"} == HANDOVER_CLOSES


def test_makers_and_the_organisations_the_item_was_handed_to() -> None:
    chain = story()
    assert chain.custodians == (MAKER, CARRIER, SHOP)
    assert chain.admits(SHOP) and not chain.admits(STRANGER)


def test_a_stranger_naming_the_item_before_it_is_shipped_or_after_it_was_received_is_left_out() -> None:
    assert story(m(8, SERIAL, STRANGER, 15, "inspecting"), m(9, CASE, STRANGER, 80, "inspecting")).custodians == (
        MAKER,
        CARRIER,
        SHOP,
    )


def test_a_stranger_naming_the_item_itself_while_its_case_is_in_transit_is_left_out() -> None:
    """The handover is of the case: recording the serial inside it is not taking the case."""
    assert not story(m(8, SERIAL, STRANGER, 45, "inspecting")).admits(STRANGER)


def test_whoever_records_the_shipped_item_in_transit_joins() -> None:
    """The known limit: a shipper naming no destination cannot be told from a carrier it did not name."""
    assert story(m(8, CASE, STRANGER, 45, "inspecting")).custodians == (MAKER, CARRIER, STRANGER, SHOP)


def test_a_receipt_closes_the_handover_and_only_a_custodian_reopens_it() -> None:
    late = story(m(8, CASE, STRANGER, 65, "receiving"), m(9, CASE, STRANGER, 66, "shipping"))
    assert not late.admits(STRANGER)
    again = story(m(8, CASE, SHOP, 80, "shipping"), m(9, CASE, STRANGER, 90, "receiving"))
    assert again.custodians == (MAKER, CARRIER, SHOP, STRANGER)


def test_the_shippers_own_receipt_does_not_close_its_handover() -> None:
    chain = custody(
        [
            m(1, LOT, SUPPLIER, 10, "commissioning", origin=True),
            m(2, LOT, SUPPLIER, 20, "shipping"),
            m(3, LOT, SUPPLIER, 25, "receiving"),  # its own dock: still on its way
            m(4, LOT, MAKER, 30, "receiving"),
            m(5, LOT, STRANGER, 40, "receiving"),
        ]
    )
    assert chain.custodians == (SUPPLIER, MAKER)


def test_a_custodians_receipt_closes_anothers_handover() -> None:
    chain = custody(
        [
            m(1, LOT, SUPPLIER, 10, "commissioning", origin=True),
            m(2, SERIAL, MAKER, 11, "commissioning", origin=True),
            m(3, LOT, SUPPLIER, 20, "shipping"),
            m(4, LOT, MAKER, 30, "accepting"),
            m(5, LOT, STRANGER, 40, "inspecting"),
        ]
    )
    assert chain.custodians == (SUPPLIER, MAKER)


def test_ties_in_time_are_broken_by_the_event_key() -> None:
    first = [m(1, CASE, MAKER, 10, "packing", origin=True), m(2, CASE, MAKER, 20, "shipping")]
    before = custody([*first, m(3, CASE, SHOP, 20, "receiving")])
    assert before.custodians == (MAKER, SHOP)
    earlier = custody([*first, m(0, CASE, SHOP, 20, "receiving")])  # a smaller key: before the shipping
    assert earlier.custodians == (MAKER,)


def test_seeds_come_first_and_makers_in_the_order_they_made() -> None:
    chain = custody(
        [m(1, SERIAL, MAKER, 20, "commissioning", origin=True), m(2, LOT, SUPPLIER, 10, None, origin=True)],
        seeds=[SHOP],
    )
    assert chain.custodians == (SHOP, SUPPLIER, MAKER)


def test_without_any_origin_the_first_to_record_is_the_custodian() -> None:
    chain = custody([m(2, CASE, CARRIER, 20, "arriving"), m(1, CASE, STRANGER, 30, "inspecting")])
    assert chain.custodians == (CARRIER,)
    assert custody([], seeds=[MAKER]).custodians == (MAKER,)
    assert custody([]).custodians == ()
