"""Hostile and broken SWV dossiers, as a ParnasSys `documentResponse` could carry them.

The dossier is not read over HTTP: the worker reads it after `documentRequest`, so these cases run
`gateway.dossier.read_dossier` directly and the "status" of a refusal is the blocking finding it reports
(dossier-level findings make the dossier invalid; attachment findings refuse that one bijlage).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.parnassys.dossier_factory import NS, AttachmentSpec, build_dossier
from tests.hostile.corpus_types import Case

__all__ = ["DOSSIER_CASES"]


def _mutation(name: str) -> Callable[[], bytes]:
    return lambda: build_dossier(mutation=name)


def _attachment(broken: str | None = None, **spec: Any) -> Callable[[], bytes]:
    def build() -> bytes:
        specs = [
            AttachmentSpec(broken=broken, **spec),
            AttachmentSpec(role="toelichting_onderwijsbehoeften", bestandsnaam="Toelichting.pdf"),
        ]
        return build_dossier(attachments=specs)

    return build


def _document(kind: str) -> Callable[[], bytes]:
    """An Office document built to attack the attachment inspector, as the OPP."""
    return _attachment(kind=kind, bestandsnaam="OPP.docx")


def _replace(old: bytes, new: bytes) -> Callable[[], bytes]:
    def build() -> bytes:
        data = build_dossier()
        assert old in data, old
        return data.replace(old, new, 1)

    return build


def _deep(levels: int) -> bytes:
    return f'<dossier xmlns="{NS}">'.encode() + b"<x>" * levels + b"</x>" * levels + b"</dossier>"


def _many_elements(n: int) -> bytes:
    return f'<dossier xmlns="{NS}">'.encode() + b"<x/>" * n + b"</dossier>"


DOSSIER_CASES: list[Case] = [
    Case("doctype", "dossier", "xxe", "XML_DTD_NIET_TOEGESTAAN", None, _mutation("doctype")),
    Case("xxe", "dossier", "xxe", "XML_DTD_NIET_TOEGESTAAN", None, _mutation("xxe")),
    Case("billion-laughs", "dossier", "billion_laughs", "XML_DTD_NIET_TOEGESTAAN", None, _mutation("billion_laughs")),
    Case("afgekapt", "dossier", "truncated", "DOSSIER_GEEN_XML", None, _mutation("afgekapt")),
    Case("leeg", "dossier", "broken", "DOSSIER_GEEN_XML", None, lambda: b""),
    Case(
        "pdf-in-plaats-van-xml", "dossier", "polyglot", "DOSSIER_GEEN_XML", None, lambda: b"%PDF-1.4\n<dossier/>\n%%EOF"
    ),
    Case(
        "ongeldige-utf8",
        "dossier",
        "invalid_utf8",
        "DOSSIER_GEEN_XML",
        None,
        _replace(b"<achternaam>Jansen", b"<achternaam>Jan\xc3\x28\xffsen"),
    ),
    Case("diepe-nesting", "dossier", "deep_nesting", "DOSSIER_TE_DIEP", None, lambda: _deep(10_000)),
    Case(
        "te-veel-elementen",
        "dossier",
        "deep_nesting",
        "DOSSIER_TE_VEEL_ELEMENTEN",
        None,
        lambda: _many_elements(150_000),
    ),
    Case("enorme-tekstnode", "dossier", "huge_attribute", "DOSSIER_TEKST_TE_GROOT", None, _mutation("grote_tekstnode")),
    Case(
        "enorm-attribuut",
        "dossier",
        "huge_attribute",
        "DOSSIER_TEKST_TE_GROOT",
        None,
        _replace(b"<achternaam>", b'<achternaam x="' + b"A" * (3 * 1024 * 1024) + b'">'),
    ),
    Case(
        "ander-hoofdelement",
        "dossier",
        "polyglot",
        "DOSSIER_GEEN_OSO_DOSSIER",
        None,
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ),
    Case("bsn-in-dossier", "dossier", "broken", "PaO.LL12", None, _mutation("bsn")),
    Case(
        "bsn-in-omschrijving-bijlage",
        "dossier",
        "personal_data",
        "PaO.LL12",
        None,
        lambda: build_dossier(attachments=[AttachmentSpec(omschrijving="OPP van leerling 123 456 782")]),
    ),
    Case(
        "onderwijsnummer-in-bestandsnaam",
        "dossier",
        "personal_data",
        "PaO.LL12",
        None,
        lambda: build_dossier(attachments=[AttachmentSpec(bestandsnaam="OPP-101234567.pdf")]),
    ),
    Case(
        "xinclude",
        "dossier",
        "xxe",
        "XSD_ONGELDIG",
        None,
        _replace(
            b"<achternaam>Jansen</achternaam>",
            b'<achternaam><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"'
            b' parse="text"/></achternaam>',
        ),
    ),
    # attachments
    Case("zip-bom", "dossier", "zip_bomb", "BIJLAGE_ZIP_BOM", None, _attachment("bomb")),
    Case("zip-afgekapt", "dossier", "truncated", "BIJLAGE_ZIP_ONGELDIG", None, _attachment("truncated")),
    Case("base64-ongeldig", "dossier", "truncated_base64", "BIJLAGE_BASE64_ONGELDIG", None, _attachment("base64")),
    Case(
        "base64-afgekapt",
        "dossier",
        "truncated_base64",
        "BIJLAGE_BASE64_ONGELDIG",
        None,
        _attachment("base64_truncated"),
    ),
    Case("zip-padtraversal", "dossier", "path_traversal", "BIJLAGE_PAD_ONVEILIG", None, _attachment("traversal")),
    Case("zip-absoluut-pad", "dossier", "path_traversal", "BIJLAGE_PAD_ONVEILIG", None, _attachment("absolute")),
    Case(
        "zip-duizend-bestanden",
        "dossier",
        "zip_bomb",
        "BIJLAGE_ZIP_MEERDERE_BESTANDEN",
        None,
        _attachment("many_entries"),
    ),
    Case("zip-versleuteld", "dossier", "broken", "BIJLAGE_ZIP_VERSLEUTELD", None, _attachment("encrypted")),
    Case("zip-kondigt-64-mb-aan", "dossier", "zip_bomb", "BIJLAGE_TE_GROOT", None, _attachment("too_large")),
    Case(
        "exe-met-pdf-naam",
        "dossier",
        "polyglot",
        "BIJLAGE_TYPE_NIET_TOEGESTAAN",
        None,
        _attachment(kind="exe", bestandsnaam="OPP.pdf"),
    ),
    Case("docx-zip-bom-liegende-headers", "dossier", "zip_bomb", "BIJLAGE_ZIP_BOM", None, _document("docx_bom")),
    Case("docx-versleuteld", "dossier", "broken", "BIJLAGE_ZIP_VERSLEUTELD", None, _document("docx_versleuteld")),
    Case("docx-padtraversal", "dossier", "path_traversal", "BIJLAGE_PAD_ONVEILIG", None, _document("docx_pad")),
    Case("docx-diep-genest", "dossier", "deep_nesting", "BIJLAGE_ZIP_TE_DIEP_GENEST", None, _document("docx_genest")),
    Case("zip-met-exe", "dossier", "polyglot", "BIJLAGE_TYPE_NIET_TOEGESTAAN", None, _document("zip_exe")),
    Case(
        "zip-in-zip",
        "dossier",
        "polyglot",
        "BIJLAGE_TYPE_NIET_TOEGESTAAN",
        None,
        _attachment(kind="zip", bestandsnaam="OPP.pdf"),
    ),
]
