"""A BSN or onderwijsnummer typed into free text (omschrijving, documenten, a file name) is refused with a
422 that names the field, and nothing of the number is stored (database files, blobs) or logged."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pytest

from adapters.esis.simulator import Document, aanvraag, pdf_document
from gateway.logging import configure_logging
from tests.esis.conftest import BRIN6, Gateway
from verification.bsn import contains_bsn, passes_elfproef

BSN = "123456782"  # passes the elfproef
ONDERWIJSNUMMER = "101234567"  # passes the onderwijsnummer variant (remainder 5)


@pytest.fixture
def log_buffer(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    buf = io.StringIO()
    configure_logging("json", "debug", stream=buf)
    caplog.set_level(logging.DEBUG)
    yield buf
    configure_logging()


@pytest.mark.parametrize(
    "text",
    [BSN, "BSN 123 456 782.", "nummer 1234.56.782", "12-34-56-782", "(onderwijsnummer 101234567)"],
)
def test_nine_digits_that_pass_the_elfproef_are_found_with_and_without_separators(text: str) -> None:
    assert contains_bsn(text)


@pytest.mark.parametrize(
    "text",
    ["123456789", "0612345678", "1234567820", "04-12-2026", "tel. 020 123 4567", "000000000", "Groep 7, 2025"],
)
def test_other_numbers_are_not_taken_for_a_bsn(text: str) -> None:
    assert not contains_bsn(text)


def test_the_elfproef_of_a_bsn_and_of_an_onderwijsnummer() -> None:
    assert passes_elfproef(BSN) and passes_elfproef(ONDERWIJSNUMMER)
    assert not passes_elfproef("123456789")


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ("omschrijving", "omschrijving"),
        ("document-omschrijving", "documenten[0].omschrijving"),
        ("bestandsnaam", "document[0].bestandsnaam"),
    ],
)
async def test_a_bsn_in_free_text_is_refused_naming_the_field_and_is_nowhere_afterwards(
    gateway: Gateway,
    log_buffer: io.StringIO,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    where: str,
    field: str,
) -> None:
    spaced = "123 456 782"
    name = f"OPP {spaced}.pdf" if where == "bestandsnaam" else "OPP-2025.pdf"
    opp = Document(name, pdf_document(), soort="opp")
    body = aanvraag(BRIN6, documenten=[opp])
    if where == "omschrijving":
        body["omschrijving"] = f"Leerling (BSN {spaced}) heeft extra ondersteuning nodig."
    elif where == "document-omschrijving":
        body["documenten"][0]["omschrijving"] = f"OPP van leerling {BSN}"
    if where == "bestandsnaam":
        body["documenten"][0]["bestandsnaam"] = "OPP-2025.pdf"  # the JSON is clean: the part's file name is not
    async with gateway.esis() as esis:
        r = await esis.create(body, [opp])
    assert r.status == 422 and r.code == "ESIS_BSN_NIET_TOEGESTAAN", r.body
    assert f"'{field}'" in r.body["message"] and r.body["location"].startswith(field.split(".")[0])
    assert BSN not in str(r.body) and spaced not in str(r.body)

    logs = log_buffer.getvalue() + caplog.text + "".join(capsys.readouterr())
    assert "esis_verzoek_geweigerd" in logs
    digits = re.compile(r"1\D?2\D?3\D?4\D?5\D?6\D?7\D?8\D?2")
    assert not digits.search(logs)
    for p in [p for p in gateway.c.settings.data_dir.rglob("*") if p.is_file()]:
        data = p.read_bytes()
        assert BSN.encode() not in data and spaced.encode() not in data, p
