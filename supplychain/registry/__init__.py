"""The on-chain registry's history as plain records, and a mirror answering "as at time T" questions.

Pure: :mod:`chain` reads the logs from a node and hands the decoded records to :class:`RegistryMirror`.
"""

from supplychain.registry import events
from supplychain.registry.mirror import (
    AnchorState,
    KeyState,
    OrganisationState,
    RecognitionState,
    RegistryMirror,
    SpotCheck,
    StatusChange,
)
from supplychain.registry.prefixes import DelegationState, PrefixHolding, gtin14, parse_prefix, prefix_candidates
from supplychain.registry.types import (
    BusinessRole,
    Grade,
    Level,
    ReasonCode,
    RecognitionKind,
    RecognitionStatus,
    Scope,
    bytes32_text,
    text_bytes32,
)

__all__ = [
    "AnchorState",
    "BusinessRole",
    "DelegationState",
    "Grade",
    "KeyState",
    "Level",
    "OrganisationState",
    "PrefixHolding",
    "ReasonCode",
    "RecognitionKind",
    "RecognitionState",
    "RecognitionStatus",
    "RegistryMirror",
    "Scope",
    "SpotCheck",
    "StatusChange",
    "bytes32_text",
    "events",
    "gtin14",
    "parse_prefix",
    "prefix_candidates",
    "text_bytes32",
]
