"""The OSO WSDLs and types are a contract with ParnasSys and the Traffic Center: a change must be deliberate."""

from __future__ import annotations

from lxml import etree

from adapters.parnassys.wsdl import SCHEMA_DIR, served_wsdl

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSP = "http://www.w3.org/ns/ws-policy"
WSAM = "http://www.w3.org/2007/05/addressing/metadata"
SP = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"

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


def test_served_wsdl_carries_the_given_address_and_its_types_inline():
    text = served_wsdl("oso-swv.wsdl", "https://gateway.example/oso/swv")
    root = etree.fromstring(text.encode("utf-8"))

    assert 'location="https://gateway.example/oso/swv"' in text
    assert "schemaLocation" not in text  # nothing for a tool to fetch (wsimport warns on ?xsd=)
    schemas = root.findall(f"{{{WSDL}}}types/{{{XS}}}schema")
    assert [s.get("targetNamespace") for s in schemas] == ["http://xml.kennisnet.nl/schemas/Overstapservice/20200910"]
    assert schemas[0].find(f"{{{XS}}}element[@name='notificatieRequest']") is not None


def test_the_wsdl_states_addressing_and_both_edukoppeling_profiles_as_ws_policy():
    root = etree.parse(str(SCHEMA_DIR / "oso-swv.wsdl")).getroot()
    policy = root.find(f"{{{WSP}}}Policy")
    alternatives = policy.findall(f"{{{WSP}}}ExactlyOne/{{{WSP}}}All")

    assert len(alternatives) == 2  # 2W-be, 2W-be-S
    assert all(alt.find(f"{{{WSAM}}}Addressing") is not None for alt in alternatives)
    assert all(alt.find(f".//{{{SP}}}RequireClientCertificate") is not None for alt in alternatives)
    signed = alternatives[1].find(f".//{{{SP}}}SignedParts")
    assert signed.find(f"{{{SP}}}Body") is not None
    assert signed.find(f"{{{SP}}}Header").get("Namespace") == "http://www.w3.org/2005/08/addressing"
    binding = root.find(f"{{{WSDL}}}binding")
    assert binding.find(f"{{{WSP}}}PolicyReference").get("URI") == f"#{policy.get(f'{{{WSU}}}Id')}"


def test_the_policy_and_the_documentation_name_what_the_endpoint_checks():
    text = (SCHEMA_DIR / "oso-swv.wsdl").read_text(encoding="utf-8")
    for required in ("Basic256Sha256", "IncludeTimestamp", "text/xml; charset=utf-8", "SOAPAction", "?oin="):
        assert required in text
