"""Valid EPCIS 2.0 XML read as its JSON-LD twin: typed sensor values, nil, master data, DOCTYPE lines, bare events,
EPCIS-namespaced fields, query documents; and how its values and prefixes reach the Event Hash ID."""

from __future__ import annotations

import json
from typing import Any

import pytest

from supplychain.epcis import parse_document
from supplychain.epcis.xmldoc import xml_to_jsonld
from supplychain.errors import DocumentError, EpcisSyntaxError, EpcisValidationError
from supplychain.eventhash import document_events, hash_document

EPCIS = 'xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z"'


def _document(events: str, head: str = "", namespaces: str = "", header: str = "") -> bytes:
    return (
        f"{head}<epcis:EPCISDocument {EPCIS} {namespaces}>{header}"
        f"<EPCISBody><EventList>{events}</EventList></EPCISBody></epcis:EPCISDocument>"
    ).encode()


def _event(inner: str = "", kind: str = "ObjectEvent", attributes: str = "") -> str:
    return (
        f"<{kind} {attributes}><eventTime>2024-01-01T10:00:00+02:00</eventTime>"
        f"<eventTimeZoneOffset>+02:00</eventTimeZoneOffset><epcList><epc>urn:epc:id:sgtin:4012345.011111.1</epc>"
        f"</epcList><action>OBSERVE</action>{inner}</{kind}>"
    )


def _only_event(data: bytes) -> dict[str, Any]:
    (event,) = document_events(data)
    return event


_SENSOR = (
    "<sensorElementList><sensorElement>"
    '<sensorReport type="gs1:Temperature" value="26.5" minValue="-3" booleanValue="{b}" uom="CEL" sDev="{s}"/>'
    "</sensorElement></sensorElementList>"
)


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("1", True), ("false", False), ("0", False)])
def test_sensor_report_attributes_are_typed_as_the_json_schema_types_them(text: str, expected: bool) -> None:
    data = _document(_event(_SENSOR.format(b=text, s="0.50")))
    (report,) = _only_event(data)["sensorElementList"][0]["sensorReport"]
    assert report == {
        "type": "gs1:Temperature",
        "value": 26.5,
        "minValue": -3,
        "booleanValue": expected,
        "uom": "CEL",
        "sDev": 0.5,
    }
    parse_document(data)  # was refused: "expected a boolean, got a string"
    assert f"booleanValue={str(expected).lower()}" in hash_document(data, prehash=True)[0]


def test_a_boolean_value_that_is_no_xsd_boolean_stays_text_for_the_validator() -> None:
    data = _document(_event(_SENSOR.format(b="maybe", s="x1")))
    report = _only_event(data)["sensorElementList"][0]["sensorReport"][0]
    assert (report["booleanValue"], report["sDev"]) == ("maybe", "x1")
    with pytest.raises(EpcisValidationError, match=r"sDev: expected a number.*booleanValue: expected a boolean"):
        parse_document(data)


_NIL_ELEMENT = (
    '<quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.L1</epcClass><quantity xsi:nil="true"/>'
    "</quantityElement>"
)
_NIL = (
    f"<quantityList>{_NIL_ELEMENT}<quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.L2</epcClass>"
    '<quantity xsi:nil="true" ex:why="w"/></quantityElement></quantityList>'
)
_XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:ex="urn:ex:"'


def test_a_nil_quantity_is_null_and_keeps_its_name_in_the_hash() -> None:
    data = _document(_event(_NIL), namespaces=_XSI)
    first, second = _only_event(data)["quantityList"]
    assert first == {"epcClass": "urn:epc:class:lgtin:4012345.012345.L1", "quantity": None}
    assert second["quantity"] == {"xsi:nil": "true", "ex:why": "w"}  # nil with more: kept as written
    text = hash_document(data, prehash=True)[0]
    assert "quantityElementquantity{http://www.w3.org/2001/XMLSchema-instance}nil=true" in text
    assert "quantityElementquantityElement" not in text
    one = _document(_event(f"<quantityList>{_NIL_ELEMENT}</quantityList>"), namespaces=_XSI)
    (model,) = parse_document(one).events
    assert model.quantity_list[0].quantity is None  # type: ignore[attr-defined]


