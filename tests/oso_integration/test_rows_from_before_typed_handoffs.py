"""A notificatie the OSO intake wrote before hand-offs were typed and versioned (a ``meta`` dict, no
``handoff_version``) still processes after the upgrade, and a status change of its hulpvraag still reaches
the LAS (the status hook reads the old row too)."""

from __future__ import annotations

from sqlalchemy import select, update

from gateway.pipeline.status import change_status
from gateway.store.models import Exchange, Hulpvraag
from tests.oso_integration.conftest import Oso

_FIELDS = ("bronBrin", "bronRouteringsKenmerk", "doelBrin", "doelRouteringsKenmerk", "koppelsleutel", "doel")


async def test_a_notificatie_stored_as_the_old_meta_dict_still_processes_and_hears_status_changes(oso: Oso) -> None:
    koppelsleutel = await oso.notify()
    async with oso.c.db.session() as s:
        new = (await s.exec(select(Exchange))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        assert new.handoff_version == 1
        # the meta dict exactly as the endpoint wrote it before this upgrade (its keys, no version)
        old = {
            **{name: new.meta[name][:64] for name in _FIELDS},
            "bron_brin": new.meta["bronBrin"],
            "sender_oin": new.meta["sender_oin"],
            "sender_profile": new.meta["sender_profile"],
            "sender_via": new.meta["sender_via"],
            "wsa_message_id": new.meta["wsa_message_id"],
        }
        await s.exec(update(Exchange).values(meta=old, handoff_version=None))
    assert await oso.process() == 1
    await oso.deliver()  # the afmelding
    async with oso.c.db.reader() as s:
        ex = (await s.exec(select(Exchange))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        hv = (await s.exec(select(Hulpvraag))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert (ex.state, ex.handoff_version, ex.hulpvraag_id) == ("verwerkt", None, hv.id)
    assert oso.world.tc.afmeldingen() == {koppelsleutel: "OverdrachtGeslaagd"}

    await change_status(
        oso.c.db, hv.id, "Ondersteuningsaanvraag>plannen", actor="secretariaat", hooks=oso.c.status_hooks
    )
    assert await oso.deliver() == 1
    assert [t["koppelsleutel"] for t in oso.world.las.terugkoppelingen] == [koppelsleutel]
