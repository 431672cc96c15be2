"""The green views' rules: standings, regions, qualified suppliers, the period report, lapse notices, the
authorities' lists, spot-check states and the seeded sample."""

from __future__ import annotations

import hashlib
from fractions import Fraction
from typing import Any

import pytest

from supplychain.green import (
    DAY,
    YEAR,
    CheckState,
    Standing,
    UnitTotal,
    change_at,
    days_until,
    draw_sample,
    green_report,
    green_share,
    lapse_notices,
    listed_units,
    parse_region_filter,
    passes_in_a_row,
    qualified_suppliers,
    region_matches,
    region_of,
    sample_rank,
    spot_check_standings,
    standing_at,
    supplies_to,
)
from supplychain.gs1 import uscc_check_char
from supplychain.registry import (
    BusinessRole,
    Grade,
    Level,
    RecognitionKind,
    RecognitionState,
    RegistryMirror,
    Scope,
)
from supplychain.registry.events import (
    LogPosition,
    OrganisationRegistered,
    RecognitionIssued,
    RecognitionReinstated,
    RecognitionRevoked,
    RecognitionSuspended,
    RecognitionTerms,
    SpotCheckExemptionGranted,
    SpotCheckRecorded,
)
from supplychain.trace import TraceIndex, node_id
from tests.supplychain.factories import CERTIFIER, REGULATOR, T0, ChainBuilder, Org, lgtin, qty, sgtin, sscc

JIANGSU = "91320200MA1MX7K3GD"  # Wuxi, Jiangsu (division 320200)


def uscc(division: str) -> str:
    """A valid unified social credit code of an enterprise registered in ``division``."""
    first = "91" + division + "MA1MX7K3G"
    return first + uscc_check_char(first)


class Registry:
    """Registry history for the tests, appended in chain order (after a ChainBuilder's, when given its mirror)."""

    def __init__(self, mirror: RegistryMirror | None = None) -> None:
        self.mirror = mirror or RegistryMirror()
        self.block = 10_000
        self.next_id = max(self.mirror.recognitions, default=0) + 1

    def _pos(self) -> LogPosition:
        self.block += 1
        return LogPosition(self.block, 0, f"0x{self.block:064x}")

    def org(self, org_id: str, t: int = T0) -> str:
        self.mirror.apply(OrganisationRegistered(self._pos(), t, org_id, BusinessRole.SUPPLIER, b"\0" * 32, ""))
        return org_id

    def issue(
        self,
        holder: str,
        t: int = T0,
        *,
        kind: RecognitionKind = RecognitionKind.GREEN_FACTORY,
        level: Level = Level.PROVINCIAL,
        grade: Grade = Grade.NONE,
        scope: Scope = Scope.ENTERPRISE,
        subject: str = "",
        valid_from: int | None = None,
        valid_until: int | None = None,
    ) -> int:
        rid, self.next_id = self.next_id, self.next_id + 1
        terms = RecognitionTerms(
            holder, kind, level, grade, scope, subject, "GB/T 36132-2018",
            t if valid_from is None else valid_from, valid_until, b"\x01" * 32,
        )  # fmt: skip
        self.mirror.apply(RecognitionIssued(self._pos(), t, rid, CERTIFIER, terms))
        return rid

    def holder(self, rid: int) -> str:
        return self.mirror.recognitions[rid].terms.holder

    def suspend(self, rid: int, t: int) -> None:
        self.mirror.apply(RecognitionSuspended(self._pos(), t, rid, self.holder(rid), REGULATOR, 1))

    def reinstate(self, rid: int, t: int) -> None:
        self.mirror.apply(RecognitionReinstated(self._pos(), t, rid, self.holder(rid), REGULATOR, 11))

    def revoke(self, rid: int, t: int) -> None:
        self.mirror.apply(RecognitionRevoked(self._pos(), t, rid, self.holder(rid), REGULATOR, 2))

    def check(self, rid: int, t: int, *, passed: bool) -> None:
        self.mirror.apply(SpotCheckRecorded(self._pos(), t, rid, self.holder(rid), passed, b"\x02" * 32, 0))

    def exempt(self, rid: int, t: int, until: int) -> None:
        self.mirror.apply(SpotCheckExemptionGranted(self._pos(), t, rid, self.holder(rid), until))

    def __getitem__(self, rid: int) -> RecognitionState:
        return self.mirror.recognitions[rid]


