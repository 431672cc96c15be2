"""CBV 2.0 vocabulary: term lists, spellings, and which roles may post which bizSteps."""

from __future__ import annotations

import pytest

from supplychain.epcis import BIZSTEP_ROLES, UnknownCbvTermError, allowed_biz_step, canonical_term, cbv


def test_term_counts() -> None:
    assert len(cbv.BIZ_STEPS) == 41
    assert len(cbv.DISPOSITIONS) == 33
    assert len(cbv.BIZ_TRANSACTION_TYPES) == 13
    assert {"owning_party", "possessing_party", "location"} == cbv.SOURCE_DESTINATION_TYPES
    assert {"did_not_occur", "incorrect_data"} == cbv.ERROR_REASONS
    assert len(cbv.SENSOR_MEASUREMENT_TYPES) == 72
    assert {"ALARM_CONDITION", "ERROR_CONDITION"} == cbv.SENSOR_ALERT_TYPES
    assert len(cbv.COMPONENTS) == 14


@pytest.mark.parametrize(
    "spelling",
    [
        "shipping",
        "cbv:BizStep-shipping",
        "urn:epcglobal:cbv:bizstep:shipping",
        "https://ref.gs1.org/cbv/BizStep-shipping",
    ],
)
def test_every_spelling_of_a_biz_step_is_one_term(spelling: str) -> None:
    assert canonical_term(cbv.BIZ_STEP_VOCAB, spelling) == "shipping"


def test_other_vocabularies() -> None:
    assert canonical_term(cbv.DISPOSITION_VOCAB, "urn:epcglobal:cbv:disp:in_transit") == "in_transit"
    assert canonical_term(cbv.BIZ_TRANSACTION_TYPE_VOCAB, "cbv:BTT-po") == "po"
    assert canonical_term(cbv.SOURCE_DESTINATION_TYPE_VOCAB, "urn:epcglobal:cbv:sdt:location") == "location"
    assert canonical_term(cbv.ERROR_REASON_VOCAB, "https://ref.gs1.org/cbv/ER-did_not_occur") == "did_not_occur"
    assert canonical_term(cbv.SENSOR_MEASUREMENT_TYPE_VOCAB, "gs1:Temperature") == "Temperature"
    assert canonical_term(cbv.SENSOR_MEASUREMENT_TYPE_VOCAB, "https://gs1.org/voc/Speed") == "Speed"
    assert canonical_term(cbv.SENSOR_ALERT_TYPE_VOCAB, "gs1:ALARM_CONDITION") == "ALARM_CONDITION"
    assert canonical_term(cbv.COMPONENT_VOCAB, "cbv:Comp-latitude") == "latitude"


def test_user_vocabulary_uris_are_kept() -> None:
    custom = "http://epcis.example.com/user/vocab/bizstep/exampling"
    assert canonical_term(cbv.BIZ_STEP_VOCAB, custom) == custom
    assert canonical_term(cbv.BIZ_STEP_VOCAB, "urn:acme:step:polishing") == "urn:acme:step:polishing"
    assert cbv.term_uri(cbv.BIZ_STEP_VOCAB, "shipping") == "https://ref.gs1.org/cbv/BizStep-shipping"
    assert cbv.term_uri(cbv.BIZ_STEP_VOCAB, custom) == custom


@pytest.mark.parametrize(
    ("value", "suggestion"),
    [
        ("shiping", "shipping"),
        ("cbv:BizStep-recieving", "receiving"),
        ("https://ref.gs1.org/cbv/BizStep-teleporting", None),
        ("teleporting", None),
    ],
)
def test_unknown_terms(value: str, suggestion: str | None) -> None:
    with pytest.raises(UnknownCbvTermError) as info:
        canonical_term(cbv.BIZ_STEP_VOCAB, value)
    assert (info.value.vocabulary, info.value.value, info.value.suggestion) == ("bizStep", value, suggestion)
    assert str(info.value).startswith(f"unknown bizStep {value!r}")


def test_every_biz_step_has_roles_and_roles_are_known() -> None:
    assert set(BIZSTEP_ROLES) == cbv.BIZ_STEPS
    for roles in BIZSTEP_ROLES.values():
        assert roles
        assert roles <= cbv.ROLES


@pytest.mark.parametrize(
    ("roles", "step", "allowed"),
    [
        (["manufacturer"], "commissioning", True),
        (["supplier"], "urn:epcglobal:cbv:bizstep:transforming", False),
        (["retailer"], "commissioning", False),
        (["logistics"], "cbv:BizStep-departing", True),
        (["manufacturer"], "departing", False),
        (["retailer"], "retail_selling", True),
        (["logistics", "retailer"], "stocking", True),
        (["logistics"], "shipping", True),
        (["retailer"], "receiving", True),
        ([], "shipping", False),
        (["manufacturer"], "not-a-step", False),
        (["manufacturer"], "https://acme.example/steps/polishing", False),
    ],
)
def test_allowed_biz_step(roles: list[str], step: str, allowed: bool) -> None:
    assert allowed_biz_step(roles, step) is allowed