_MASTER_DATA = """<EPCISHeader><extension><EPCISMasterData><VocabularyList>
  <Vocabulary type="urn:epcglobal:epcis:vtype:BusinessLocation"><VocabularyElementList>
    <VocabularyElement id="urn:epc:id:sgln:4012345.00001.0">
      <attribute id="urn:epcglobal:cbv:mda#name">Warehouse 1</attribute>
      <attribute id="urn:epcglobal:cbv:mda#sst">201</attribute>
      <attribute id="urn:epcglobal:cbv:mda#flag"/>
      <attribute id="https://example.org/address"><ex:street>Main St</ex:street></attribute>
      <children><id>urn:epc:id:sgln:4012345.00001.1</id><id>urn:epc:id:sgln:4012345.00001.2</id></children>
    </VocabularyElement>
  </VocabularyElementList></Vocabulary>
  <Vocabulary type="urn:epcglobal:epcis:vtype:EPCClass"/>
</VocabularyList><extension><ex:unknown/></extension></EPCISMasterData></extension></EPCISHeader>"""


def test_master_data_in_the_header_is_read_like_its_json_twin() -> None:
    data = _document(_event(), header=_MASTER_DATA, namespaces='xmlns:ex="urn:ex:"')
    document = xml_to_jsonld(data)
    twin = {
        "epcisMasterData": {
            "vocabularyList": [
                {
                    "type": "urn:epcglobal:epcis:vtype:BusinessLocation",
                    "vocabularyElementList": [
                        {
                            "id": "urn:epc:id:sgln:4012345.00001.0",
                            "attributes": [
                                {"id": "urn:epcglobal:cbv:mda#name", "attribute": "Warehouse 1"},
                                {"id": "urn:epcglobal:cbv:mda#sst", "attribute": "201"},
                                {"id": "urn:epcglobal:cbv:mda#flag"},
                                {"id": "https://example.org/address", "attribute": {"ex:street": "Main St"}},
                            ],
                            "children": ["urn:epc:id:sgln:4012345.00001.1", "urn:epc:id:sgln:4012345.00001.2"],
                        }
                    ],
                },
                {"type": "urn:epcglobal:epcis:vtype:EPCClass"},
            ]
        }
    }
    assert document["epcisHeader"] == twin
    parse_document(data)  # was refused while the JSON twin was accepted
    as_json = {**document, "epcisHeader": twin}
    parse_document(json.dumps(as_json).encode())


def test_other_header_content_is_kept_under_its_prefix() -> None:
    header = (
        '<EPCISHeader><sbdh:StandardBusinessDocumentHeader xmlns:sbdh="urn:sbdh"><sbdh:HeaderVersion>1.0'
        "</sbdh:HeaderVersion></sbdh:StandardBusinessDocumentHeader></EPCISHeader>"
    )
    document = xml_to_jsonld(_document(_event(), header=header))
    assert document["epcisHeader"] == {"sbdh:StandardBusinessDocumentHeader": {"sbdh:HeaderVersion": "1.0"}}


@pytest.mark.parametrize(
    "doctype",
    [
        "<!DOCTYPE epcis:EPCISDocument>",
        '<?xml version="1.0"?>\n<!DOCTYPE epcis:EPCISDocument [ <!ELEMENT x ANY> <!ATTLIST x a CDATA #IMPLIED> ]>\n',
    ],
)
def test_a_harmless_doctype_is_read(doctype: str) -> None:
    data = _document(_event(), head=doctype)
    assert _only_event(data)["action"] == "OBSERVE"
    parse_document(data)  # was refused as unsafe XML


