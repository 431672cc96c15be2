"""A three-level green supply chain on the platform's chain, for the green-view tests (in-process chain or Hardhat).

::

    A (SUPPLIER, USCC in Wuxi, provincial green factory) -- steel S1, S2 (KGM) --\\
    B (not recognised) --------------------------------- resin R1, R2 (KGM) ---+--> C (component maker, city green
                                                                                   factory ending in 60 days):
                                                                                   housings H1, H2 (H87)
    C --> M (MANUFACTURER): lot L1 (serials P-1, P-2) from 50 H1; lot L2 (serials P-3, P-4) from 50 H1 + 50 H2
    A ships 100 KGM of S1 straight to M and B ships film F1 to M (received only); M ships P-1 and P-3 to the retailer.

Before the lapse: S1 300 KGM + R1 100 KGM -> H1 (share 3/4), L1 from H1 (3/4). Then the regulator records a failed
spot check of A's recognition and suspends it. After: S2 300 + R2 100 -> H2 (share 0), L2 from H1 + H2 (3/8).
The impact of A's recognition: S2, H2, L2, P-3, P-4 (P-3 last seen at the retailer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend.services.platform import Platform
from chain.accounts import dev_account
from supplychain.registry import BusinessRole, Grade, Level, ReasonCode, RecognitionKind, Scope
from supplychain.registry.events import RecognitionTerms
from supplychain.signing import SigningKey
from supplychain.trace import node_id
from tests.backend.storing import store
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER
from tests.supplychain.factories import ChainBuilder, Org, gln, lgtin, qty, sgtin

B_ID = gln("6902222")
C_ID = gln("6903333")
DAY = 86_400


@dataclass
class GreenChain:
    """The stored story: identifiers (as nodes), envelopes by name, organisations, recognitions, times."""

    ids: dict[str, str]
    env: dict[str, dict[str, Any]] = field(default_factory=dict)
    orgs: dict[str, Org] = field(default_factory=dict)
    recognitions: dict[str, int] = field(default_factory=dict)
    times: dict[str, int] = field(default_factory=dict)

    def hash(self, name: str) -> str:
        """The Event Hash ID of the event called ``name``."""
        return str(self.env[name]["eventHashId"])


def _org(name: str, org_id: str, seed: int, roles: BusinessRole, prefix: str) -> Org:
    return Org(name, org_id, SigningKey.from_private_bytes(bytes([seed]) * 32), roles, prefix)


def terms(holder: str, level: Level, valid_from: int, valid_until: int | None) -> RecognitionTerms:
    """Green-factory terms for the whole enterprise."""
    return RecognitionTerms(
        holder, RecognitionKind.GREEN_FACTORY, level, Grade.NONE, Scope.ENTERPRISE, "", "GB/T 36132-2018",
        valid_from, valid_until, b"\xee" * 32,
    )  # fmt: skip


def build(platform: Platform) -> GreenChain:
    """Register B and C, issue the recognitions, store the events, suspend A's recognition half-way."""
    registry = platform.registry.registry
    chain = registry.chain
    regulator = registry.as_signer(dev_account("regulator").account)
    regulator.register_organisation(B_ID, BusinessRole.SUPPLIER)
    regulator.register_organisation(C_ID, BusinessRole.SUPPLIER | BusinessRole.MANUFACTURER)
    now = chain.block_timestamp()
    provincial = registry.as_signer(dev_account("provincial-certifier").account)
    city = registry.as_signer(dev_account("city-certifier").account)
    story = GreenChain(ids={})
    story.recognitions["A"], _ = provincial.issue_recognition(terms(SUPPLIER, Level.PROVINCIAL, now, now + 1000 * DAY))
    story.recognitions["C"], _ = city.issue_recognition(terms(C_ID, Level.CITY, now, now + 60 * DAY))
    a = _org("A", SUPPLIER, 0x41, BusinessRole.SUPPLIER, "6902000")
    b = _org("B", B_ID, 0x42, BusinessRole.SUPPLIER, "6902222")
    c = _org("C", C_ID, 0x43, BusinessRole.SUPPLIER | BusinessRole.MANUFACTURER, "6903333")
    m = _org("M", MANUFACTURER, 0x44, BusinessRole.MANUFACTURER, "6901234")
    shop = _org("R", RETAILER, 0x45, BusinessRole.RETAILER, "6907777")
    story.orgs = {"A": a, "B": b, "C": c, "M": m, "R": shop}
    raw = {
        "S1": lgtin("6902000", "020001", "S1"),
        "S2": lgtin("6902000", "020001", "S2"),
        "R1": lgtin("6902222", "020002", "R1"),
        "R2": lgtin("6902222", "020002", "R2"),
        "F1": lgtin("6902222", "020003", "F1"),
        "H1": lgtin("6903333", "030001", "H1"),
        "H2": lgtin("6903333", "030001", "H2"),
        "L1": lgtin("6901234", "040001", "L1"),
        "L2": lgtin("6901234", "040001", "L2"),
    }
    for n in range(1, 5):
        raw[f"P-{n}"] = sgtin("6901234", "040001", f"P-{n}")
    story.ids = {k: node_id(v) for k, v in raw.items()}
    builder = ChainBuilder()
    env = story.env
    t0 = now + 10
    story.times["start"] = t0
    env["commission S1"] = builder.commission(a, t0, quantities=[qty(raw["S1"], 1000, "KGM")])
    env["commission R1"] = builder.commission(b, t0, quantities=[qty(raw["R1"], 400, "KGM")])
    env["commission F1"] = builder.commission(b, t0 + 1, quantities=[qty(raw["F1"], 20, "KGM")])
    env["ship S1"] = builder.observe(
        a, t0 + 10, "shipping", quantities=[qty(raw["S1"], 600, "KGM")], cites=story.recognitions["A"]
    )  # A cites its recognition (signed): the leader's list and the audit read it from here
    env["ship R1"] = builder.observe(b, t0 + 10, "shipping", quantities=[qty(raw["R1"], 100, "KGM")])
    env["ship F1"] = builder.observe(b, t0 + 11, "shipping", quantities=[qty(raw["F1"], 20, "KGM")])
    env["receive S1 (C)"] = builder.observe(c, t0 + 20, "receiving", quantities=[qty(raw["S1"], 500, "KGM")])
    env["make H1"] = builder.transform(
        c,
        t0 + 30,
        inputs=[qty(raw["S1"], 300, "KGM"), qty(raw["R1"], 100, "KGM")],
        outputs=[qty(raw["H1"], 100, "H87")],
    )
    env["ship H1"] = builder.observe(c, t0 + 40, "shipping", quantities=[qty(raw["H1"], 100, "H87")])
    env["receive H1"] = builder.observe(m, t0 + 50, "receiving", quantities=[qty(raw["H1"], 100, "H87")])
    env["receive S1 (M)"] = builder.observe(m, t0 + 51, "receiving", quantities=[qty(raw["S1"], 100, "KGM")])
    env["receive F1"] = builder.observe(m, t0 + 52, "receiving", quantities=[qty(raw["F1"], 20, "KGM")])
    env["make L1"] = builder.transform(
        m, t0 + 60, inputs=[qty(raw["H1"], 50, "H87")], output_epcs=[raw["P-1"], raw["P-2"]], lot="L1"
    )
    env["ship P-1"] = builder.observe(m, t0 + 70, "shipping", epcs=[raw["P-1"]])
    env["receive P-1"] = builder.observe(shop, t0 + 80, "receiving", epcs=[raw["P-1"]])
    store(platform, env.values())
    # half-way: a failed spot check, and the regulator suspends A's recognition
    chain.increase_time(3600)
    regulator.record_spot_check(story.recognitions["A"], passed=False, report_hash=b"\x5c" * 32)
    regulator.suspend_recognition(story.recognitions["A"], ReasonCode.SPOT_CHECK_FAILED)
    lapse = chain.block_timestamp()
    story.times["lapse"] = lapse
    t1 = lapse + 10
    later: dict[str, dict[str, Any]] = {}
    later["commission S2"] = builder.commission(a, t1, quantities=[qty(raw["S2"], 500, "KGM")])
    later["commission R2"] = builder.commission(b, t1, quantities=[qty(raw["R2"], 400, "KGM")])
    later["ship S2"] = builder.observe(a, t1 + 10, "shipping", quantities=[qty(raw["S2"], 500, "KGM")])
    later["ship R2"] = builder.observe(b, t1 + 10, "shipping", quantities=[qty(raw["R2"], 100, "KGM")])
    later["make H2"] = builder.transform(
        c,
        t1 + 30,
        inputs=[qty(raw["S2"], 300, "KGM"), qty(raw["R2"], 100, "KGM")],
        outputs=[qty(raw["H2"], 100, "H87")],
    )
    later["ship H2"] = builder.observe(c, t1 + 40, "shipping", quantities=[qty(raw["H2"], 100, "H87")])
    later["receive H2"] = builder.observe(m, t1 + 50, "receiving", quantities=[qty(raw["H2"], 100, "H87")])
    later["make L2"] = builder.transform(
        m,
        t1 + 60,
        inputs=[qty(raw["H1"], 50, "H87"), qty(raw["H2"], 50, "H87")],
        output_epcs=[raw["P-3"], raw["P-4"]],
        lot="L2",
    )
    later["ship P-3"] = builder.observe(m, t1 + 70, "shipping", epcs=[raw["P-3"]])
    later["receive P-3"] = builder.observe(shop, t1 + 80, "receiving", epcs=[raw["P-3"]])
    store(platform, later.values())
    env.update(later)
    story.times["end"] = t1 + 80
    chain.increase_time(600)  # the events are in the chain's past
    platform.registry.refresh(force=True)
    return story
