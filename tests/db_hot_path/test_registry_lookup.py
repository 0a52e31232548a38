"""The sender check's registry look-up of one school: exactly that school's active vestigingen in our SWV, found
through the (swv_id, brin6) index — at national scale (8,000 vestigingen) not a scan of every vestiging."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from gateway.components import Components
from gateway.pipeline.ports.registry import _VESTIGINGEN, vestigingen_of_school
from gateway.store.models import School, Swv, Vestiging


async def add_vestigingen(c: Components, swv_code: str, *brin6s: str, actief: bool = True) -> None:
    async with c.db.session() as s:
        swv = (await s.exec(select(Swv).where(col(Swv.code) == swv_code))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        if swv is None:
            swv = Swv(code=swv_code, naam=f"SWV {swv_code}")
            s.add(swv)
            await s.flush()
        for brin6 in brin6s:
            school = School(swv_id=swv.id, brin4=brin6[:4], naam=f"School {brin6}")
            s.add(school)
            await s.flush()
            assert swv.id is not None and school.id is not None  # the flushes assigned them
            s.add(Vestiging(swv_id=swv.id, school_id=school.id, brin6=brin6, naam=brin6, gemeente="Helmond",
                            routeringskenmerk="500", actief=actief))  # fmt: skip


async def test_a_schools_vestigingen_are_found_among_neighbouring_brin_codes(any_components: Components) -> None:
    c = any_components
    await add_vestigingen(c, "PO3008", "14SR99", "14ST00", "15SS00", "04SS00", "14SA00")
    await add_vestigingen(c, "PO3008", "14SP07", actief=False)
    await add_vestigingen(c, "PO9999", "14SQ00")  # another SWV's
    found = await vestigingen_of_school(c.db, "PO3008", "14SS")
    assert sorted(v.brin6 for v in found) == ["14SS00", "14SS01"]  # the demo registry's two
    assert [v.brin6 for v in await vestigingen_of_school(c.db, "PO3008", "14SP")] == []  # inactive
    assert [v.brin6 for v in await vestigingen_of_school(c.db, "PO3008", "14SQ")] == []  # not ours
    assert [v.brin6 for v in await vestigingen_of_school(c.db, "PO9999", "14SQ")] == ["14SQ00"]
    assert [v.brin6 for v in await vestigingen_of_school(c.db, "PO3008", "14SR")] == ["14SR99"]


async def test_the_look_up_of_one_school_searches_the_brin6_index(components: Components) -> None:
    async with components.db.reader() as s:
        conn = await s.connection()
        compiled = _VESTIGINGEN.compile(dialect=conn.dialect)
        values = {"b_swv": "PO3008", "b_brin4": "14SS", "b_brin4_last": "14SSZZ"}
        params = tuple(values[name] for name in compiled.positiontup or ())
        plan = " | ".join(str(r[-1]) for r in await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params))
    assert "vestiging USING INDEX sqlite_autoindex_vestiging_1 (swv_id=? AND brin6>? AND brin6<?)" in plan, plan