# --- standings ---


def test_standing_at_every_state_and_the_change_in_effect() -> None:
    reg = Registry()
    holder = reg.org("6901111000009")
    rid = reg.issue(holder, T0, valid_from=T0 + DAY, valid_until=T0 + 10 * DAY)
    r = reg[rid]
    assert standing_at(r, T0 - 1) is Standing.NOT_YET_VALID  # before issue and validity
    assert standing_at(r, T0 + 1) is Standing.NOT_YET_VALID  # issued, validity not begun
    assert standing_at(r, T0 + DAY) is Standing.IN_FORCE
    assert standing_at(r, T0 + 10 * DAY) is Standing.EXPIRED
    reg.suspend(rid, T0 + 2 * DAY)
    reg.reinstate(rid, T0 + 3 * DAY)
    reg.revoke(rid, T0 + 4 * DAY)
    assert standing_at(r, T0 + 2 * DAY) is Standing.SUSPENDED
    assert standing_at(r, T0 + 3 * DAY) is Standing.IN_FORCE
    assert standing_at(r, T0 + 20 * DAY) is Standing.REVOKED  # revocation wins over expiry
    assert change_at(r, T0 + DAY) is None
    change = change_at(r, T0 + 3 * DAY + 5)
    assert change is not None and change.timestamp == T0 + 3 * DAY
    assert days_until(T0, T0 + DAY + 1) == 2 and days_until(T0 + DAY, T0) == 0


def test_passes_in_a_row_as_the_registry_counts_them() -> None:
    reg = Registry()
    rid = reg.issue(reg.org("6901111000009"))
    for i, passed in enumerate([True, False, True, True, True, True]):
        reg.check(rid, T0 + i * DAY, passed=passed)
    r = reg[rid]
    assert passes_in_a_row(r, T0) == 1
    assert passes_in_a_row(r, T0 + DAY) == 0  # failed
    assert passes_in_a_row(r, T0 + 3 * DAY) == 2
    assert passes_in_a_row(r, T0 + 4 * DAY) == 0  # the third pass earned an exemption and reset the count
    assert passes_in_a_row(r, T0 + 9 * DAY) == 1


# --- regions ---


def test_regions_from_the_unified_social_credit_code() -> None:
    wuxi = region_of(JIANGSU)
    assert (wuxi.division, wuxi.province, wuxi.name_zh, wuxi.name_en, wuxi.known) == (
        "320200",
        "32",
        "江苏省",
        "Jiangsu",
        True,
    )
    gln = region_of("6901234000016")
    assert (gln.division, gln.province, gln.name_en, gln.known) == (None, None, "unknown", False)
    odd = region_of(uscc("990100"))  # no such province
    assert (odd.division, odd.name_zh, odd.name_en) == ("990100", "行政区划 990100", "division 990100")
    assert region_of("91320200MA1MX7K3GE").known is False  # bad check character: not a USCC


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("unknown", "unknown"), ("未知", "unknown"), (" 32 ", "32"), ("320200", "320200"), ("jiangsu", "江苏省"),
     ("江苏", "江苏省"), ("内蒙古", "内蒙古自治区"), ("Inner Mongolia", "内蒙古自治区")],
)  # fmt: skip
def test_region_filters(text: str, parsed: str) -> None:
    assert parse_region_filter(text) == parsed


@pytest.mark.parametrize("text", ["3", "3202001", "A1", "江", "Atlantis", ""])
def test_bad_region_filters_say_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match="2 to 6 digits of an administrative division code"):
        parse_region_filter(text)


