"""schemathesis hooks for the ESIS contract run (`tests/esis/schemathesis.toml`).

`refusals_of_valid_data_are_business_rules`: a request that the OpenAPI document calls valid may still be
refused, but only by a rule the document cannot state (this SWV's code, its aanvraagtype catalogue and the
documents a type requires, registered vestigingen, the content of a document, a BSN in free text, two
documents with one name) — never by a rule of form (``ESIS_VELD_*``, ``ESIS_WIJZIGING_LEEG``, JSON or
multipart syntax, the verificatiecode's format). Those belong in the document; if the gateway refuses
schema-valid data with one of them, the document and the behaviour disagree.
"""

from __future__ import annotations

import json

import schemathesis

# Refusals of schema-valid requests that depend on data the document cannot know (docs: schemas/esis/openapi.yaml)
BUSINESS_RULES = frozenset(
    {
        "ESIS_SWV_ONBEKEND",  # the SWV code of this deployment
        "ESIS_AANVRAAGTYPE_ONBEKEND",  # the SWV's catalogue of aanvraagtypes
        "AANVRAAGTYPE_NIET_VIA_LAS",
        "OPP_ONTBREEKT",  # the catalogue says which types need an OPP document
        "DOCUMENT_ONTBREEKT",
        "ESIS_BSN_NIET_TOEGESTAAN",  # a number in free text that passes the elfproef
        "ESIS_DOCUMENT_TYPE_NIET_TOEGESTAAN",  # a document's bytes are not PDF or Word
        "ESIS_DOCUMENT_ONTBREEKT",  # a listed document without its part, or the reverse
        "ESIS_DOCUMENT_NIET_GENOEMD",
        "ESIS_DOCUMENT_DUBBEL",  # two documents with one name (OpenAPI 3.0 cannot say "unique by name")
        "ESIS_DOCUMENT_LEEG",
        "ESIS_VESTIGING_HOORT_NIET_BIJ_CODE",
        "ESIS_AANVRAAG_ONBEKEND",
        "ESIS_AANVRAAG_AL_ONTVANGEN",
        "ESIS_IDEMPOTENCY_KEY_HERGEBRUIKT",  # a key used before with other content (state, not form)
        "VERIFICATIECODE_BRIN_ONJUIST",  # the vestiging is not registered with this SWV
        "VESTIGING_NIET_GEREGISTREERD",
        "VERIFICATIECODE_AL_IN_GEBRUIK",
        "VERIFICATIECODE_AL_AANGEMELD",  # one code per vestiging may wait for activation (state, not form)
        "ESIS_TE_VEEL_AANMELDINGEN",
        "ESIS_TE_VEEL_POGINGEN",
        # multipart: the document's description says "first `aanvraag`, then the documents" (the gateway
        # checks the JSON before it streams megabytes), but OpenAPI 3.0 has no way to state the order of parts
        "ESIS_MULTIPART_VOLGORDE",
    }
)


@schemathesis.check
def refusals_of_valid_data_are_business_rules(ctx, response, case) -> None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code < 400:
        return
    if response.status_code in (401, 404, 429):  # credentials and existence: not the document's business
        return
    try:
        codes = [f["code"] for f in json.loads(response.content)["findings"]]
    except (ValueError, KeyError, TypeError):
        raise AssertionError(f"refusal without findings: {response.status_code}") from None
    form = [c for c in codes if c not in BUSINESS_RULES]
    if form:
        raise AssertionError(
            f"schema-valid request refused for its form ({', '.join(sorted(set(form)))}): the OpenAPI document "
            "should say so"
        )
