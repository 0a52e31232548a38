"""An ESIS simulator client: an honest test double of ESIS's koppeling, for the tests and the demo.

It builds realistic requests the way ESIS's form does (handbook §2.3: SWV, vestiging with addresses, contact
person, korte omschrijving = an aanvraagtype, omschrijving, OPP yes/no, documents) and sends them over HTTP
to a running gateway, as multipart bodies whose documents are streamed from generators (never built whole
in memory). It can also send the mistakes ESIS users and integrators make: a wrong code, another vestiging,
a near-miss aanvraagtype, the wrong SWV, a file that is not PDF or Word, a document over 10 MB, broken JSON.

Document factories (`pdf_document`, `docx_document`, `doc_document`) make small valid-looking files whose
type the gateway recognises by their bytes.
"""

from __future__ import annotations

import io
import json
import ssl
import struct
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import aiohttp
from aiohttp import payload as aio_payload

__all__ = [
    "DemoAnswer",
    "Document",
    "EsisResponse",
    "EsisSimulator",
    "aanvraag",
    "doc_document",
    "docx_document",
    "pdf_document",
    "run_demo",
]

CHUNK = 64 * 1024


# ------------------------------------------------------------------------------------------- documents


def pdf_document(text: str = "Ontwikkelingsperspectiefplan", size: int | None = None) -> bytes:
    body = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% " + text.encode() + b"\n"
    )
    if size is not None and size > len(body) + 6:
        body += b"%" * (size - len(body) - 6)
    return body + b"%%EOF\n"


def docx_document(text: str = "Handelingsplan") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        zf.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
        )
    return buf.getvalue()