def test_region_matches() -> None:
    wuxi, gln = region_of(JIANGSU), region_of("6901234000016")
    assert region_matches(gln, "unknown") and not region_matches(wuxi, "unknown")
    assert region_matches(wuxi, "32") and region_matches(wuxi, "3202") and not region_matches(wuxi, "3205")
    assert not region_matches(gln, "32")
    assert region_matches(wuxi, "江苏省") and not region_matches(wuxi, "浙江省")


# --- qualified suppliers ---


def _org(c: ChainBuilder, name: str, prefix: str, roles: BusinessRole = BusinessRole.SUPPLIER) -> Org:
    return c.org(name, prefix, roles)


def test_suppliers_found_in_receipts_and_consumptions() -> None:
    c = ChainBuilder()
    raw, other, top = _org(c, "RAW", "6901111"), _org(c, "OTHER", "6902222"), _org(c, "TOP", "6904444")
    x, v, y = lgtin("6901111", "010001", "X"), lgtin("6901111", "010002", "V"), lgtin("6902222", "020001", "Y")
    s1, s2 = sgtin("6901111", "010003", "1"), sgtin("6901111", "010003", "2")
    case, pallet, crate = sscc("6901111", "0000000001"), sscc("6902222", "0000000002"), sscc("6904444", "0000000009")
    own, ghost, out = lgtin("6904444", "040001", "W"), lgtin("6909999", "090001", "G"), lgtin("6904444", "040002", "L")
    c.commission(raw, T0 + DAY, quantities=[qty(x, 10, "KGM"), qty(v, 10, "KGM")], epcs=[s1, s2])
    c.pack(raw, T0 + DAY + 60, case, [s1, s2])
    c.observe(raw, T0 + 2 * DAY, "shipping", epcs=[case])
    c.observe(raw, T0 + 2 * DAY, "shipping", quantities=[qty(x, 10, "KGM")])
    c.commission(other, T0 + DAY, quantities=[qty(y, 5, "KGM")])
    c.pack(other, T0 + DAY + 60, pallet, [])
    receive_case = c.observe(top, T0 + 3 * DAY, "receiving", epcs=[case])
    c.observe(top, T0 + 3 * DAY + 60, "receiving", epcs=[case])  # a second receipt: the first counts
    body: dict[str, Any] = {"type": "AggregationEvent", "action": "OBSERVE", "bizStep": "receiving", "parentID": pallet}
    c.event(top, body | {"childQuantityList": [qty(y, 5, "KGM")]}, T0 + 3 * DAY)
    body = {"type": "TransactionEvent", "action": "OBSERVE", "bizStep": "accepting", "parentID": crate}
    body |= {"bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:6904444000005:PO1"}]}
    c.event(top, body, T0 + 3 * DAY)
    c.observe(other, T0 + 3 * DAY, "receiving", quantities=[qty(x, 1, "KGM")])  # someone else's receipt
    c.commission(top, T0 + 3 * DAY, quantities=[qty(own, 1, "KGM")])
    inputs = [qty(x, 6, "KGM"), qty(y, 4, "KGM"), qty(ghost, 1, "KGM"), qty(own, 1, "KGM"), qty(v, 2, "KGM")]
    first = c.transform(top, T0 + 4 * DAY, inputs=inputs, outputs=[qty(out, 1, "KGM")])
    c.transform(top, T0 + 5 * DAY, inputs=[qty(x, 2, "KGM"), qty(v, 3, "LTR")], outputs=[qty(out, 1, "KGM")])
    index = TraceIndex.build(c.traced())
    reg = Registry(c.mirror())
    reg.issue(raw.org_id)
    supplies, unknown = supplies_to(index, reg.mirror, top.org_id)
    assert set(unknown) == {node_id(ghost), node_id(crate)}
    by_node = {s.identifier: s for s in supplies}
    assert set(by_node) == {node_id(i) for i in (s1, s2, y, x, v)}
    assert by_node[node_id(s1)].received_in == receive_case["eventHashId"]
    assert by_node[node_id(s1)].basis == "shipping"  # the case it was packed in was shipped
    assert (by_node[node_id(s1)].quantity, by_node[node_id(s1)].consumed_in) == (Fraction(1), ())
    assert (by_node[node_id(y)].quantity, by_node[node_id(y)].uom, by_node[node_id(y)].green) == (
        Fraction(5),
        "KGM",
        False,
    )
    xs = by_node[node_id(x)]
    assert (xs.quantity, xs.received_in, xs.basis, xs.supplied_at, xs.green) == (
        Fraction(8),
        None,
        "shipping",
        T0 + 2 * DAY,
        True,
    )
    assert xs.consumed_in[0] == first["eventHashId"] and len(xs.consumed_in) == 2
    assert by_node[node_id(v)].quantity == 2  # KGM then LTR: not added up
    assert supplies[0].taken_at == T0 + 3 * DAY and supplies[-1].taken_at == T0 + 4 * DAY


