"""Verification codes in the store: register → activate (mail) → revoke / rotate; verify by BRIN6 prefix."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from gateway.components import Components
from gateway.errors import Refusal
from gateway.registry import code_lookup, codes
from gateway.store.models import AuditEntry
from gateway.store.models.codes import Verificatiecode
from gateway.store.models.mail import Mail

CODE = "14SS01-onze-eigen-code!"


async def _mails(c: Components) -> list[Mail]:
    async with c.db.reader() as s:
        return list((await s.exec(select(Mail))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def test_register_then_activate_mails_the_school(components: Components) -> None:
    view = await codes.register(
        components.db, "14SS01", "esis-prod", CODE, "school:ict", contact_email="ict@regenboog.example"
    )
    assert view.state == "aangemeld" and view.fingerprint.startswith("14SS01-…-")
    assert await codes.verify(components.db, CODE) is None  # not active yet
    active = await codes.activate(components.db, view.id, "secretariaat:anna")
    assert active.state == "actief" and active.activated_by == "secretariaat:anna"
    [mail] = await _mails(components)
    assert mail.to == "ict@regenboog.example" and mail.state == "wachtend"
    assert "14SS01" in mail.subject and view.fingerprint in mail.body and CODE not in mail.body
    sender = await codes.verify(components.db, CODE)
    assert sender is not None and (sender.brin6, sender.environment) == ("14SS01", "esis-prod")
    again = await codes.activate(components.db, view.id, "secretariaat:anna")  # idempotent, no second mail
    assert again.state == "actief" and len(await _mails(components)) == 1


async def test_refusals_say_what_is_wrong(components: Components) -> None:
    with pytest.raises(Refusal) as e:
        await codes.register(components.db, "14SS01", "esis-prod", "14SS01-kort", "school")
    assert "te kort: 11 tekens, minimaal 20" in e.value.first.message
    with pytest.raises(Refusal) as e:
        await codes.register(components.db, "14SS01", "esis-prod", "14SS00-andere-vestiging-code", "school")
    assert e.value.first.code == "VERIFICATIECODE_BRIN_ONJUIST"
    with pytest.raises(Refusal) as e:
        await codes.register(components.db, "99XX01", "esis-prod", "99XX01-onbekende-school-x", "school")
    assert e.value.first.code == "VESTIGING_NIET_GEREGISTREERD"
    with pytest.raises(Refusal) as e:
        await codes.register(components.db, "14SS01", "esis prod", CODE, "school")
    assert e.value.first.code == "ESIS_OMGEVING_ONGELDIG"


async def test_same_code_cannot_be_registered_or_active_twice(components: Components) -> None:
    first = await codes.register(components.db, "14SS01", "esis-prod", CODE, "school")
    await codes.activate(components.db, first.id, "secretariaat")
    with pytest.raises(Refusal) as e:
        await codes.register(components.db, "14SS01", "andere-omgeving", CODE, "school")
    assert e.value.first.code == "VERIFICATIECODE_AL_IN_GEBRUIK"


async def test_activating_a_new_code_replaces_the_active_one_for_that_environment(components: Components) -> None:
    old = await codes.activate(
        components.db, (await codes.register(components.db, "14SS01", "esis-prod", CODE, "s")).id, "sec"
    )
    other_env = await codes.activate(
        components.db, (await codes.register(components.db, "14SS01", "esis-test", CODE + "T", "s")).id, "sec"
    )
    new = await codes.register(components.db, "14SS01", "esis-prod", CODE + "2", "s")
    await codes.activate(components.db, new.id, "sec")
    states = {v.id: v.state for v in await codes.list_codes(components.db, "PO3008", "14SS")}
    assert states == {old.id: "ingetrokken", other_env.id: "actief", new.id: "actief"}
    assert await codes.verify(components.db, CODE) is None


async def test_rotate_activates_the_new_code_and_revokes_the_old_at_once(components: Components) -> None:
    old = await codes.register(components.db, "14SS01", "esis-prod", CODE, "s", contact_email="ict@x.example")
    await codes.activate(components.db, old.id, "sec")
    new = await codes.rotate(components.db, old.id, "14SS01-nieuwe-code-2026!", "sec")
    assert new.state == "actief" and new.replaces_id == old.id
    assert (await codes.get_code(components.db, old.id)).state == "ingetrokken"
    assert await codes.verify(components.db, CODE) is None
    assert await codes.verify(components.db, "14SS01-nieuwe-code-2026!") is not None
    with pytest.raises(Refusal):
        await codes.rotate(components.db, old.id, "14SS01-nog-een-code-2027!", "sec")


async def test_revoked_code_cannot_be_activated_again(components: Components) -> None:
    view = await codes.register(components.db, "14SS01", "esis-prod", CODE, "s")
    await codes.revoke(components.db, view.id, "sec", "verkeerd doorgegeven")
    match = await codes.lookup(components.db, CODE)
    assert match is not None and match.state == "ingetrokken"
    with pytest.raises(Refusal) as e:
        await codes.activate(components.db, view.id, "sec")
    assert e.value.first.code == "VERIFICATIECODE_INGETROKKEN"


async def test_every_change_is_audited_with_the_fingerprint_only(components: Components) -> None:
    view = await codes.register(components.db, "14SS01", "esis-prod", CODE, "s")
    await codes.activate(components.db, view.id, "sec")
    await codes.revoke(components.db, view.id, "sec")
    async with components.db.reader() as s:
        entries = list(
            (await s.exec(select(AuditEntry).where(col(AuditEntry.object_type) == "verificatiecode"))).scalars()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        )
    assert [e.action for e in entries] == [
        "verificatiecode_aangemeld",
        "verificatiecode_geactiveerd",
        "verificatiecode_ingetrokken",
    ]
    assert all(e.details["vingerafdruk"] == view.fingerprint for e in entries)
    assert CODE not in repr([e.details for e in entries])


async def test_verification_only_hashes_candidates_with_the_same_prefix(
    components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(5):
        v = await codes.register(components.db, "27ZX00", f"omgeving-{i}", f"27ZX00-code-nummer-{i:03d}", "s")
        await codes.activate(components.db, v.id, "sec")
    mine = await codes.register(components.db, "14SS01", "esis-prod", CODE, "s")
    await codes.activate(components.db, mine.id, "sec")
    hashed: list[str] = []
    real = code_lookup.verify_code

    def counting(code: str, encoded: str) -> bool:
        hashed.append(encoded)
        return real(code, encoded)

    monkeypatch.setattr(code_lookup, "verify_code", counting)
    assert await codes.verify(components.db, CODE) is not None
    assert len(hashed) == 1
    async with components.db.reader() as s:
        assert len(list((await s.exec(select(Verificatiecode))).scalars())) == 6  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def test_cache_hit_still_sees_a_revocation(components: Components) -> None:
    cache = codes.CodeCache()
    view = await codes.activate(
        components.db, (await codes.register(components.db, "14SS01", "esis-prod", CODE, "s")).id, "sec"
    )
    assert await codes.verify(components.db, CODE, cache=cache) is not None
    await codes.revoke(components.db, view.id, "sec")
    assert await codes.verify(components.db, CODE, cache=cache) is None