def doc_document(text: str = "Verslag") -> bytes:
    """A minimal OLE2 compound file with a ``WordDocument`` stream entry (Word 97-2003)."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HH", header, 0x18, 0x3E, 3)  # minor, major version
    struct.pack_into("<H", header, 0x1C, 0xFFFE)  # little endian
    struct.pack_into("<H", header, 0x1E, 9)  # 512-byte sectors
    struct.pack_into("<H", header, 0x20, 6)
    struct.pack_into("<I", header, 0x2C, 1)  # one FAT sector
    struct.pack_into("<I", header, 0x30, 0)  # directory starts at sector 0
    directory = bytearray(512)
    for i, name in enumerate(("Root Entry", "WordDocument")):
        raw = name.encode("utf-16-le") + b"\x00\x00"
        directory[i * 128 : i * 128 + len(raw)] = raw
        struct.pack_into("<H", directory, i * 128 + 0x40, len(raw))
        directory[i * 128 + 0x42] = 5 if i == 0 else 2
    return bytes(header) + bytes(directory) + text.encode("utf-8").ljust(512, b"\x00")


@dataclass(frozen=True)
class Document:
    """A document part: its name, its content (bytes, or a size to generate a PDF of, streamed)."""

    bestandsnaam: str
    content: bytes | None = None
    size: int | None = None  # generate a streamed PDF of exactly this many bytes
    soort: str = "overig"
    omschrijving: str | None = None
    content_type: str = "application/octet-stream"

    def meta(self) -> dict[str, Any]:
        out: dict[str, Any] = {"bestandsnaam": self.bestandsnaam, "soort": self.soort}
        if self.omschrijving:
            out["omschrijving"] = self.omschrijving
        return out

    async def chunks(self, counter: list[int] | None = None) -> AsyncIterator[bytes]:
        if self.content is not None:
            for i in range(0, len(self.content), CHUNK):
                piece = self.content[i : i + CHUNK]
                if counter is not None:
                    counter[0] += len(piece)
                yield piece
            return
        total = self.size or 0
        head, tail = b"%PDF-1.4\n% gegenereerd door de ESIS-simulator\n", b"\n%%EOF\n"
        filler = b"0" * CHUNK
        sent = 0
        while sent < total:
            if sent == 0:
                piece = head
            elif total - sent <= len(tail):
                piece = tail[len(tail) - (total - sent) :]
            else:
                piece = filler[: min(CHUNK, total - len(tail) - sent)]
            sent += len(piece)
            if counter is not None:
                counter[0] += len(piece)
            yield piece


# ------------------------------------------------------------------------------------------- requests


_NO_DIGITS = str.maketrans("0123456789", "ghijklmnop")


def _random_id() -> str:
    """A fresh request id of letters only: random hex holds nine digits in a row that pass the elfproef about
    once in 500 ids, and the gateway rightly refuses any text field with such a number (ESIS_BSN_NIET_TOEGESTAAN)."""
    return f"ESIS-{uuid.uuid4().hex[:10].translate(_NO_DIGITS)}"


def aanvraag(
    brin6: str,
    *,
    aanvraag_id: str | None = None,
    swv_code: str = "PO3008",
    korte_omschrijving: str = "Aanvraag TLV",
    omschrijving: str | None = "Aanvraag TLV categorie laag; OPP en handelingsplan bijgevoegd.",
    opp: bool = True,
    leerlingid: str = "ESIS-LL-4711",
    voornaam: str = "Daan",
    achternaam: str = "Verhoeven",
    geboortedatum: str = "2015-09-21",
    documenten: Sequence[Document] = (),
    **extra: Any,
) -> dict[str, Any]:
    """The JSON an ESIS form produces (our wire format, schemas/esis/openapi.yaml)."""
    body: dict[str, Any] = {
        "esis_aanvraag_id": aanvraag_id or _random_id(),
        "swv_code": swv_code,
        "vestiging": {
            "brin6": brin6,
            "naam": "De Wilg",
            "bezoekadres": {"straat": "Wilgenlaan", "huisnummer": "12", "postcode": "5664 AB", "plaats": "Geldrop"},
        },
        "contactpersoon": {"naam": "M. de Intern-Begeleider", "email": "ib@dewilg.example", "telefoon": "040-1234567"},
        "korte_omschrijving": korte_omschrijving,
        "omschrijving": omschrijving,
        "opp": opp,
        "leerling": {
            "leerlingid": leerlingid,
            "voornaam": voornaam,
            "achternaam": achternaam,
            "geboortedatum": geboortedatum,
        },
        "documenten": [d.meta() for d in documenten],
    }
    body.update(extra)
    return body


@dataclass
class EsisResponse:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    sent_bytes: int = 0  # document bytes the client managed to hand over before the answer

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None


class EsisSimulator:
    """Sends ESIS requests to a gateway at ``base_url`` with verification code ``code``."""

    def __init__(
        self,
        base_url: str,
        code: str | None,
        *,
        session: aiohttp.ClientSession | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.code = code
        self._session = session
        self._own = session is None
        self._ca_file = ca_file  # trust this CA for an HTTPS gateway (the demo's throw-away CA)

    async def __aenter__(self) -> EsisSimulator:
        if self._session is None:
            tls = ssl.create_default_context(cafile=self._ca_file) if self._ca_file else None
            if tls is not None:
                tls.verify_flags |= ssl.VERIFY_X509_STRICT  # as a school's system on Python 3.13 would
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls) if tls else None)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._own and self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use 'async with EsisSimulator(...)'")
        return self._session

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.code is not None:
            headers["X-Verificatiecode"] = self.code
        headers.update(extra or {})
        return headers

    @staticmethod
    def _multipart(
        first: str, data: dict[str, Any] | bytes, documents: Iterable[Document], counter: list[int]
    ) -> aiohttp.MultipartWriter:
        mp = aiohttp.MultipartWriter("form-data")
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        part = mp.append(raw, {"Content-Type": "application/json"})
        part.set_content_disposition("form-data", name=first)
        for doc in documents:
            p = aio_payload.AsyncIterablePayload(doc.chunks(counter), content_type=doc.content_type)
            p.set_content_disposition("form-data", name="document", filename=doc.bestandsnaam)
            mp.append_payload(p)
        return mp

    async def _send(
        self,
        method: str,
        path: str,
        *,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        counter: list[int] | None = None,
    ) -> EsisResponse:
        try:
            async with self.session.request(
                method, self.base_url + path, data=data, headers=self._headers(headers)
            ) as r:
                try:
                    body: Any = await r.json(content_type=None)
                except (json.JSONDecodeError, aiohttp.ContentTypeError, UnicodeDecodeError):
                    body = await r.text()
                return EsisResponse(r.status, body, dict(r.headers), counter[0] if counter else 0)
        except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
            # the gateway closed the connection before the whole upload was sent (an early 413/415)
            return EsisResponse(
                0, {"code": "VERBINDING_GESLOTEN", "message": str(exc)}, {}, counter[0] if counter else 0
            )

    async def create(
        self, body: dict[str, Any] | bytes, documents: Sequence[Document] = (), *, idempotency_key: str | None = None
    ) -> EsisResponse:
        counter = [0]
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return await self._send(
            "POST",
            "/esis/v1/aanvragen",
            data=self._multipart("aanvraag", body, documents, counter),
            headers=headers,
            counter=counter,
        )

    async def create_json(self, body: dict[str, Any]) -> EsisResponse:
        return await self._send(
            "POST", "/esis/v1/aanvragen", data=json.dumps(body), headers={"Content-Type": "application/json"}
        )

    async def update(
        self,
        aanvraag_id: str,
        *,
        omschrijving: str | None = None,
        add: Sequence[Document] = (),
        remove: Sequence[Mapping[str, str]] = (),
        idempotency_key: str | None = None,
    ) -> EsisResponse:
        body: dict[str, Any] = {"documenten": [d.meta() for d in add]}
        if omschrijving is not None:
            body["omschrijving"] = omschrijving
        if remove:
            body["verwijder_documenten"] = [dict(r) for r in remove]
        counter = [0]
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return await self._send(
            "POST",
            f"/esis/v1/aanvragen/{aanvraag_id}/wijzigingen",
            data=self._multipart("wijziging", body, add, counter),
            headers=headers,
            counter=counter,
        )

    async def status(self, aanvraag_id: str) -> EsisResponse:
        return await self._send("GET", f"/esis/v1/aanvragen/{aanvraag_id}")

    async def register_code(self, brin6: str, omgeving: str, code: str, *, email: str | None = None) -> EsisResponse:
        body = {"brin6": brin6, "omgeving": omgeving, "verificatiecode": code}
        if email:
            body["contact_email"] = email
        return await self._send(
            "POST", "/esis/v1/verificatiecodes", data=json.dumps(body), headers={"Content-Type": "application/json"}
        )

    async def raw(self, path: str, data: bytes, content_type: str) -> EsisResponse:
        return await self._send("POST", path, data=data, headers={"Content-Type": content_type})


class DemoAnswer(NamedTuple):
    """One request of the demo batch and the gateway's answer."""

    what: str
    status: int
    code: str | None
    message: str | None

    @classmethod
    def of(cls, what: str, r: EsisResponse) -> DemoAnswer:
        message = r.body.get("message") if isinstance(r.body, dict) else None
        return cls(what, r.status, r.code, message if isinstance(message, str) else None)