def test_the_preference_rule_orders_the_list() -> None:
    c = ChainBuilder()
    top = _org(c, "TOP", "6904444", BusinessRole.MANUFACTURER)
    names = ["NATIONAL", "PROVINCIAL", "PROVINCIAL_B", "LAPSED", "NEVER", "FUTURE", "OTHER_KIND"]
    orgs = {name: _org(c, name, f"69{i + 10}000") for i, name in enumerate(names)}
    lots = {name: lgtin(org.prefix, "010001", name[:10]) for name, org in orgs.items()}
    for name, org in orgs.items():
        c.commission(org, T0 + DAY, quantities=[qty(lots[name], 10, "KGM")])
    c.transform(
        top,
        T0 + 3 * DAY,
        inputs=[qty(lot, 1, "KGM") for lot in lots.values()],
        outputs=[qty(lgtin("6904444", "1", "O"), 1)],
    )
    index = TraceIndex.build(c.traced())
    reg = Registry(c.mirror())
    now = T0 + 30 * DAY
    national = reg.issue(orgs["NATIONAL"].org_id, level=Level.NATIONAL, grade=Grade.A)
    reg.issue(orgs["PROVINCIAL"].org_id, valid_until=now + 10 * DAY)
    reg.issue(orgs["PROVINCIAL_B"].org_id, kind=RecognitionKind.GREEN_PRODUCT, scope=Scope.PRODUCT, subject="x")
    reg.issue(orgs["PROVINCIAL_B"].org_id, level=Level.CITY)  # the supply was green through this one
    lapsed = reg.issue(orgs["LAPSED"].org_id)
    reg.issue(orgs["FUTURE"].org_id, T0, valid_from=now + DAY)
    reg.issue(orgs["OTHER_KIND"].org_id, kind=RecognitionKind.GREEN_SUPPLY_CHAIN)
    for i in range(3):
        reg.check(national, T0 + (10 + i) * DAY, passed=True)
    reg.exempt(national, T0 + 12 * DAY, T0 + 12 * DAY + 5 * YEAR)
    reg.check(lapsed, T0 + 4 * DAY, passed=False)
    reg.suspend(lapsed, T0 + 5 * DAY)
    found = qualified_suppliers(index, reg.mirror, top.org_id, now, warn_days=30)
    order = [(s.org_id, s.preference) for s in found.suppliers]
    ids = {name: org.org_id for name, org in orgs.items()}
    assert order == [
        (ids["NATIONAL"], "preferred"),
        (ids["PROVINCIAL"], "preferred"),
        (ids["PROVINCIAL_B"], "preferred"),
        (ids["LAPSED"], "review"),
        (ids["NEVER"], "not_recognised"),  # the same tier, no level: by id
        (ids["FUTURE"], "not_recognised"),
        (ids["OTHER_KIND"], "not_recognised"),
    ]
    assert (found.manufacturer, found.at, found.unknown_origin) == (top.org_id, now, ())
    best = found.suppliers[0]
    assert best.preferred and best.registered and best.green_supplies == 1
    assert best.last_supplied_at == T0 + DAY
    (standing,) = best.recognitions
    assert (standing.now, standing.at_last_supply, standing.expires_in_days, standing.warnings) == (
        Standing.IN_FORCE,
        Standing.IN_FORCE,
        None,
        (),
    )
    assert (standing.exempt_until, standing.passes_in_a_row, standing.since) == (T0 + 12 * DAY + 5 * YEAR, 0, T0)
    soon = found.suppliers[1].recognitions[0]
    assert (soon.expires_in_days, soon.warnings) == (10, ("expires_soon",))
    assert [r.green for r in found.suppliers[2].recognitions] == [True, True]
    assert len(found.suppliers[2].green_now) == 2
    review = found.suppliers[3]
    assert review.warnings == ("suspended", "lapsed_since_supply", "spot_check_failed")
    assert (review.recognitions[0].since, review.recognitions[0].now) == (T0 + 5 * DAY, Standing.SUSPENDED)
    future = found.suppliers[5].recognitions[0]
    assert (future.now, future.since, future.at_last_supply) == (Standing.NOT_YET_VALID, None, Standing.NOT_YET_VALID)
    assert found.suppliers[6].recognitions[0].green is False