@pytest.mark.parametrize(
    ("doctype", "reason"),
    [
        ('<!DOCTYPE x [<!ENTITY e "boom">]>', "entity declarations"),
        ('<!DOCTYPE x [<!ENTITY a "1"><!ENTITY b "&a;&a;&a;&a;&a;">]>', "entity declarations"),
        ('<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">', "external subset"),
        ('<!DOCTYPE x PUBLIC "-//X//Y" "file:///etc/passwd">', "external subset"),
        ('<!DOCTYPE x SYSTEM "a.dtd" [<!ELEMENT x ANY>]>', "external subset"),
    ],
)
def test_entity_declarations_and_external_subsets_stay_refused(doctype: str, reason: str) -> None:
    data = _document(_event(), head=doctype)
    with pytest.raises(DocumentError, match=reason):
        xml_to_jsonld(data)
    with pytest.raises(EpcisSyntaxError, match=reason):
        parse_document(data)


def test_an_entity_behind_a_harmless_looking_doctype_is_still_refused() -> None:
    # an entity declared where the pre-check does not look (a parameter entity in the subset) -> defusedxml refuses it
    data = _document(_event(), head='<!DOCTYPE x [<!ATTLIST x a CDATA "&#60;!ENTITY">]>')
    assert _only_event(data)["action"] == "OBSERVE"
    entity = _document(_event(), head="<!DOCTYPE x [<!ELEMENT x ANY>]>").replace(b"OBSERVE", b"&custom;")
    with pytest.raises(DocumentError, match="undefined entity"):
        xml_to_jsonld(entity)
    # a harmless DOCTYPE in a comment, the real one after it: the parser itself still refuses the entity
    hidden = _document(_event(), head='<!-- <!DOCTYPE a> --><!DOCTYPE x [<!ENTITY e "boom">]>')
    with pytest.raises(DocumentError, match=r"unsafe XML \(EntitiesForbidden\)"):
        xml_to_jsonld(hidden)


def test_doctype_text_after_the_root_element_is_no_doctype() -> None:
    data = _document(_event("<!-- <!DOCTYPE x SYSTEM 'a.dtd'> -->"))
    assert _only_event(data)["action"] == "OBSERVE"


def test_bare_events_are_read_with_their_context_in_both_syntaxes() -> None:
    xml = _event("<ex:note>n</ex:note>", attributes='xmlns:ex="urn:ex:"').encode()
    event = xml_to_jsonld(xml)
    assert event["type"] == "ObjectEvent"
    assert event["@context"][1] == {"ex": "urn:ex:"}
    as_json = json.dumps(event).encode()
    assert hash_document(xml) == hash_document(as_json)
    assert document_events(as_json) == [event]
    qualified = (
        b'<epcis:ObjectEvent xmlns:epcis="urn:epcglobal:epcis:xsd:2"><epcis:action>ADD</epcis:action>'
        b"</epcis:ObjectEvent>"
    )
    assert xml_to_jsonld(qualified) == {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "ObjectEvent",
        "action": "ADD",
    }
    with pytest.raises(DocumentError, match="not EPCISDocument, EPCISQueryDocument or an event"):
        xml_to_jsonld(b"<Catalogue/>")


def test_standard_fields_in_the_epcis_namespace_are_the_standard_fields() -> None:
    plain = _document(_event("<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>"))
    qualified = plain.replace(b"<eventTime>", b"<epcis:eventTime>").replace(b"</eventTime>", b"</epcis:eventTime>")
    qualified = qualified.replace(b"<bizStep>", b"<epcis:bizStep>").replace(b"</bizStep>", b"</epcis:bizStep>")
    assert qualified != plain
    assert hash_document(qualified) == hash_document(plain)
    assert xml_to_jsonld(qualified) == xml_to_jsonld(plain)