async def run_demo(
    base_url: str, code: str, brin6: str, *, other_brin6: str = "09QA00", ca_file: str | None = None
) -> list[DemoAnswer]:
    """What `gateway demo` sends over ESIS: a new request, an update of it, a retry, and a few wrong ones.
    Returns (what, HTTP status, error code, Dutch message) per request, for the demo's report."""
    out: list[DemoAnswer] = []
    opp = Document("OPP-2025-ondertekend.pdf", pdf_document(), soort="opp")
    plan = Document("Handelingsplan-rekenen.docx", docx_document(), omschrijving="Handelingsplan rekenen")
    async with EsisSimulator(base_url, code, ca_file=ca_file) as esis:
        body = aanvraag(brin6, documenten=[opp, plan])
        r = await esis.create(body, [opp, plan])
        out.append(DemoAnswer.of("nieuwe aanvraag", r))
        r = await esis.create(body, [opp, plan])
        out.append(DemoAnswer.of("dezelfde aanvraag nogmaals (herhaling)", r))
        extra = Document("Verslag-MDO-2025-03.doc", doc_document(), omschrijving="Verslag MDO")
        r = await esis.update(
            body["esis_aanvraag_id"],
            omschrijving="Aanvraag TLV categorie laag; verslag MDO toegevoegd.",
            add=[extra],
            remove=[{"bestandsnaam": "Handelingsplan-rekenen.docx"}],
            idempotency_key=uuid.uuid4().hex,
        )
        out.append(DemoAnswer.of("wijziging: document erbij, verkeerd document eruit", r))
        near = aanvraag(brin6, korte_omschrijving="aanvraag tlv", documenten=[opp])
        r = await esis.create(near, [opp])
        out.append(DemoAnswer.of("aanvraagtype net anders gespeld", r))
        r = await esis.create(aanvraag(other_brin6, documenten=[opp]), [opp])
        out.append(DemoAnswer.of("aanvraag voor een andere vestiging", r))
        r = await esis.create(aanvraag(brin6, swv_code="PO9999", documenten=[opp]), [opp])
        out.append(DemoAnswer.of("verkeerd samenwerkingsverband", r))
        bad = Document("foto-OPP.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100, soort="opp")
        r = await esis.create(aanvraag(brin6, documenten=[bad]), [bad])
        out.append(DemoAnswer.of("afbeelding met .pdf-naam", r))
    async with EsisSimulator(base_url, brin6 + "-dit-is-geen-geldige-code", ca_file=ca_file) as wrong:
        r = await wrong.status(body["esis_aanvraag_id"])
        out.append(DemoAnswer.of("onbekende verificatiecode", r))
    return out