def test_expired_and_reinstated_standings() -> None:
    c = ChainBuilder()
    top, sup = _org(c, "TOP", "6904444", BusinessRole.MANUFACTURER), _org(c, "SUP", "6901111")
    lot = lgtin("6901111", "010001", "A")
    c.commission(sup, T0 + DAY, quantities=[qty(lot, 1, "KGM")])
    c.transform(top, T0 + 2 * DAY, inputs=[qty(lot, 1, "KGM")], outputs=[qty(lgtin("6904444", "1", "O"), 1)])
    reg = Registry(c.mirror())
    expired = reg.issue(sup.org_id, valid_until=T0 + 5 * DAY)
    back = reg.issue(sup.org_id)
    reg.suspend(back, T0 + 3 * DAY)
    reg.reinstate(back, T0 + 4 * DAY)
    found = qualified_suppliers(TraceIndex.build(c.traced()), reg.mirror, top.org_id, T0 + 10 * DAY)
    first, second = found.suppliers[0].recognitions
    assert (first.recognition.recognition_id, first.now, first.since) == (expired, Standing.EXPIRED, T0 + 5 * DAY)
    assert first.warnings == ("expired", "lapsed_since_supply")
    assert (second.now, second.since) == (Standing.IN_FORCE, T0 + 4 * DAY)


# --- the period report ---