def test_values_expand_only_cbv_and_gs1_and_key_prefixes_never_reach_values() -> None:
    inner = (
        "<bizStep>ex:myStep</bizStep><disposition>cbv:Disp-active</disposition><ex:note>urn:x</ex:note>"
        '<ex:item kind="gs1:Thing">cbv:other</ex:item><cbv:odd>1</cbv:odd>'
    )
    data = _document(_event(inner), namespaces='xmlns:ex="https://ns.example.com/epcis/" xmlns:cbv="urn:not-cbv:"')
    document = xml_to_jsonld(data)
    assert document["@context"][1] == {
        "cbv": "https://ref.gs1.org/cbv/",
        "cbv_1": "urn:not-cbv:",
        "ex_1": "https://ns.example.com/epcis/",
        "gs1": "https://gs1.org/voc/",
    }
    event = document["epcisBody"]["eventList"][0]
    assert event["bizStep"] == "ex:myStep"
    assert event["ex_1:item"] == {"kind": "gs1:Thing", "#text": "cbv:other"}
    text = hash_document(data, prehash=True)[0]
    assert "bizStep=ex:myStep" in text  # as the reference: an XML value is text, whatever prefix it starts with
    assert "disposition=https://ref.gs1.org/cbv/Disp-active" in text
    assert "{urn:not-cbv:}odd=1" in text
    assert "{https://ns.example.com/epcis/}item=https://ref.gs1.org/cbv/otherkind=https://gs1.org/voc/Thing" in text
    # the same value does not depend on an unrelated element using the prefix (it did)
    alone = _document(_event("<bizStep>ex:myStep</bizStep>"), namespaces='xmlns:ex="https://ns.example.com/epcis/"')
    assert "bizStep=ex:myStep" in hash_document(alone, prehash=True)[0]


def test_an_extension_list_of_structured_items_has_no_extra_level() -> None:
    inner = (
        "<ex:thingList><ex:thing><ex:a>1</ex:a></ex:thing><ex:thing><ex:a>2</ex:a></ex:thing></ex:thingList>"
        "<ex:mixList><ex:thing>1</ex:thing><ex:other>2</ex:other></ex:mixList>"
    )
    data = _document(_event(inner), namespaces='xmlns:ex="urn:ex:"')
    event = _only_event(data)
    assert event["ex:thingList"] == [{"ex:a": "1"}, {"ex:a": "2"}]
    assert event["ex:mixList"] == {"ex:thing": "1", "ex:other": "2"}
    text = hash_document(data, prehash=True)[0]
    assert "{urn:ex:}thingList{urn:ex:}thing{urn:ex:}a=1{urn:ex:}thing{urn:ex:}a=2" in text


_QUERY = """<epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:2" xmlns:r="{repository}"
    xmlns:ex="urn:ex:" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z">
  {root_ignore}
  <EPCISBody><epcisq:QueryResults><queryName>SimpleEventQuery</queryName>{results_ignore}
    <resultsBody><EventList>{event}</EventList></resultsBody></epcisq:QueryResults></EPCISBody>
</epcisq:EPCISQueryDocument>"""


@pytest.mark.parametrize("where", ["root", "results"])
def test_xml_query_documents_honour_ignore_fields_of_the_dedicated_namespace(where: str) -> None:
    ignore = "<r:ignoreFields><ex:hidden/><bizStep/></r:ignoreFields>"
    event = _event("<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep><ex:hidden>h</ex:hidden>")
    text = _QUERY.format(
        repository="https://repository-x.example.com/",
        event=event,
        root_ignore=ignore if where == "root" else "",
        results_ignore=ignore if where == "results" else "",
    )
    (prehash,) = hash_document(text.encode(), prehash=True)
    assert "hidden" not in prehash
    assert "BizStep-shipping" in prehash  # a standard field is never left out
    parse_document(text.encode())
    elsewhere = text.replace("https://repository-x.example.com/", "https://elsewhere.example.com/")
    assert "{urn:ex:}hidden=h" in hash_document(elsewhere.encode(), prehash=True)[0]


def test_a_time_written_as_a_declared_curie_takes_the_general_path() -> None:
    from supplychain.eventhash import hash_context, prehash_string
    from supplychain.eventhash._tree import general_prehash

    ctx = hash_context({"ex": "urn:ex:"})
    event = {"type": "ObjectEvent", "eventTime": "ex:2024-01-01T00:00:00Z"}
    assert prehash_string(event, ctx) == general_prehash(event, "ObjectEvent", ctx)
    assert prehash_string(event, ctx) == "eventType=ObjectEventeventTime=urn:ex:2024-01-01T00:00:00Z"
