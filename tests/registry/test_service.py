"""Registering schools, vestigingen and routeringskenmerken: every refusal is a finding that says what to do;
the gemeente decides the scholenkring and the coördinator; every change is audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select
from sqlmodel import SQLModel, col

from gateway.cli.main import build_parser
from gateway.components import Components
from gateway.errors import Refusal
from gateway.registry import service
from gateway.registry.service import Change
from gateway.store.models import AuditEntry

SWV = "PO3008"


@pytest.mark.parametrize(
    ("brin6", "naam", "gemeente", "kenmerk", "code"),
    [
        ("14SS0", "X", "Helmond", None, "BRIN6_ONGELDIG"),
        ("14SS", "X", "Helmond", None, "BRIN6_ONGELDIG"),
        ("55AA00", "Nieuw", "Helmond", None, "SCHOOL_NIET_GEREGISTREERD"),
        ("14SS02", "Derde locatie", "Eindhoven", None, "GEMEENTE_ONBEKEND"),
        ("14SS02", "", "Helmond", None, "VESTIGINGSNAAM_ONTBREEKT"),
        ("14SS02", "Derde locatie", "", None, "GEMEENTE_ONTBREEKT"),
        ("14SS02", "Derde locatie", "Helmond", "931", "ROUTERING_BUITEN_500_REEKS"),
        ("14SS02", "Derde locatie", "Helmond", "50x", "ROUTERING_ONGELDIG"),
        ("14SS02", "Derde locatie", "Helmond", "500", "ROUTERING_VESTIGING_WIJKT_AF"),
        ("14SS02", "Derde locatie", "Helmond", "0000000700021KL00502", "ROUTERING_BRIN_WIJKT_AF"),
    ],
)
async def test_a_refused_vestiging_says_why(
    components: Components, brin6: str, naam: str, gemeente: str, kenmerk: str | None, code: str
) -> None:
    with pytest.raises(Refusal) as refused:
        await service.register_vestiging(
            components.db, SWV, brin6, naam, gemeente, routeringskenmerk=kenmerk, actor="test"
        )
    assert refused.value.first.code == code
    assert refused.value.first.message
    assert await service.get_vestiging(components.db, SWV, brin6.upper()) is None or brin6 in ("14SS",)


async def test_a_new_vestiging_gets_its_scholenkring_and_coordinator_from_the_gemeente(components: Components) -> None:
    saved = await service.register_vestiging(
        components.db, SWV, "14ss02", "De Regenboog locatie Dierdonk", "helmond", routeringskenmerk="502", actor="t"
    )
    assert saved.change is Change.TOEGEVOEGD and not saved.warnings
    v = saved.vestiging
    assert (v.brin6, v.gemeente, v.routeringskenmerk) == ("14SS02", "Helmond", "502")
    assert (v.scholenkring, v.coordinator) == ("Helmond", "Eline Hansen")
    again = await service.register_vestiging(
        components.db, SWV, "14SS02", "De Regenboog locatie Dierdonk", "Helmond", actor="t"
    )
    assert again.change is Change.ONGEWIJZIGD and again.vestiging.routeringskenmerk == "502"  # empty keeps it


async def test_the_long_form_is_stored_as_the_parnassys_number(components: Components) -> None:
    saved = await service.register_vestiging(
        components.db, SWV, "14SS03", "Vierde locatie", "Helmond", routeringskenmerk="0000000700014SS00503", actor="t"
    )
    assert saved.vestiging.routeringskenmerk == "503"


async def test_a_parnassys_vestiging_without_kenmerk_is_registered_with_a_warning(components: Components) -> None:
    saved = await service.register_vestiging(components.db, SWV, "21KL01", "Het Klaverblad Zuid", "Deurne", actor="t")
    assert saved.change is Change.TOEGEVOEGD
    assert [w.code for w in saved.warnings] == ["ROUTERING_NIET_INGESTELD"]
    assert "501" in saved.warnings[0].message


async def test_set_routering_changes_clears_and_audits(components: Components) -> None:
    with pytest.raises(Refusal) as wrong:
        await service.set_routeringskenmerk(components.db, SWV, "14SS01", "500", actor="t")
    assert wrong.value.first.code == "ROUTERING_VESTIGING_WIJKT_AF"
    assert "501" in wrong.value.first.message
    with pytest.raises(Refusal) as unknown:
        await service.set_routeringskenmerk(components.db, SWV, "99ZZ00", "500", actor="t")
    assert unknown.value.first.code == "VESTIGING_NIET_GEREGISTREERD"
    same = await service.set_routeringskenmerk(components.db, SWV, "14SS01", "501", actor="t")
    assert same.change is Change.ONGEWIJZIGD
    cleared = await service.set_routeringskenmerk(components.db, SWV, "14SS01", None, actor="t")
    assert cleared.change is Change.BIJGEWERKT and cleared.vestiging.routeringskenmerk is None
    assert [w.code for w in cleared.warnings] == ["ROUTERING_NIET_INGESTELD"]
    back = await service.set_routeringskenmerk(components.db, SWV, "14SS01", "0000000700014SS00501", actor="juf")
    assert back.vestiging.routeringskenmerk == "501"
    async with components.db.reader() as s:
        actions = [
            (a.action, a.actor)
            for a in (await s.exec(select(AuditEntry).where(col(AuditEntry.object_id) == "14SS01"))).scalars()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        ]
    assert actions == [("routeringskenmerk_gewist", "t"), ("routeringskenmerk_gewijzigd", "juf")]


@pytest.mark.parametrize(
    ("brin4", "naam", "las", "code"),
    [
        ("14S", "X", None, "BRIN4_ONGELDIG"),
        ("55AA", "", None, "SCHOOLNAAM_ONTBREEKT"),
        ("55AA", "X", "Magister", "LAS_ONBEKEND"),
    ],
)
async def test_a_refused_school_says_why(
    components: Components, brin4: str, naam: str, las: str | None, code: str
) -> None:
    with pytest.raises(Refusal) as refused:
        await service.register_school(components.db, SWV, brin4, naam, las=las, actor="t")
    assert refused.value.first.code == code


async def test_schools_are_added_and_updated(components: Components) -> None:
    added = await service.register_school(components.db, SWV, "55aa", "OBS De Linde", las="parnassys", actor="t")
    assert added.change is Change.TOEGEVOEGD and added.school.las == "ParnasSys"
    updated = await service.register_school(
        components.db, SWV, "55AA", "OBS De Linde", bestuur="Stichting X", actor="t"
    )
    assert updated.change is Change.BIJGEWERKT and updated.school.las == "ParnasSys"
    assert "55AA" in await service.registered_brin4s(components.db, SWV)


async def test_an_unknown_swv_is_refused(components: Components) -> None:
    with pytest.raises(Refusal) as refused:
        await service.register_school(components.db, "PO9999", "55AA", "X", actor="t")
    assert refused.value.first.code == "SWV_ONBEKEND"
    message = refused.value.first.message
    assert "PO9999" in message and f"de database kent {SWV}" in message and "swv_code" in message
    assert "gateway db seed" not in message  # no such command


async def test_an_unknown_swv_in_an_empty_database_names_only_commands_that_exist(components: Components) -> None:
    async with components.db.session() as s:
        for table in reversed(SQLModel.metadata.sorted_tables):
            await s.exec(delete(table))
    with pytest.raises(Refusal) as refused:
        await service.register_school(components.db, SWV, "55AA", "X", actor="t")
    message = refused.value.first.message
    assert refused.value.first.code == "SWV_ONBEKEND" and "nog geen samenwerkingsverband" in message
    named = re.findall(r"'(gateway [a-z -]+?)'", message)
    assert named == ["gateway db seed"]
    for command in named:  # each named command parses: it exists
        assert build_parser().parse_args(command.split()[1:]).handler is not None


async def test_list_shows_the_registry_with_kring_and_coordinator(components: Components) -> None:
    views = await service.list_vestigingen(components.db, SWV, "14ss")
    assert [(v.brin6, v.routeringskenmerk, v.coordinator) for v in views] == [
        ("14SS00", "500", "Eline Hansen"),
        ("14SS01", "501", "Eline Hansen"),
    ]