def test_the_report_of_a_period() -> None:
    c = ChainBuilder()
    raw, mid = _org(c, "RAW", "6901111"), _org(c, "MID", "6903333")
    top = _org(c, "TOP", "6904444", BusinessRole.MANUFACTURER)
    ore, part = lgtin("6901111", "010001", "O"), lgtin("6903333", "030001", "P")
    lot, vague = lgtin("6904444", "040001", "L1"), lgtin("6904444", "040002", "V")
    serials = [sgtin("6904444", "040001", f"S{n}") for n in (1, 2)]
    loose = sgtin("6904444", "040003", "X")
    c.commission(raw, T0 + DAY, quantities=[qty(ore, 10, "KGM")])
    c.transform(mid, T0 + 2 * DAY, inputs=[qty(ore, 10, "KGM")], outputs=[qty(part, 10, "KGM")])
    c.observe(top, T0 + 3 * DAY, "receiving", quantities=[qty(part, 10, "KGM")])
    c.transform(top, T0 + 4 * DAY, inputs=[qty(part, 4, "KGM")], output_epcs=serials, lot="L1")
    c.transform(top, T0 + 5 * DAY, inputs=[qty(part, 1, "KGM")], output_epcs=[loose])
    c.transform(top, T0 + 6 * DAY, inputs=[{"epcClass": part}], outputs=[qty(vague, 1)])  # no quantity: no share
    c.transform(top, T0 + 40 * DAY, inputs=[qty(part, 5, "KGM")], outputs=[qty(lgtin("6904444", "040001", "L9"), 1)])
    index = TraceIndex.build(c.traced())
    reg = Registry(c.mirror())
    green = reg.issue(raw.org_id, valid_until=T0 + 20 * DAY)
    reg.issue(raw.org_id, valid_until=T0 + 25 * DAY)
    reg.suspend(reg.next_id - 1, T0 + 22 * DAY)  # suspended before it would have expired: no expiry lapse
    mid_rec = reg.issue(mid.org_id)
    reg.revoke(mid_rec, T0 + 10 * DAY)
    report = green_report(index, reg.mirror, top.org_id, T0, T0 + 30 * DAY)
    assert [(x.identifier, x.made_at, x.share.share) for x in report.lots] == [
        (node_id(lot), T0 + 4 * DAY, 1),
        (node_id(loose), T0 + 5 * DAY, 1),
        (node_id(vague), T0 + 6 * DAY, None),
    ]
    assert report.totals == (UnitTotal("KGM", Fraction(5), Fraction(5), 2),)
    assert report.totals[0].share == 1 and UnitTotal(None, Fraction(0), Fraction(0), 0).share is None
    assert [s.identifier for s in report.inputs] == [node_id(part)]
    assert report.suppliers == (mid.org_id, raw.org_id)  # direct first, then upstream
    assert [(x.recognition.recognition_id, x.standing, x.at) for x in report.lapses] == [
        (mid_rec, Standing.REVOKED, T0 + 10 * DAY),
        (green, Standing.EXPIRED, T0 + 20 * DAY),
        (green + 1, Standing.SUSPENDED, T0 + 22 * DAY),
    ]
    assert report.lapses[0].change is not None and report.lapses[1].change is None
    assert (report.manufacturer, report.start, report.end, report.unknown_origin) == (
        top.org_id,
        T0,
        T0 + 30 * DAY,
        (),
    )
    (later,) = green_report(index, reg.mirror, top.org_id, T0 + 31 * DAY, T0 + 60 * DAY).lots
    assert later.share.share == 1  # made after the lapses, from ore supplied while its maker was green


# --- lapse notices ---


def test_lapse_notices_before_and_after_the_supply_at_every_level() -> None:
    c = ChainBuilder()
    raw, mid = _org(c, "RAW", "6901111"), _org(c, "MID", "6903333")
    top = _org(c, "TOP", "6904444", BusinessRole.MANUFACTURER)
    early, late = lgtin("6901111", "010001", "E"), lgtin("6901111", "010001", "L")
    part, ghost, product = lgtin("6903333", "030001", "P"), lgtin("6909999", "1", "G"), lgtin("6904444", "1", "X")
    c.commission(raw, T0 + DAY, quantities=[qty(early, 1, "KGM")])
    c.commission(raw, T0 + 6 * DAY, quantities=[qty(late, 1, "KGM")])
    inputs = [qty(early, 1, "KGM"), qty(late, 1, "KGM"), qty(ghost, 1, "KGM")]
    c.transform(mid, T0 + 7 * DAY, inputs=inputs, outputs=[qty(part, 2, "KGM")])
    c.transform(top, T0 + 8 * DAY, inputs=[qty(part, 2, "KGM"), qty(early, 1, "LTR")], outputs=[qty(product, 1)])
    index = TraceIndex.build(c.traced())
    reg = Registry(c.mirror())
    factory = reg.issue(raw.org_id)
    reg.suspend(factory, T0 + 5 * DAY)
    reg.revoke(factory, T0 + 9 * DAY)
    reg.issue(raw.org_id, kind=RecognitionKind.GREEN_PRODUCT, scope=Scope.PRODUCT, subject="06901111100020")
    reg.suspend(reg.next_id - 1, T0 + 9 * DAY)  # covers another GTIN: no notice
    reg.issue(raw.org_id, kind=RecognitionKind.GREEN_SUPPLY_CHAIN)
    reg.revoke(reg.next_id - 1, T0 + 9 * DAY)  # not a green kind: no notice
    late_one = reg.issue(raw.org_id, T0 + 7 * DAY)  # issued after every supply
    reg.suspend(late_one, T0 + 9 * DAY)
    reg.issue(mid.org_id)  # in force: no notice
    notices = lapse_notices(index, reg.mirror, green_share(index, reg.mirror, product))
    assert [(n.recognition.recognition_id, n.input, n.lapsed, n.counted_green) for n in notices] == [
        (factory, node_id(early), "after", True),
        (factory, node_id(late), "before", False),
    ]
    assert notices[0].change.timestamp == T0 + 9 * DAY and notices[0].supplier == raw.org_id
    assert notices[1].supplied_at == T0 + 6 * DAY


