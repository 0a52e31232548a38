"""The OSO WSDLs and types are a contract with ParnasSys and the Traffic Center: a change must be deliberate."""

from __future__ import annotations

from lxml import etree

from adapters.parnassys.wsdl import SCHEMA_DIR, served_wsdl

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"

EXPECTED_OPERATIONS = {
    "oso-swv.wsdl": ["notificatie"],
    "oso-trafficcenter.wsdl": [
        "meldenNotificatie",
        "overdracht",
        "sessiecontrole",
        "afmelding",
        "meldenTerugkoppeling",
    ],
    "oso-las.wsdl": ["document", "terugkoppeling"],
}
EXPECTED_DOCUMENT_RESPONSE = ["aanvraag", "dossier"]
EXPECTED_AANVRAAG = ["aanvraagtype", "omschrijving", "opp"]


def test_each_wsdl_offers_exactly_its_operations():
    for name, operations in EXPECTED_OPERATIONS.items():
        root = etree.parse(str(SCHEMA_DIR / name)).getroot()
        found = [op.get("name") for op in root.iterfind(f"{{{WSDL}}}portType/{{{WSDL}}}operation")]
        assert found == operations, name


def test_document_response_carries_the_aanvraag_block_and_the_dossier():
    root = etree.parse(str(SCHEMA_DIR / "oso-types.xsd")).getroot()
    doc = root.find(f"{{{XS}}}element[@name='documentResponse']")
    assert [
        e.get("name") for e in doc.find(f".//{{{XS}}}sequence").findall(f"{{{XS}}}element")
    ] == EXPECTED_DOCUMENT_RESPONSE
    aanvraag = doc.find(f".//{{{XS}}}element[@name='aanvraag']")
    assert [e.get("name") for e in aanvraag.iter(f"{{{XS}}}element")][1:] == EXPECTED_AANVRAAG


def test_served_wsdl_points_at_the_address_it_was_fetched_from():
    text = served_wsdl("oso-swv.wsdl", "https://gateway.example/oso/swv")
    assert 'location="https://gateway.example/oso/swv"' in text
    assert 'schemaLocation="https://gateway.example/oso/swv?xsd=oso-types.xsd"' in text