# --- the authorities' view ---


@pytest.fixture
def authority() -> tuple[Registry, dict[str, int]]:
    reg = Registry()
    wuxi, hangzhou, gln = reg.org(JIANGSU), reg.org(uscc("330100")), reg.org("6901234000016")
    ids = {
        "wuxi": reg.issue(wuxi),
        "wuxi_product": reg.issue(
            wuxi, kind=RecognitionKind.GREEN_PRODUCT, level=Level.CITY, scope=Scope.PRODUCT, subject="x"
        ),
        "hangzhou": reg.issue(hangzhou, level=Level.NATIONAL, grade=Grade.A_PLUS),
        "gln": reg.issue(gln, T0, valid_until=T0 + 10 * DAY),
        "suspended": reg.issue(gln),
        "exempt": reg.issue(hangzhou),
        "checked": reg.issue(gln),
    }
    reg.suspend(ids["suspended"], T0 + DAY)
    for i in range(3):
        reg.check(ids["exempt"], T0 + (i + 1) * DAY, passed=True)
    reg.exempt(ids["exempt"], T0 + 3 * DAY, T0 + 3 * DAY + 5 * YEAR)
    reg.check(ids["checked"], T0 + 2 * YEAR, passed=True)
    reg.check(ids["wuxi"], T0 + DAY, passed=True)
    reg.check(ids["hangzhou"], T0 + DAY, passed=True)
    reg.check(ids["hangzhou"], T0 + DAY + 1, passed=False)
    reg.check(ids["hangzhou"], T0 + DAY + 2, passed=True)
    reg.check(ids["hangzhou"], T0 + DAY + 3, passed=True)
    reg.check(ids["hangzhou"], T0 + DAY + 4, passed=True)
    reg.exempt(ids["hangzhou"], T0 + DAY + 4, T0 + DAY + 4 + 5 * YEAR)
    reg.check(ids["hangzhou"], T0 + 100 * DAY, passed=False)  # ends the exemption
    return reg, ids


def test_published_lists_by_kind_level_region_and_status(authority: tuple[Registry, dict[str, int]]) -> None:
    reg, ids = authority
    t = T0 + 2 * YEAR + DAY

    def listed(**filters: object) -> list[int]:
        return [u.recognition.recognition_id for u in listed_units(reg.mirror, t, **filters)]  # type: ignore[arg-type]

    assert listed() == [ids[k] for k in ("wuxi", "wuxi_product", "hangzhou", "exempt", "checked")]
    assert listed(kind=RecognitionKind.GREEN_PRODUCT) == [ids["wuxi_product"]]
    assert listed(level=Level.NATIONAL) == [ids["hangzhou"]]
    assert listed(region="32") == [ids["wuxi"], ids["wuxi_product"]]
    assert listed(region="浙江省") == [ids["hangzhou"], ids["exempt"]]
    assert listed(region="unknown") == [ids["checked"]]
    assert listed(standing=Standing.SUSPENDED) == [ids["suspended"]]
    assert listed(standing=Standing.EXPIRED) == [ids["gln"]]
    assert len(listed(standing=None)) == 7
    (unit,) = listed_units(reg.mirror, t, region="3301", level=Level.NATIONAL)
    assert (unit.region.name_en, unit.standing) == ("Zhejiang", Standing.IN_FORCE)


def test_spot_check_states(authority: tuple[Registry, dict[str, int]]) -> None:
    reg, ids = authority
    t = T0 + 2 * YEAR + DAY
    states = {s.recognition.recognition_id: s for s in spot_check_standings(reg.mirror, t)}
    assert {rid: states[rid].state for rid in ids.values()} == {
        ids["wuxi"]: CheckState.DUE,
        ids["wuxi_product"]: CheckState.DUE,
        ids["hangzhou"]: CheckState.DUE,
        ids["gln"]: CheckState.NOT_IN_FORCE,
        ids["suspended"]: CheckState.NOT_IN_FORCE,
        ids["exempt"]: CheckState.EXEMPT,
        ids["checked"]: CheckState.CHECKED,
    }
    assert states[ids["wuxi"]].due_since == T0 + DAY + YEAR  # a year after its last check
    assert states[ids["wuxi_product"]].due_since == T0  # never checked: since it came into force
    hangzhou = states[ids["hangzhou"]]
    assert hangzhou.due_since == T0 + 100 * DAY + YEAR and hangzhou.checks == 6
    assert hangzhou.last_check is not None and hangzhou.last_check.passed is False
    assert states[ids["exempt"]].exempt_until == T0 + 3 * DAY + 5 * YEAR
    early = {s.recognition.recognition_id: s for s in spot_check_standings(reg.mirror, T0 + 50 * DAY)}
    assert early[ids["hangzhou"]].state is CheckState.EXEMPT  # before the failure ended it
    ended = {s.recognition.recognition_id: s for s in spot_check_standings(reg.mirror, T0 + 3 * DAY + 5 * YEAR)}
    assert ended[ids["exempt"]].state is CheckState.DUE
    assert ended[ids["exempt"]].due_since == T0 + 3 * DAY + 5 * YEAR  # since its exemption ended
    due = spot_check_standings(reg.mirror, t, states=frozenset({CheckState.DUE}), region="32", level=Level.CITY)
    assert [s.recognition.recognition_id for s in due] == [ids["wuxi_product"]]


def test_the_seeded_sample_is_re_derivable(authority: tuple[Registry, dict[str, int]]) -> None:
    reg, ids = authority
    t = T0 + 2 * YEAR + DAY
    sample = draw_sample(reg.mirror, t, "2026-Q1", 2)
    eligible = sorted(ids[k] for k in ("wuxi", "wuxi_product", "hangzhou", "checked"))  # in force, not exempt
    assert (sample.seed, sample.size, sample.at, sample.eligible) == ("2026-Q1", 2, t, tuple(eligible))
    ranks = sorted((hashlib.sha256(f"2026-Q1:{i}".encode()).hexdigest(), i) for i in eligible)
    assert [(d.rank, d.recognition_id) for d in sample.drawn] == ranks[:2]
    assert sample_rank("2026-Q1", eligible[0]) == hashlib.sha256(f"2026-Q1:{eligible[0]}".encode()).hexdigest()
    assert draw_sample(reg.mirror, t, "2026-Q1", 2) == sample
    assert len(draw_sample(reg.mirror, t, "2026-Q1", 100).drawn) == 4
    narrowed = draw_sample(reg.mirror, t, "x", 5, kind=RecognitionKind.GREEN_FACTORY, level=Level.NATIONAL)
    assert narrowed.eligible == (ids["hangzhou"],)
    assert draw_sample(reg.mirror, t, "x", 5, region="unknown").eligible == (ids["checked"],)
    assert draw_sample(reg.mirror, t, "x", 0).drawn == ()
    with pytest.raises(ValueError, match="cannot be negative"):
        draw_sample(reg.mirror, t, "x", -1)
